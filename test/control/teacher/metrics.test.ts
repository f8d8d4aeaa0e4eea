/** The Teacher's metrics over a hand-built sensor_runs table: every value against a hand computation, grouping, safety, errors, the doc. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unknownMarkersPattern } from '../../../control/teacher/catalogue.ts';
import { METRICS_DOC, docBlocks, syncDoc } from '../../../control/teacher/doc.ts';
import { GROUP_COLUMNS, METRIC_NAMES, METRICS, aggregateMetrics, perRunValues, readAggregateMetrics, readPerRunValues, type AggregateRow, type MetricName } from '../../../control/teacher/metrics.ts';
import { MaasflowError } from '../../../engine/errors.ts';
import { withSensorDb } from '../../../operators/sensor/history.ts';
import type { SensorRow } from '../../../operators/sensor/sensor.ts';
import { writeSensorRuns } from '../../support/sensor-rows.ts';
import { loadScenarios } from '../../../streams/emulator/config.ts';
import { containsAnswer, isUnknownAnswer } from '../../../streams/emulator/text.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const MIN = 60_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-teacher-'));
const FILE = path.join(dir, 'sensor.duckdb');

function run(id: string, minute: number, o: Partial<SensorRow> = {}): SensorRow {
  const ended = T0 + minute * MIN;
  const latency = o.latency_ms === undefined ? 100 : o.latency_ms;
  return {
    run_id: id,
    thread_id: `th-${id}`,
    user_id: 'u-1',
    client_type: 'emulator',
    param_version: 'pv-1',
    experiment_id: 'exp-A',
    variant: 'baseline',
    cycle_type: 'micro',
    started_at: latency === null ? null : ended - latency,
    ended_at: ended,
    latency_ms: latency,
    prompt_tokens: 10,
    completion_tokens: 5,
    memories_found: 5,
    memories_retrieved: 0,
    memories_used: 0,
    retrieved_memory_ids: [],
    retrieved_fact_keys: [],
    golden_fact_keys: [],
    golden_answer: null,
    answer: 'Noted.',
    status: 'COMPLETED',
    error: null,
    attempts: 1,
    transitions: 7,
    ...o,
  };
}

/** A completed emulator question about `golden` (answer text, retrieved fact keys, memories retrieved/used). */
function question(id: string, minute: number, golden: string[], goldenAnswer: string, answer: string | null, retrieved: string[], memories: number, used: number, o: Partial<SensorRow> = {}): SensorRow {
  return run(id, minute, { golden_fact_keys: golden, golden_answer: goldenAnswer, answer, retrieved_fact_keys: retrieved, memories_retrieved: memories, memories_used: used, retrieved_memory_ids: Array.from({ length: memories }, (_, i) => `${id}-m${i}`), ...o });
}

