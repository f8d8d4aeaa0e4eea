// The Teacher's metric queries (control/teacher/metrics.ts) over a large
// sensor history: TEACHER_BENCH_ROWS (10,000,000) sensor_runs rows generated
// inside DuckDB with SQL (deterministic hash-based pseudo-random columns: 20
// experiments over three days, two running at a time, 30 % real traffic,
// 40 % of emulator runs questions), written to a DuckDB file, closed and
// reopened (TEACHER_BENCH_FILE=path keeps it and reuses it next time). Each
// query runs TEACHER_BENCH_WARMUP (3) times unmeasured, then
// TEACHER_BENCH_REPEATS (20) times; the figures are p50 / p95 wall latency in
// ms and the median CPU ms of the process per query (DuckDB's threads
// included: the figure a busy shared machine disturbs least). Baseline, the
// same run: `SELECT count(*), avg(latency_ms) FROM sensor_runs WHERE
// experiment_id = ?` (the cheapest question one can ask of an experiment);
// ratio = figure / the baseline's same figure. Target: p95 < 200 ms.
// DuckDB threads: its default (the cores), or TEACHER_BENCH_THREADS.
//
//   teacher.aggregate      all metrics of one experiment per variant and cycle
//   teacher.per_run        per-run values of hallucination_rate, one experiment
//   teacher.bucket         all metrics of one experiment per variant and 1-hour bucket
//   teacher.all_experiments  all metrics per experiment and variant, whole table (no target: a report, not the Teacher's loop)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { aggregateMetrics, perRunValues, type AggregateQuery } from '../control/teacher/metrics.ts';
import { SENSOR_COLUMNS } from '../operators/sensor/sensor.ts';
import type { BenchRow } from './result.ts';

const ROWS = Number(process.env.TEACHER_BENCH_ROWS ?? 10_000_000);
const REPEATS = Number(process.env.TEACHER_BENCH_REPEATS ?? 20);
const WARMUP = Number(process.env.TEACHER_BENCH_WARMUP ?? 3);
const THREADS = process.env.TEACHER_BENCH_THREADS;
const TARGET_MS = 200;
const EXPERIMENTS = 20;
const T0_MS = Date.UTC(2026, 10, 19);
const SPAN_MS = 3 * 24 * 3600 * 1000;

