// The MaaS sensor writing sensor_runs, against DuckDB's raw Appender writing
// the same rows into a table of the same shape, in the same run. Figures are
// rows per CPU-second of this process (DuckDB's threads included), the median
// of BENCH_REPEATS runs; every engine run is checked to leave exactly the
// baseline's table (row count and an order-independent hash of every row).
//
//   sensor.duckdb      decoded events -> sensor -> duckdb sink (upsert)   target >= 0.8
//   sensor.sink        sensor rows -> duckdb sink (upsert) alone
//   sensor.topology    topologies/maas/sensor.yaml as shipped: Avro events
//                      from the embedded log, decode, sensor, duckdb sink
//
// Each sensor row folds ~7 events; the first and last figures count rows, so
// the fold (and, for the topology, the Avro decode) of those events is part
// of the cost per row.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIGINT, DuckDBDataChunk, DuckDBInstance, DuckDBTimestampValue, DuckDBVector, INTEGER, LIST, TIMESTAMP, VARCHAR, listValue, quotedIdentifier as q, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { defineSource, type SourceChunk } from '../engine/connectors.ts';
import { runTopology } from '../engine/runtime.ts';
import { SENSOR_COLUMNS, type SensorRow } from '../operators/sensor/sensor.ts';
import { SchemaRegistry } from '../schemas/index.ts';
import { registerSource } from '../streams/registry.ts';
import { generateRuns, writeRunsToLog } from '../test/operators/sensor/fixtures/events.ts';
import type { TopologySpec } from '../topologies/spec.ts';
import { loadTopology } from '../topologies/validate.ts';
import type { BenchRow } from './result.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_SENSOR_RUNS ?? 40_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const TABLE = 'sensor_runs';

/** Bench source: hands out in-memory values (already decoded events, or rows) as `object` records; event time = `at` / `ended_at`. */
const feed: { values: readonly unknown[]; times: Float64Array } = { values: [], times: new Float64Array(0) };
registerSource(
  defineSource<Record<string, never>>({
    type: 'bench-feed',
    summary: 'benchmark source: in-memory values',
    formats: ['object'],
    paramsSchema: { type: 'object' },
    create: () => {
      let next = 0;
      return {
        async open(restore) {
          next = typeof restore === 'number' ? restore : 0;
        },
        poll(max): SourceChunk {
          const end = Math.min(feed.values.length, next + max);
          const chunk: SourceChunk = { values: feed.values.slice(next, end), timestamps: feed.times.slice(next, end), keys: null, partitions: null, offsets: null, topic: 'bench', end: end >= feed.values.length };
          next = end;
          return chunk;
        },
        position: () => next,
        commit() {},
        close() {},
      };
    },
  }),
);

interface Measured { rows: number; cpuSeconds: number; digest: string }

export async function run(): Promise<BenchRow[]> {
  const schemas = SchemaRegistry.load();
  const { events, expected } = generateRuns({ runs: RUNS, seed: 11, duplicateRate: 0.01 });
  const rows = [...expected.values()];
  const shipped = loadTopology(path.join(ROOT, 'topologies/maas/sensor.yaml'), schemas).spec;
  const logDir = tmp('log');
  writeRunsToLog(logDir, events, { schemas });
  console.log(`${RUNS} runs, ${events.length} events (${(events.length / RUNS).toFixed(2)} per run), ${REPEATS} repeats`);

  const samples = { raw: [] as number[], sensor: [] as number[], sink: [] as number[], topology: [] as number[] };
  let digest = '';
  try {
    for (let r = 0; r < REPEATS; r++) {
      // interleaved, so that a noisy neighbour hurts every figure alike
      const raw = await rawAppender(rows);
      digest = raw.digest;
      samples.raw.push(rate(raw));
      feed.values = events;
      feed.times = Float64Array.from(events, (e) => e.at);
      samples.sensor.push(rate(check(await engine(sensorSpec(shipped, 'bench-feed', true), schemas), raw)));
      feed.values = rows;
      feed.times = Float64Array.from(rows, (row) => row.ended_at);
      samples.sink.push(rate(check(await engine(sensorSpec(shipped, 'bench-feed', false), schemas), raw)));
      samples.topology.push(rate(check(await engine(sensorSpec(shipped, 'log', true), schemas, logDir), raw)));
    }
  } finally {
    fs.rmSync(logDir, { recursive: true, force: true });
  }
  const rawRate = median(samples.raw);
  const row = (name: string, value: number, target?: number): BenchRow => ({
    name,
    unit: 'rows/cpu-s',
    value: Math.round(value),
    baseline: 'raw DuckDB appender (data chunks), same rows and table',
    baselineValue: Math.round(rawRate),
    ratio: Math.round((value / rawRate) * 1000) / 1000,
    ...(target === undefined ? {} : { target: `>= ${target}`, pass: value / rawRate >= target }),
  });
  console.log(`table digest ${digest} (every engine run wrote the same table as the baseline)`);
  return [row('sensor.duckdb', median(samples.sensor), 0.8), row('sensor.sink', median(samples.sink)), row('sensor.topology', median(samples.topology))];
}