// exp-A, variant baseline: minutes 0-4 (bucket 10:00); treatment: minutes 5-9 (bucket 10:05). Hand values in the comments.
const ROWS: SensorRow[] = [
  // precision 1/2, recall 1, utilisation 2/3, correct
  question('a01', 0, ['pet'], 'Rex', 'Your dog is called Rex.', ['pet', 'city'], 3, 2, { latency_ms: 100, prompt_tokens: 10, completion_tokens: 5 }),
  // precision 0, recall 0, utilisation 0, "I don't know."
  question('a02', 1, ['city'], 'Paris', "I don't know.", ['pet'], 2, 0, { latency_ms: 200, prompt_tokens: 20, completion_tokens: 0 }),
  // no retrieval: no precision, recall 0, no utilisation; a wrong answer (hallucination)
  question('a03', 2, ['color'], 'blue', 'It is red.', [], 0, 0, { latency_ms: 300, prompt_tokens: 30, completion_tokens: 10 }),
  // not a question: utilisation 1/4 only
  run('a04', 3, { cycle_type: 'macro', memories_retrieved: 4, memories_used: 1, retrieved_fact_keys: ['pet'], latency_ms: 400, prompt_tokens: 40, completion_tokens: 10 }),
  // a failed question: only tokens and error
  question('a05', 4, ['pet'], 'Rex', null, [], 0, 0, { cycle_type: 'macro', status: 'FAILED', error: 'maas.respond: timeout', latency_ms: 1000, prompt_tokens: 7, completion_tokens: 0, attempts: 3 }),
  // two golden facts, both retrieved among three: precision 2/3, recall 1; upper case and "!"
  question('a06', 5, ['pet', 'city'], 'Rex', 'REX!', ['city', 'pet', 'food'], 3, 3, { variant: 'treatment', latency_ms: 120, prompt_tokens: 12, completion_tokens: 6 }),
  // correct only after normalization ("green-tea")
  question('a07', 6, ['food'], 'green tea', 'You like green-tea, I think.', ['food'], 1, 1, { variant: 'treatment', latency_ms: 140, prompt_tokens: 14, completion_tokens: 6 }),
  // memories retrieved but none carries a fact: precision 0; "I do not know"
  question('a08', 7, ['city'], 'Paris', 'I do not know, sorry', [], 2, 0, { variant: 'treatment', cycle_type: 'macro', latency_ms: 160, prompt_tokens: 16, completion_tokens: 4 }),
  // "Rexford" is not "Rex" (whole words): a hallucination with perfect retrieval
  question('a09', 8, ['pet'], 'Rex', 'Rexford is a town.', ['pet'], 1, 1, { variant: 'treatment', cycle_type: 'macro', latency_ms: 180, prompt_tokens: 18, completion_tokens: 2 }),
  // curly apostrophe "I don’t know"; the run's NEW never reached the sensor: no latency
  question('a10', 9, ['pet'], 'Rex', 'I don\u2019t know', [], 0, 0, { variant: 'treatment', cycle_type: 'macro', latency_ms: null, prompt_tokens: 5, completion_tokens: 5 }),
  question('b01', 1, ['pet'], 'Rex', 'Rex.', ['pet'], 1, 1, { experiment_id: 'exp-B', cycle_type: 'deep', param_version: 'pv-2', latency_ms: 50 }),
  run('b02', 2, { experiment_id: 'exp-B', cycle_type: 'deep', param_version: 'pv-2', status: 'FAILED', error: 'x', latency_ms: 70, prompt_tokens: 1, completion_tokens: 0 }),
  run('r01', 3, { client_type: 'real', experiment_id: null, variant: null, cycle_type: null, memories_retrieved: 2, memories_used: 1, latency_ms: 90, prompt_tokens: 9, completion_tokens: 1 }),
];

const HAND: Record<'exp' | 'baseline' | 'treatment', Record<MetricName, [number | null, number]>> = {
  exp: {
    precision_at_k: [(0.5 + 0 + 2 / 3 + 1 + 0 + 1) / 6, 6],
    recall_at_k: [4 / 8, 8],
    context_utilisation: [(2 / 3 + 0 + 0.25 + 1 + 1 + 0 + 1) / 7, 7],
    answer_rate: [5 / 8, 8],
    hallucination_rate: [2 / 8, 8],
    correct_rate: [3 / 8, 8],
    // completed with a latency, sorted: 100 120 140 160 180 200 300 400
    latency_p50_ms: [170, 8],
    latency_p95_ms: [300 + 0.65 * 100, 8],
    tokens_per_run: [220 / 10, 10],
    error_rate: [1 / 10, 10],
  },
  baseline: {
    precision_at_k: [0.25, 2],
    recall_at_k: [1 / 3, 3],
    context_utilisation: [(2 / 3 + 0 + 0.25) / 3, 3],
    answer_rate: [2 / 3, 3],
    hallucination_rate: [1 / 3, 3],
    correct_rate: [1 / 3, 3],
    latency_p50_ms: [250, 4],
    latency_p95_ms: [300 + 0.85 * 100, 4],
    tokens_per_run: [132 / 5, 5],
    error_rate: [0.2, 5],
  },
  treatment: {
    precision_at_k: [(2 / 3 + 1 + 0 + 1) / 4, 4],
    recall_at_k: [3 / 5, 5],
    context_utilisation: [0.75, 4],
    answer_rate: [3 / 5, 5],
    hallucination_rate: [1 / 5, 5],
    correct_rate: [2 / 5, 5],
    latency_p50_ms: [150, 4],
    latency_p95_ms: [160 + 0.85 * 20, 4],
    tokens_per_run: [88 / 5, 5],
    error_rate: [0, 5],
  },
};