export async function run(): Promise<BenchRow[]> {
  // TEACHER_BENCH_FILE keeps the generated table (and reuses it when it has the asked row count)
  const keep = process.env.TEACHER_BENCH_FILE;
  const dir = keep ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-bench-teacher-'));
  const file = keep ?? path.join(dir!, 'sensor.duckdb');
  try {
    if (!(keep && (await rowCount(file)) === ROWS)) {
      fs.rmSync(file, { force: true });
      const t = performance.now();
      await generate(file, ROWS);
      console.log(`${ROWS.toLocaleString('en-US')} sensor_runs rows generated in ${((performance.now() - t) / 1000).toFixed(1)} s (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB)`);
    }

    const instance = await DuckDBInstance.create(file, THREADS ? { threads: THREADS } : {});
    const conn = await instance.connect();
    try {
      const threads = (await conn.runAndReadAll(`SELECT current_setting('threads') AS t`)).getRowObjectsJS()[0]!.t;
      const experimentId = 'exp-07';
      const [census] = (await conn.runAndReadAll('SELECT count(*) AS n, count(*) FILTER (len(golden_fact_keys) > 0) AS q FROM sensor_runs WHERE experiment_id = $e', { e: experimentId })).getRowObjectsJS();
      console.log(`DuckDB threads ${String(threads)}; experiment ${experimentId}: ${Number(census!.n).toLocaleString('en-US')} runs, ${Number(census!.q).toLocaleString('en-US')} questions; ${WARMUP} warm-up + ${REPEATS} timed runs per query`);

      const baseline = await timed(async () => {
        await conn.runAndReadAll('SELECT count(*), avg(latency_ms) FROM sensor_runs WHERE experiment_id = $e', { e: experimentId });
      });
      const perVariantCycle: AggregateQuery = { experimentId, groupBy: ['variant', 'cycle_type'] };
      const perBucket: AggregateQuery = { experimentId, groupBy: ['variant', 'bucket'], bucket: '1 hour' };
      const figures: [string, Samples, boolean][] = [
        ['teacher.aggregate', await timed(() => aggregateMetrics(conn, perVariantCycle)), true],
        ['teacher.per_run', await timed(() => perRunValues(conn, { metric: 'hallucination_rate', experimentId })), true],
        ['teacher.bucket', await timed(() => aggregateMetrics(conn, perBucket)), true],
        // the whole table (every experiment, 10 M rows): ~30x the rows of one experiment; fewer runs keep the bench short
        ['teacher.all_experiments', await timed(() => aggregateMetrics(conn, { groupBy: ['experiment_id', 'variant'] }), Math.min(REPEATS, 3), 1), false],
      ];
      await check(conn, experimentId);
      const b = summarize(baseline);
      console.log(`baseline: p50 ${b.p50.toFixed(1)} ms, p95 ${b.p95.toFixed(1)} ms, CPU ${b.cpu.toFixed(1)} ms per query`);
      const label = 'SELECT count(*), avg(latency_ms) FROM sensor_runs WHERE experiment_id = ?';
      const rows: BenchRow[] = [];
      for (const [name, samples, targeted] of figures) {
        const f = summarize(samples);
        console.log(`${name}: p50 ${f.p50.toFixed(1)} ms, p95 ${f.p95.toFixed(1)} ms, CPU ${f.cpu.toFixed(1)} ms per query (median)`);
        rows.push({ name: `${name}.p50`, unit: 'ms', value: round(f.p50), baseline: `${label} (p50)`, baselineValue: round(b.p50), ratio: round(f.p50 / b.p50) });
        rows.push({ name: `${name}.p95`, unit: 'ms', value: round(f.p95), baseline: `${label} (p95)`, baselineValue: round(b.p95), ratio: round(f.p95 / b.p95), ...(targeted ? { target: `< ${TARGET_MS} ms`, pass: f.p95 < TARGET_MS } : {}) });
        rows.push({ name: `${name}.cpu`, unit: 'cpu-ms', value: round(f.cpu), baseline: `${label} (CPU ms, median)`, baselineValue: round(b.cpu), ratio: round(f.cpu / b.cpu) });
      }
      return rows;
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows of sensor_runs in a kept bench file; -1 when there is no file or no table (then it is generated). */
async function rowCount(file: string): Promise<number> {
  if (!fs.existsSync(file)) return -1;
  const instance = await DuckDBInstance.create(file);
  try {
    const conn = await instance.connect();
    try {
      const [t] = (await conn.runAndReadAll(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'sensor_runs'`)).getRowObjectsJS();
      if (Number(t!.n) === 0) return -1;
      return Number((await conn.runAndReadAll('SELECT count(*) AS n FROM sensor_runs')).getRowObjectsJS()[0]!.n);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** Wall ms and CPU ms (this process: DuckDB's threads included) of each timed run. */
interface Samples {
  wall: number[];
  cpu: number[];
}

async function timed(fn: () => Promise<unknown>, repeats = REPEATS, warmup = WARMUP): Promise<Samples> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: Samples = { wall: [], cpu: [] };
  for (let i = 0; i < repeats; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    out.wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    out.cpu.push((used.user + used.system) / 1000);
  }
  return out;
}

function summarize(s: Samples): { p50: number; p95: number; cpu: number } {
  return { p50: quantile(s.wall, 0.5), p95: quantile(s.wall, 0.95), cpu: quantile(s.cpu, 0.5) };
}

/** The figures mean something only if the queries agree: per-run counts are the aggregates' n, answer rate = correct + hallucination. */
async function check(conn: DuckDBConnection, experimentId: string): Promise<void> {
  const [all] = await aggregateMetrics(conn, { experimentId });
  for (const metric of ['precision_at_k', 'hallucination_rate', 'latency_p95_ms'] as const) {
    const n = (await perRunValues(conn, { metric, experimentId })).length;
    if (n !== all!.metrics[metric]!.n) throw new Error(`bench check: ${metric} has ${n} per-run values but n = ${all!.metrics[metric]!.n}`);
  }
  const m = all!.metrics;
  const gap = m.answer_rate!.value! - m.correct_rate!.value! - m.hallucination_rate!.value!;
  if (Math.abs(gap) > 1e-9) throw new Error(`bench check: answer_rate - correct_rate - hallucination_rate = ${gap}`);
  console.log(`check: ${experimentId} precision ${m.precision_at_k!.value!.toFixed(3)}, recall ${m.recall_at_k!.value!.toFixed(3)}, answer rate ${m.answer_rate!.value!.toFixed(3)} = correct ${m.correct_rate!.value!.toFixed(3)} + hallucination ${m.hallucination_rate!.value!.toFixed(3)}, error rate ${m.error_rate!.value!.toFixed(4)}`);
}

/**
 * Fills sensor_runs (the sensor's columns and types, primary key run_id) in
 * ended_at order, as the sensor appends it. Every column is a function of the
 * row number through DuckDB's hash(), so the table is the same every run.
 */
async function generate(file: string, rows: number): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  try {
    const cols = Object.entries(SENSOR_COLUMNS).map(([c, t]) => `${c} ${t}${c === 'run_id' ? ' PRIMARY KEY' : ''}`);
    await conn.run(`CREATE TABLE sensor_runs (${cols.join(', ')})`);
    await conn.run(generateSql(rows));
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function generateSql(rows: number): string {
  // 12 facts, each with its golden answer; slot = which 1/20 of the time range the row is in.
  // range() yields i in order and DuckDB keeps insertion order, so the table is in ended_at order.
  const answers = `['Rex', 'Paris', 'blue', 'A positive', 'Tuesday', 'jazz', 'Lisbon', 'green tea', 'Luna', 'chess', 'Oslo', 'salmon']`;
  return `
INSERT INTO sensor_runs
WITH base AS (
  SELECT i,
         ${T0_MS} + i * ${SPAN_MS} // ${rows} AS end_ms,
         (i * ${EXPERIMENTS}) // ${rows} AS slot,
         ${h('i, 1', 100)} AS r,
         ${h('i, 10', 100)} < 40 AS q,
         ${h('i, 11', 50)} = 0 AS failed,
         ${h('i, 13', 6)} AS k,
         ${h('i, 17', 12)} AS fact,
         ${h('i, 18', 100)} AS outcome,
         20 + ${h('i, 4', 100)} + CASE WHEN ${h('i, 5', 20)} = 0 THEN ${h('i, 6', 2000)} ELSE 0 END AS latency
  FROM range(${rows}) t(i)
), shaped AS (
  SELECT *, r >= 30 AND q AS question FROM base
)
SELECT 'run-' || lpad(i::VARCHAR, 9, '0'),
       'th-' || (i // 8),
       'u-' || (${h('i // 8, 9', 5000)}),
       CASE WHEN r < 30 THEN 'real' ELSE 'emulator' END,
       'pv-' || lpad(slot::VARCHAR, 2, '0'),
       CASE WHEN r < 30 THEN NULL WHEN r < 65 OR slot = 0 THEN 'exp-' || lpad(slot::VARCHAR, 2, '0') ELSE 'exp-' || lpad((slot - 1)::VARCHAR, 2, '0') END,
       CASE WHEN r < 30 THEN NULL WHEN ${h('i, 2', 2)} = 0 THEN 'baseline' ELSE 'variant-a' END,
       CASE WHEN r < 30 THEN NULL ELSE ['micro', 'macro', 'deep'][1 + ${h('i, 3', 3)}] END,
       epoch_ms(end_ms - latency),
       epoch_ms(end_ms),
       latency,
       100 + ${h('i, 7', 400)},
       CASE WHEN failed THEN 0 ELSE 5 + ${h('i, 8', 60)} END,
       k + ${h('i, 12', 30)},
       k,
       CASE WHEN failed THEN 0 ELSE least(k, ${h('i, 14', 4)}) END,
       list_transform(range(k), lambda j: 'm-' || (${h('i, j, 15', 100000)})),
       list_distinct(list_transform(range(k), lambda j: 'f' || CASE WHEN ${h('i, j, 16', 3)} = 0 THEN fact ELSE ${h('i, j, 19', 12)} END)),
       CASE WHEN question THEN ['f' || fact] ELSE [] END,
       CASE WHEN question THEN ${answers}[1 + fact] END,
       CASE WHEN failed THEN NULL
            WHEN NOT question THEN 'Noted, thanks.'
            WHEN outcome < 70 THEN 'It is ' || ${answers}[1 + fact] || ', you told me.'
            WHEN outcome < 85 THEN 'I don''t know.'
            ELSE 'I think it is ' || ${answers}[1 + (fact + 1) % 12] || '.' END,
       CASE WHEN failed THEN 'FAILED' ELSE 'COMPLETED' END,
       CASE WHEN failed THEN 'maas.respond: timeout' END,
       CASE WHEN failed THEN 3 ELSE 1 + (${h('i, 20', 10)} = 0)::INTEGER END,
       CASE WHEN failed THEN 5 ELSE 7 END
FROM shaped`;
}

/** A hash-based pseudo-random integer in [0, mod) as BIGINT (hash() gives UBIGINT, which list indexing refuses). */
function h(args: string, mod: number): string {
  return `CAST(hash(${args}) % ${mod} AS BIGINT)`;
}

function quantile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