let groups = 0;

/** The shipped topology with the source swapped (bench feed or the log), the sensor kept or dropped, and the DuckDB file in a temp dir. */
function sensorSpec(shipped: TopologySpec, source: 'bench-feed' | 'log', withSensor: boolean): TopologySpec {
  const sink = shipped.sinks[0]!;
  const src = shipped.sources[0]!;
  return {
    ...shipped,
    name: `bench-sensor-${source}-${withSensor ? 'sensor' : 'sink'}`,
    // a new consumer group each time: the log keeps the previous run's committed offsets
    sources: [source === 'log' ? { ...src, params: { ...src.params, stopAtEnd: true, group: `bench-${++groups}` } } : { id: src.id, type: 'bench-feed' }],
    operators: withSensor ? shipped.operators : [],
    sinks: [{ ...sink, input: withSensor ? sink.input : src.id, params: { ...sink.params } }],
  };
}

async function engine(spec: TopologySpec, schemas: SchemaRegistry, logDataDir?: string): Promise<Measured> {
  const dir = tmp('engine');
  const file = path.join(dir, 'sensor.duckdb');
  (spec.sinks[0]!.params as { path: string }).path = file;
  try {
    const cpu0 = process.cpuUsage();
    const summary = await runTopology(spec, { schemas, dataDir: logDataDir ?? dir, checkpointDir: path.join(dir, 'checkpoints'), fresh: true });
    const cpu = process.cpuUsage(cpu0);
    return { rows: summary.sinkRecords, cpuSeconds: (cpu.user + cpu.system) / 1e6, digest: await tableDigest(file) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The baseline: what a hand-written loader does with this library: one
 * Appender on a table of the sink's shape (same columns, types and primary
 * key), rows turned into data chunks of DuckDB's vector size, no validation,
 * committed when the appender closes.
 */
async function rawAppender(rows: readonly SensorRow[]): Promise<Measured> {
  const dir = tmp('raw');
  const file = path.join(dir, 'sensor.duckdb');
  const columns = Object.entries(SENSOR_COLUMNS) as [keyof SensorRow, string][];
  const types: DuckDBType[] = columns.map(([, t]) => ({ VARCHAR, TIMESTAMP, BIGINT, INTEGER, 'VARCHAR[]': LIST(VARCHAR) })[t]!);
  try {
    // timed from opening the file to closing it, as the engine's run is: DuckDB writes (compresses) the table at close
    const cpu0 = process.cpuUsage();
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE ${TABLE} (${columns.map(([n, t]) => `${q(n)} ${t}`).join(', ')}, PRIMARY KEY (run_id))`);
    const appender = await conn.createAppender(TABLE);
    const size = DuckDBVector.standardSize();
    for (let lo = 0; lo < rows.length; lo += size) {
      const m = Math.min(size, rows.length - lo);
      const chunk = DuckDBDataChunk.create(types, m);
      for (let j = 0; j < columns.length; j++) {
        const [name, type] = columns[j]!;
        const vector = chunk.getColumnVector(j);
        for (let k = 0; k < m; k++) vector.setItem(k, duck(rows[lo + k]![name], type));
        vector.flush();
      }
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
    conn.closeSync();
    instance.closeSync();
    const cpu = process.cpuUsage(cpu0);
    return { rows: rows.length, cpuSeconds: (cpu.user + cpu.system) / 1e6, digest: await tableDigest(file) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function duck(v: SensorRow[keyof SensorRow], type: string): DuckDBValue {
  if (v === null) return null;
  if (type === 'TIMESTAMP') return new DuckDBTimestampValue(BigInt(v as number) * 1000n);
  if (type === 'BIGINT') return BigInt(v as number);
  if (type === 'VARCHAR[]') return listValue(v as string[]);
  return v as string | number;
}

/** Row count plus an order-independent hash of every row: equal digests mean equal tables. */
async function tableDigest(file: string): Promise<string> {
  const instance = await DuckDBInstance.create(file);
  let conn: DuckDBConnection | undefined;
  try {
    conn = await instance.connect();
    const [[n, h]] = (await conn.runAndReadAll(`SELECT count(*), sum(hash(${TABLE}) % 1000000007) FROM ${TABLE}`)).getRowsJS() as [[bigint, bigint]];
    return `${n}/${h}`;
  } finally {
    conn?.closeSync();
    instance.closeSync();
  }
}

function check(m: Measured, raw: Measured): Measured {
  if (m.digest !== raw.digest || m.rows !== raw.rows) throw new Error(`the engine wrote ${m.rows} rows (table ${m.digest}), the baseline ${raw.rows} (table ${raw.digest})`);
  return m;
}

const rate = (m: Measured): number => m.rows / m.cpuSeconds;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function tmp(what: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `maasflow-bench-sensor-${what}-`));
}