const db = <T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> => withSensorDb(FILE, fn);

test.before(async () => {
  await db((conn) => writeSensorRuns(conn, ROWS));
});

test.after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function close(actual: number | null, expected: number | null, what: string): void {
  if (expected === null || actual === null) return assert.is(actual, expected, what);
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} != ${expected}`);
}

function checkRow(row: AggregateRow | undefined, hand: Record<MetricName, [number | null, number]>, what: string): void {
  assert.ok(row, `${what}: no row`);
  for (const m of METRIC_NAMES) {
    close(row!.metrics[m]!.value, hand[m][0], `${what} ${m}`);
    assert.is(row!.metrics[m]!.n, hand[m][1], `${what} ${m} n`);
  }
}

test('every metric of one experiment equals the hand computation', async () => {
  const rows = await db((conn) => aggregateMetrics(conn, { experimentId: 'exp-A' }));
  assert.is(rows.length, 1);
  assert.equal(rows[0]!.group, {});
  assert.is(rows[0]!.runs, 10);
  checkRow(rows[0], HAND.exp, 'exp-A');
  const m = rows[0]!.metrics;
  close(m.answer_rate!.value! - m.correct_rate!.value! - m.hallucination_rate!.value!, 0, 'answer rate = correct + hallucination');
});

test('grouped by variant: one row per variant, ordered, each equal to the hand computation', async () => {
  const rows = await db((conn) => aggregateMetrics(conn, { experimentId: 'exp-A', groupBy: ['variant'] }));
  assert.equal(rows.map((r) => [r.group.variant, r.runs]), [['baseline', 5], ['treatment', 5]]);
  checkRow(rows[0], HAND.baseline, 'baseline');
  checkRow(rows[1], HAND.treatment, 'treatment');
});

test('grouped by variant and cycle, by experiment (NULL first), by param version; a subset of metrics', async () => {
  const byCycle = await db((conn) => aggregateMetrics(conn, { experimentId: 'exp-A', groupBy: ['variant', 'cycle_type'], metrics: ['correct_rate', 'error_rate'] }));
  assert.equal(
    byCycle.map((r) => [r.group.variant, r.group.cycle_type, r.runs, r.metrics.correct_rate!.value, r.metrics.correct_rate!.n, r.metrics.error_rate!.value]),
    [
      ['baseline', 'macro', 2, null, 0, 0.5],
      ['baseline', 'micro', 3, 1 / 3, 3, 0],
      ['treatment', 'macro', 3, 0, 3, 0],
      ['treatment', 'micro', 2, 1, 2, 0],
    ],
  );
  assert.equal(Object.keys(byCycle[0]!.metrics), ['correct_rate', 'error_rate']);
  const byExperiment = await db((conn) => aggregateMetrics(conn, { groupBy: ['experiment_id'], metrics: ['error_rate', 'recall_at_k'] }));
  assert.equal(
    byExperiment.map((r) => [r.group.experiment_id, r.runs, r.metrics.error_rate!.value, r.metrics.recall_at_k!.value]),
    [
      [null, 1, 0, null],
      ['exp-A', 10, 0.1, 0.5],
      ['exp-B', 2, 0.5, 1],
    ],
  );
  const byVersion = await db((conn) => aggregateMetrics(conn, { groupBy: ['param_version', 'client_type'], metrics: ['tokens_per_run'] }));
  assert.equal(byVersion.map((r) => [r.group.param_version, r.group.client_type, r.runs]), [['pv-1', 'emulator', 10], ['pv-1', 'real', 1], ['pv-2', 'emulator', 2]]);
});

test('grouped by 5-minute bucket of ended_at (bucket start in epoch ms)', async () => {
  const rows = await db((conn) => aggregateMetrics(conn, { experimentId: 'exp-A', groupBy: ['bucket'], bucket: '5 minutes' }));
  assert.equal(rows.map((r) => [r.group.bucket, r.runs]), [[T0, 5], [T0 + 5 * MIN, 5]]);
  checkRow(rows[0], HAND.baseline, 'bucket 10:00');
  checkRow(rows[1], HAND.treatment, 'bucket 10:05');
  const hourly = await db((conn) => aggregateMetrics(conn, { groupBy: ['experiment_id', 'bucket'], bucket: '1 hour', metrics: ['error_rate'] }));
  assert.equal(hourly.map((r) => [r.group.experiment_id, r.group.bucket, r.runs]), [[null, T0, 1], ['exp-A', T0, 10], ['exp-B', T0, 2]]);
  const perMinute = await db((conn) => aggregateMetrics(conn, { experimentId: 'exp-A', variant: 'treatment', groupBy: ['bucket'], bucket: '2 minutes', metrics: ['error_rate'] }));
  assert.equal(perMinute.map((r) => [(r.group.bucket as number - T0) / MIN, r.runs]), [[4, 1], [6, 2], [8, 2]]);
});

test('filters: variant, cycle, client type, parameter version, time range [from, to)', async () => {
  const runs = (q: Parameters<typeof aggregateMetrics>[1]): Promise<number> => db(async (conn) => (await aggregateMetrics(conn, { ...q, metrics: ['error_rate'] }))[0]!.runs);
  assert.is(await runs({ experimentId: 'exp-A', variant: 'treatment' }), 5);
  assert.is(await runs({ experimentId: 'exp-A', cycleType: 'macro' }), 5);
  assert.is(await runs({ clientType: 'real' }), 1);
  assert.is(await runs({ paramVersion: 'pv-2' }), 2);
  assert.is(await runs({ experimentId: 'exp-A', from: T0 + 5 * MIN }), 5);
  assert.is(await runs({ experimentId: 'exp-A', to: new Date(T0 + 5 * MIN) }), 5);
  assert.is(await runs({ from: T0 + 1 * MIN, to: T0 + 3 * MIN }), 4);
  const treatment = await db((conn) => aggregateMetrics(conn, { experimentId: 'exp-A', from: T0 + 5 * MIN, to: T0 + 10 * MIN }));
  checkRow(treatment[0], HAND.treatment, 'time range');
});

test('per-run values: the population only, ordered by run_id', async () => {
  const values = (metric: string, variant?: string): Promise<number[]> => db(async (conn) => [...(await perRunValues(conn, { metric, experimentId: 'exp-A', ...(variant ? { variant } : {}) }))]);
  const precision = await values('precision_at_k');
  assert.equal(precision.map((v) => Math.round(v * 1e9) / 1e9), [0.5, 0, 0.666666667, 1, 0, 1]);
  assert.equal(await values('recall_at_k'), [1, 0, 0, 1, 1, 0, 1, 0]);
  assert.equal(await values('hallucination_rate'), [0, 0, 1, 0, 0, 0, 1, 0]);
  assert.equal(await values('answer_rate'), [1, 0, 1, 1, 1, 0, 1, 0]);
  assert.equal(await values('correct_rate'), [1, 0, 0, 1, 1, 0, 0, 0]);
  assert.equal(await values('latency_p95_ms'), [100, 200, 300, 400, 120, 140, 160, 180]);
  assert.equal(await values('error_rate'), [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
  assert.equal(await values('tokens_per_run', 'treatment'), [18, 20, 20, 20, 10]);
  const first = await db((conn) => perRunValues(conn, { metric: 'context_utilisation', experimentId: 'exp-A' }));
  assert.instance(first, Float64Array);
  assert.equal([...(await readPerRunValues(FILE, { metric: 'recall_at_k', experimentId: 'exp-B' }))], [1]);
});

test('per-run values and aggregates agree: length = n, mean = aggregate, for every metric and group', async () => {
  for (const variant of ['baseline', 'treatment']) {
    const [row] = await readAggregateMetrics(FILE, { experimentId: 'exp-A', variant });
    for (const metric of METRIC_NAMES) {
      const v = await readPerRunValues(FILE, { metric, experimentId: 'exp-A', variant });
      assert.is(v.length, row!.metrics[metric]!.n, `${variant} ${metric}: per-run length = n`);
      if (METRICS[metric].aggregate === 'mean') close(v.reduce((a, b) => a + b, 0) / v.length, row!.metrics[metric]!.value, `${variant} ${metric}: mean`);
    }
  }
});

test('SQL is parameterised: an experiment id or variant with quotes and SQL is only a value', async () => {
  const evil = ["'; DROP TABLE sensor_runs; --", "exp-A' OR '1'='1", 'exp-A"; DELETE FROM sensor_runs; --', "exp-A'--"];
  for (const e of evil) {
    assert.is((await db((conn) => perRunValues(conn, { metric: 'hallucination_rate', experimentId: e }))).length, 0, e);
    assert.equal(await db((conn) => aggregateMetrics(conn, { experimentId: e, groupBy: ['variant'] })), [], e);
    const [all] = await db((conn) => aggregateMetrics(conn, { experimentId: 'exp-A', variant: e, cycleType: e, paramVersion: e }));
    assert.is(all!.runs, 0, e);
    assert.equal(all!.metrics.precision_at_k, { value: null, n: 0 });
  }
  const count = await db(async (conn) => Number((await conn.runAndReadAll('SELECT count(*) AS n FROM sensor_runs')).getRowObjectsJS()[0]!.n));
  assert.is(count, ROWS.length, 'the table is intact');
});

async function rejects(p: Promise<unknown>, code: string, mentions: readonly string[]): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).code, code, (err as Error).message);
    for (const m of mentions) assert.ok((err as Error).message.includes(m), `"${(err as Error).message}" mentions ${m}`);
    return;
  }
  assert.unreachable('expected an error');
}

test('unknown metrics and group-by columns are refused, naming the known ones', async () => {
  await db(async (conn) => {
    await rejects(perRunValues(conn, { metric: 'precision', experimentId: 'exp-A' }), 'METRIC_UNKNOWN', ['"precision"', ...METRIC_NAMES]);
    await rejects(perRunValues(conn, { metric: 'error_rate FROM sensor_runs; DROP TABLE sensor_runs; --', experimentId: 'exp-A' }), 'METRIC_UNKNOWN', METRIC_NAMES);
    await rejects(aggregateMetrics(conn, { metrics: ['recall'], groupBy: [] }), 'METRIC_UNKNOWN', ['"recall"', ...METRIC_NAMES]);
    await rejects(aggregateMetrics(conn, { groupBy: ['user_id'] }), 'METRIC_UNKNOWN', ['"user_id"', ...GROUP_COLUMNS]);
    await rejects(aggregateMetrics(conn, { groupBy: ['variant; DROP TABLE sensor_runs'] }), 'METRIC_UNKNOWN', GROUP_COLUMNS);
    await rejects(aggregateMetrics(conn, { groupBy: ['variant', 'variant'] }), 'METRIC_BAD_ARGUMENT', ['twice']);
    await rejects(aggregateMetrics(conn, { metrics: [], groupBy: [] }), 'METRIC_BAD_ARGUMENT', ['non-empty']);
  });
});

test('bad bucket widths, bucket/groupBy mismatches and bad filter values are refused', async () => {
  await db(async (conn) => {
    for (const bucket of ['5 minutes; DROP TABLE sensor_runs', '0 minutes', '5 fortnights', 'minute', "5 minutes'", '1.5 hours', '']) {
      await rejects(aggregateMetrics(conn, { groupBy: ['bucket'], bucket }), 'METRIC_BAD_ARGUMENT', ['bucket', 'second, minute, hour, day, week']);
    }
    await rejects(aggregateMetrics(conn, { groupBy: ['bucket'] }), 'METRIC_BAD_ARGUMENT', ['no bucket width']);
    await rejects(aggregateMetrics(conn, { groupBy: ['variant'], bucket: '5 minutes' }), 'METRIC_BAD_ARGUMENT', ['lacks "bucket"']);
    await rejects(aggregateMetrics(conn, { from: Number.NaN }), 'METRIC_BAD_ARGUMENT', ['from']);
    await rejects(aggregateMetrics(conn, { to: new Date('not a date') }), 'METRIC_BAD_ARGUMENT', ['to']);
    await rejects(perRunValues(conn, { metric: 'error_rate', experimentId: 42 as unknown as string }), 'METRIC_BAD_ARGUMENT', ['experimentId']);
    await rejects(perRunValues(conn, { metric: 'answer_rate', unknownMarkers: [] }), 'METRIC_BAD_ARGUMENT', ['unknownMarkers']);
  });
  // valid spellings
  const week = await db((conn) => aggregateMetrics(conn, { groupBy: ['bucket'], bucket: ' 1 Week ', metrics: ['error_rate'] }));
  assert.is(week.length, 1);
});

/** Answers and golden answers where whole words, case, punctuation and markers matter. */
const HAND_PAIRS: [string, string][] = [
  ['Your dog is called Rex.', 'Rex'],
  ['REX!', 'rex'],
  ['Rexford is a town.', 'Rex'],
  ['It is Rex, you told me.', 'Rex'],
  ['"Rex"', 'Rex'],
  ["Rex's bowl", 'Rex'],
  ['(rex)', 'Rex'],
  ['You like green-tea, I think.', 'green tea'],
  ['green  tea', 'green tea'],
  ['green tea', 'Green-Tea'],
  ['greentea', 'green tea'],
  ['tea green', 'green tea'],
  ['Your blood type is A-positive.', 'A positive'],
  ['A positive!', 'A-positive'],
  ['It is 42.', '42'],
  ['It is 420.', '42'],
  ['Zoë is her name', 'zoë'],
  ['ZOË', 'Zoë'],
  ['São Paulo, of course', 'sao paulo'],
  ['São Paulo, of course', 'São-Paulo'],
  ["O'Brien", 'O Brien'],
  ['Mr. O’Brien', "O'Brien"],
  ['', 'Rex'],
  ['...', '!!!'],
  ['Rex', ''],
  ['anything', '   '],
  ["I don't know.", 'Rex'],
  ['I don’t know, but maybe Rex', 'Rex'],
  ['i DON’T KNOW', 'Paris'],
  ['I do not know, sorry', 'Paris'],
  ['I have no information about that.', 'Paris'],
  ["I'm not sure.", 'Paris'],
  ['I‘m not sure', 'Paris'],
  ['I cannot recall it', 'Paris'],
  ['I know: Paris.', 'Paris'],
  ['Paris\tis\nthe city', 'paris is the city'],
  ['rex.', 'Rex.'],
  ['rex,rex', 'rex'],
  ['x rex', 'rex'],
  ['The answer: rex;', 'REX'],
];

const PIECES = ['It is', 'I think', 'Maybe', 'you said', 'I don’t know', "I don't know", 'i do not have', 'no information', 'well', '—', '(', ')', '"', "'", '...', ',', '.', '!', '?', '-', ' ', '  ', 'rexford', 'tea'];
const GOLDENS = ['Rex', 'green tea', 'A-positive', 'Zoë', '42', "O'Brien", 'Paris', 'São Paulo', 'new york', 'x'];

/** Seeded random answers built around a golden answer written in varied forms. */
function randomPairs(seed: number, count: number): [string, string][] {
  const rng = new SplitMix32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
  const forms = (g: string): string[] => [g, g.toLowerCase(), g.toUpperCase(), g.replace(/ /g, '-'), g.replace(/ /g, ''), `${g}'s`, g.replace(/-/g, ' '), `${g}ish`];
  const out: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    const golden = pick(GOLDENS);
    const parts: string[] = [];
    const n = 1 + rng.nextInt(5);
    for (let j = 0; j < n; j++) parts.push(rng.nextDouble() < 0.4 ? pick(forms(rng.nextDouble() < 0.8 ? golden : pick(GOLDENS))) : pick(PIECES));
    out.push([parts.join(rng.nextDouble() < 0.7 ? ' ' : pick(['', ',', '. ', '  '])), golden]);
  }
  return out;
}

test('the SQL judges answers as the emulator does (containsAnswer, isUnknownAnswer): hand-picked and seeded random answers', async () => {
  const markers = loadScenarios().unknown_markers;
  const pairs = [...HAND_PAIRS, ...randomPairs(20261122, 600)];
  const rows = pairs.map(([answer, golden], i) => question(`p${String(i).padStart(4, '0')}`, 0, ['k'], golden, answer, ['k'], 1, 1, { experiment_id: 'parity' }));
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await writeSensorRuns(conn, rows);
    const correct = await perRunValues(conn, { metric: 'correct_rate', experimentId: 'parity' });
    const answered = await perRunValues(conn, { metric: 'answer_rate', experimentId: 'parity' });
    const hallucinated = await perRunValues(conn, { metric: 'hallucination_rate', experimentId: 'parity' });
    let decidedByShortcut = 0;
    pairs.forEach(([answer, golden], i) => {
      const c = containsAnswer(answer, golden);
      const unknown = isUnknownAnswer(answer, markers);
      const what = `${JSON.stringify(answer)} / ${JSON.stringify(golden)}`;
      assert.is(correct[i], c ? 1 : 0, `correct: ${what}`);
      assert.is(answered[i], c || !unknown ? 1 : 0, `answered: ${what}`);
      assert.is(hallucinated[i], !c && !unknown ? 1 : 0, `hallucinated: ${what}`);
      if (answer.toLowerCase().includes(golden.toLowerCase())) decidedByShortcut++;
    });
    assert.ok(decidedByShortcut > 50 && decidedByShortcut < pairs.length - 50, 'the corpus exercises the shortcuts and the full normalization');
    // custom markers replace the default ones; regex metacharacters in a marker are literal
    const custom = await perRunValues(conn, { metric: 'answer_rate', experimentId: 'parity', unknownMarkers: ['(', 'rexford'] });
    pairs.forEach(([answer, golden], i) => assert.is(custom[i], containsAnswer(answer, golden) || !isUnknownAnswer(answer, ['(', 'rexford']) ? 1 : 0, `custom markers: ${JSON.stringify(answer)}`));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});

test('unknownMarkersPattern: literal markers, any apostrophe', () => {
  assert.is(unknownMarkersPattern(["I don't know", 'a.b (c)']), "i don['‘’]t know|a\\.b \\(c\\)");
});

test('docs/METRICS.md holds every metric\'s SQL as the code builds it (regenerate: node --import tsx control/teacher/doc.ts --write)', () => {
  const text = fs.readFileSync(METRICS_DOC, 'utf8');
  const { problems } = syncDoc(text);
  assert.equal(problems, []);
  const headings = text.split('\n').filter((l) => l.startsWith('### '));
  for (const name of METRIC_NAMES) assert.ok(headings.some((h) => h.includes(`\`${name}\``)), `a section for ${name}`);
});

test('the doc\'s generated statements and CLI examples run in DuckDB and give the API\'s numbers', async () => {
  const text = fs.readFileSync(METRICS_DOC, 'utf8');
  const sql = (block: string): string => /```sql\n([\s\S]*?)\n```/.exec(block)![1]!;
  const examples = sql(text.slice(text.indexOf('<!-- cli-examples -->')))
    .split('\n')
    .filter((l) => l.startsWith('EXECUTE'))
    .map((l) => l.replace(/'exp-7'/g, "'exp-A'"));
  assert.is(examples.length, 4);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await writeSensorRuns(conn, ROWS);
    for (const block of docBlocks().values()) if (block.includes('```sql')) await conn.run(sql(block));
    const results = [];
    for (const e of examples) results.push((await conn.runAndReadAll(e)).getRowObjectsJS());
    assert.equal(results[0]!.map((r) => Math.round(Number(r.value) * 1000) / 1000), [0.5, 0, 0.667, 1, 0, 1]);
    assert.equal(results[1]!.map((r) => Number(r.value)), [0, 0, 1, 0, 0, 0, 1, 0]);
    const api = await aggregateMetrics(conn, { experimentId: 'exp-A', groupBy: ['variant', 'cycle_type'] });
    assert.is(results[2]!.length, api.length);
    results[2]!.forEach((r, i) => {
      for (const m of METRIC_NAMES) close(r[m] === null ? null : Number(r[m]), api[i]!.metrics[m]!.value, `doc aggregate ${m}`);
    });
    assert.equal(results[3]!.map((r) => [r.variant, (r.bucket as Date).getTime(), Number(r.runs)]), [['baseline', T0, 5], ['treatment', T0 + 5 * MIN, 5]]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});

test.run();
