/** The MaaS sensor: its fold on hand-written events, then topologies/maas/sensor.yaml end to end, killed and resumed. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { runTopology } from '../../../engine/runtime.ts';
import { TopologyTestDriver, type CollectedRecord } from '../../../engine/test-driver.ts';
import type { PipelineRunEvent, PipelineState, SensorRow } from '../../../operators/sensor/sensor.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import type { TopologySpec } from '../../../topologies/spec.ts';
import { loadTopology } from '../../../topologies/validate.ts';
import { runAndKill, runToEnd } from '../../engine/crash-harness.ts';
import { schemas } from '../../streams/connectors/helpers.ts';
import { generateRuns, T0, writeRunsToLog } from './fixtures/events.ts';

const SENSOR = [{ id: 'sensor', type: 'sensor', input: 'in' }];

function ev(run: string, seq: number, state: PipelineState, at: number, extra: Partial<PipelineRunEvent> = {}): PipelineRunEvent {
  return {
    run_id: run,
    seq,
    state,
    at,
    thread_id: 'th-1',
    user_id: 'u-1',
    client_type: 'emulator',
    param_version: 'pv-7',
    experiment_id: 'exp-1',
    variant: 'treatment',
    cycle_type: 'micro',
    attempt: 0,
    reason: null,
    model_id: null,
    prompt_template_hash: null,
    prompt_tokens: 0,
    completion_tokens: 0,
    stage_latency_ms: 0,
    keywords: [],
    memories_found: 0,
    memories_retrieved: 0,
    memories_used: 0,
    retrieved_memory_ids: [],
    retrieved_fact_keys: [],
    golden_fact_keys: [],
    golden_answer: null,
    answer: null,
    ...extra,
  };
}

/** A run that completes: NEW -> ... -> COMPLETED, the counters on the stages that produce them. */
function completedRun(run: string, t: number): PipelineRunEvent[] {
  return [
    ev(run, 0, 'NEW', t, { golden_fact_keys: ['f-1', 'f-2'], golden_answer: 'blue' }),
    ev(run, 1, 'ANALYZING', t + 5),
    ev(run, 2, 'ANALYZED', t + 40, { prompt_tokens: 50, completion_tokens: 8, keywords: ['color'] }),
    ev(run, 3, 'ASSEMBLING', t + 45),
    ev(run, 4, 'READY', t + 60, { memories_found: 12, memories_retrieved: 3, retrieved_memory_ids: ['m-1', 'm-2', 'm-3'], retrieved_fact_keys: ['f-1', 'f-9', 'f-2'] }),
    ev(run, 5, 'RESPONDING', t + 61),
    ev(run, 6, 'COMPLETED', t + 250, { prompt_tokens: 400, completion_tokens: 30, memories_used: 2, answer: 'It is blue.' }),
  ];
}

const COMPLETED_ROW: Omit<SensorRow, 'run_id' | 'started_at' | 'ended_at'> = {
  thread_id: 'th-1',
  user_id: 'u-1',
  client_type: 'emulator',
  param_version: 'pv-7',
  experiment_id: 'exp-1',
  variant: 'treatment',
  cycle_type: 'micro',
  latency_ms: 250,
  prompt_tokens: 450,
  completion_tokens: 38,
  memories_found: 12,
  memories_retrieved: 3,
  memories_used: 2,
  retrieved_memory_ids: ['m-1', 'm-2', 'm-3'],
  retrieved_fact_keys: ['f-1', 'f-9', 'f-2'],
  golden_fact_keys: ['f-1', 'f-2'],
  golden_answer: 'blue',
  answer: 'It is blue.',
  status: 'COMPLETED',
  error: null,
  attempts: 1,
  transitions: 7,
};

const records = (events: readonly PipelineRunEvent[]): { value: PipelineRunEvent; timestamp: number }[] => events.map((e) => ({ value: e, timestamp: e.at }));
const rows = (out: readonly CollectedRecord[]): SensorRow[] => out.map((r) => r.value as SensorRow);
const stores = (d: TopologyTestDriver): Record<string, number> => ({
  runs: d.state.store('sensor', 'runs').size,
  pending: d.state.store('sensor', 'pending').size,
  finished: d.state.store('sensor', 'finished').size,
});

test('a completed run: one row when COMPLETED arrives, keyed by run_id at its time; the run state is deleted', async () => {
  const d = await TopologyTestDriver.create(SENSOR);
  const events = completedRun('r-1', T0);
  d.push('in', records(events.slice(0, 4)), -Infinity);
  assert.equal(d.output('sensor'), [], 'nothing before the terminal event');
  assert.is(stores(d).runs, 1);
  d.push('in', records(events.slice(4)), -Infinity); // the watermark has not moved: the row does not wait for it
  const out = d.output('sensor');
  assert.is(out.length, 1);
  assert.equal(out[0]!.value, { run_id: 'r-1', ...COMPLETED_ROW, started_at: T0, ended_at: T0 + 250 });
  assert.is(out[0]!.key, 'r-1');
  assert.is(out[0]!.timestamp, T0 + 250);
  assert.equal(stores(d), { runs: 0, pending: 0, finished: 1 });
});

test('a failed run: status FAILED with the reason, tokens of retried attempts summed, attempts = max attempt + 1', async () => {
  const d = await TopologyTestDriver.create(SENSOR);
  const t = T0;
  d.push(
    'in',
    records([
      ev('r-2', 0, 'NEW', t),
      ev('r-2', 1, 'ANALYZING', t + 5),
      ev('r-2', 2, 'ANALYZING', t + 900, { attempt: 1, reason: 'llm timeout', prompt_tokens: 120, completion_tokens: 3 }),
      ev('r-2', 3, 'ANALYZING', t + 1900, { attempt: 2, reason: 'llm timeout', prompt_tokens: 120 }),
      ev('r-2', 4, 'FAILED', t + 2900, { attempt: 2, reason: 'llm timeout after 3 attempts', prompt_tokens: 120, completion_tokens: 1 }),
    ]),
    -Infinity,
  );
  const [row] = rows(d.output('sensor'));
  assert.equal(row, {
    ...COMPLETED_ROW,
    run_id: 'r-2',
    started_at: t,
    ended_at: t + 2900,
    latency_ms: 2900,
    prompt_tokens: 360,
    completion_tokens: 4,
    memories_found: 0,
    memories_retrieved: 0,
    memories_used: 0,
    retrieved_memory_ids: [],
    retrieved_fact_keys: [],
    golden_fact_keys: [],
    golden_answer: null,
    answer: null,
    status: 'FAILED',
    error: 'llm timeout after 3 attempts',
    attempts: 3,
    transitions: 5,
  });
});

test('duplicated events (same run_id and seq) count once, before and after the row; later ones are dropped and counted', async () => {
  const d = await TopologyTestDriver.create(SENSOR);
  const events = completedRun('r-3', T0);
  // an at-least-once producer sent ANALYZED and READY twice, the second copies in a later batch
  d.push('in', records([events[0]!, events[1]!, events[2]!, events[2]!, events[3]!]), -Infinity);
  d.push('in', records([events[4]!, events[2]!, events[4]!, events[5]!, events[6]!]), -Infinity);
  // a replay of the whole run after its row: dropped, no second (partial) row
  d.push('in', records(events), -Infinity);
  const out = rows(d.output('sensor'));
  assert.equal(out, [{ run_id: 'r-3', ...COMPLETED_ROW, started_at: T0, ended_at: T0 + 250 }]);
  assert.is(d.metrics.total('sensor_duplicate_events'), 3);
  assert.is(d.metrics.total('sensor_events_after_end'), 7);
});

test('out-of-order arrival within a run: any order of its events gives the same row; a terminal that overtook others waits for them', async () => {
  const events = completedRun('r-4', T0);
  const expected = { run_id: 'r-4', ...COMPLETED_ROW, started_at: T0, ended_at: T0 + 250 };
  const rng = new SplitMix32(5);
  for (let round = 0; round < 20; round++) {
    const shuffled = [...events];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const d = await TopologyTestDriver.create(SENSOR);
    for (const e of shuffled) {
      assert.equal(d.output('sensor'), [], `no row before the last of its events (${shuffled.map((x) => x.seq).join(',')})`);
      d.push('in', records([e]), T0 - 1); // on time: the watermark stays below every event
    }
    assert.equal(rows(d.output('sensor')), [expected], `order ${shuffled.map((x) => x.seq).join(',')}`);
    assert.equal(stores(d), { runs: 0, pending: 0, finished: 1 });
  }
});

test('a terminal whose earlier transitions never come: the row is emitted once the watermark passes it (NEW missing: started_at and latency null)', async () => {
  const d = await TopologyTestDriver.create(SENSOR);
  const events = completedRun('r-5', T0);
  d.push('in', records(events.slice(2)), T0); // NEW and ANALYZING lost
  assert.equal(d.output('sensor'), []);
  assert.is(stores(d).pending, 1);
  assert.equal(d.emittedWatermarks('sensor').at(-1), T0, 'the output watermark is the input one while it is below the pending terminal');
  d.push('in', [], T0 + 250); // equal to the terminal's time: a transition at that time could still come
  assert.equal(d.output('sensor'), []);
  assert.equal(d.emittedWatermarks('sensor').at(-1), T0 + 250);
  d.push('in', [], T0 + 10_000);
  const out = d.output('sensor');
  assert.equal(rows(out), [{ run_id: 'r-5', ...COMPLETED_ROW, started_at: null, ended_at: T0 + 250, latency_ms: null, transitions: 5, golden_fact_keys: [], golden_answer: null }]);
  assert.is(out[0]!.timestamp, T0 + 250);
  assert.is(d.metrics.total('sensor_incomplete_runs'), 1);
  assert.equal(stores(d), { runs: 0, pending: 0, finished: 1 });
  // a late NEW of the run is dropped, not a second row
  d.push('in', records(events.slice(0, 1)), T0 + 10_000);
  assert.is(d.output('sensor').length, 1);
  assert.is(d.metrics.total('sensor_events_after_end'), 1);
});

test('a late terminal with transitions missing is emitted at once; a run that never ends stays open', async () => {
  const d = await TopologyTestDriver.create(SENSOR);
  d.push('in', records([ev('r-6', 0, 'NEW', T0 + 5000)]), T0 + 6000); // an open run
  d.push('in', records([ev('r-7', 3, 'FAILED', T0, { reason: 'assembler crashed' })]), T0 + 6000);
  assert.equal(rows(d.output('sensor')).map((r) => [r.run_id, r.status, r.error, r.started_at, r.transitions]), [['r-7', 'FAILED', 'assembler crashed', null, 1]]);
  d.end();
  assert.is(d.output('sensor').length, 1, 'the open run r-6 yields no row, even at the end of a bounded input');
  assert.equal(stores(d), { runs: 1, pending: 0, finished: 0 });
});

test('finished run ids are forgotten once the watermark is past their end by finishedRetention', async () => {
  const d = await TopologyTestDriver.create([{ id: 'sensor', type: 'sensor', input: 'in', params: { finishedRetention: '1m' } }]);
  d.push('in', records([...completedRun('a', T0), ...completedRun('b', T0 + 30_000)]), T0 + 60_000);
  assert.is(stores(d).finished, 2);
  d.push('in', [], T0 + 250 + 60_001);
  assert.equal([...d.state.store<string, number>('sensor', 'finished').keys()], ['b']);
  d.push('in', [], T0 + 30_250 + 60_001);
  assert.is(stores(d).finished, 0);
});

test('state survives a checkpoint: a run folded half before and half after a restore gives the same row', async () => {
  const events = completedRun('r-8', T0);
  const first = await TopologyTestDriver.create(SENSOR);
  first.push('in', records(events.slice(0, 3)), T0);
  const second = await TopologyTestDriver.create(SENSOR, first.snapshot());
  second.push('in', records([events[2]!, ...events.slice(3)]), T0); // replays seq 2 as a restarted source would
  assert.equal(rows(second.output('sensor')), [{ run_id: 'r-8', ...COMPLETED_ROW, started_at: T0, ended_at: T0 + 250 }]);
});

test('a value that is not a pipeline-run event (an unchecked json input) fails the run with RECORD_VALIDATE naming the operator and field', async () => {
  const dir = tmp('invalid');
  try {
    const input = path.join(dir, 'events.jsonl');
    fs.writeFileSync(input, `${JSON.stringify(ev('r-9', 0, 'NEW', T0))}\n${JSON.stringify({ run_id: 'x', seq: 0, state: 'DONE', at: T0 })}\n`);
    const spec: TopologySpec = {
      name: 'sensor-invalid',
      sources: [{ id: 'in', type: 'replay', params: { path: input }, eventTime: 'value.at' }],
      operators: SENSOR,
      sinks: [{ id: 'out', type: 'blackhole', input: 'sensor' }],
    };
    const err = await runTopology(spec, { schemas, dataDir: dir }).then(() => undefined, (e: unknown) => e);
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).code, 'RECORD_VALIDATE');
    assert.match((err as MaasflowError).message, 'sensor "sensor": record 1 of the batch is not a maas.PipelineRunEvent: state "DONE" is not a pipeline state');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('generated runs with duplicates, in batches that split runs: exactly one row per run, equal to the generator\'s own account', async () => {
  const { events, expected } = generateRuns({ runs: 600, seed: 3, duplicateRate: 0.05 });
  const d = await TopologyTestDriver.create(SENSOR);
  let maxAt = -Infinity;
  for (let i = 0; i < events.length; i += 97) {
    const batch = events.slice(i, i + 97);
    for (const e of batch) maxAt = Math.max(maxAt, e.at);
    d.push('in', records(batch), maxAt - 5000); // a watermark 5 s behind, as the topology's maxOutOfOrderness
  }
  d.end();
  const out = rows(d.output('sensor'));
  assert.is(out.length, expected.size);
  assert.equal(new Map(out.map((r) => [r.run_id, r])), expected);
  assert.ok(d.metrics.total('sensor_duplicate_events') + d.metrics.total('sensor_events_after_end') > 0, 'the input had duplicates');
  assert.is(d.metrics.total('sensor_incomplete_runs'), 0);
});

// ---- topologies/maas/sensor.yaml end to end ----

const SHIPPED = path.resolve('topologies/maas/sensor.yaml');

/** The shipped topology, bounded, with its DuckDB file in `dir` and frequent small checkpoints (so a kill lands between them). */
function sensorTopology(dir: string): string {
  const { spec } = loadTopology(SHIPPED, schemas);
  const tuned: TopologySpec = {
    ...spec,
    checkpoint: { interval: '20ms' },
    runtime: { batchSize: 256 },
    sources: spec.sources.map((s) => ({ ...s, params: { ...s.params, stopAtEnd: true } })),
    sinks: spec.sinks.map((s) => (s.type === 'duckdb' ? { ...s, params: { ...s.params, path: path.join(dir, 'sensor.duckdb') } } : s)),
  };
  const file = path.join(dir, 'sensor.json');
  fs.writeFileSync(file, JSON.stringify(tuned));
  return file;
}

/** Every row of sensor_runs as the operator emitted it (timestamps back to epoch ms, BIGINT to number). */
async function tableRows(file: string): Promise<Map<string, SensorRow>> {
  const instance = await DuckDBInstance.create(file);
  try {
    const conn = await instance.connect();
    try {
      const result = await conn.runAndReadAll('SELECT * REPLACE (epoch_ms(started_at) AS started_at, epoch_ms(ended_at) AS ended_at) FROM sensor_runs ORDER BY run_id');
      const out = new Map<string, SensorRow>();
      for (const r of result.getRowObjectsJS()) {
        const row = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])) as unknown as SensorRow;
        out.set(row.run_id, row);
      }
      return out;
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

function tmp(what: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `maasflow-sensor-${what}-`));
}

test('the shipped topology validates and describes the sensor keyed by run_id', () => {
  const { spec } = loadTopology(SHIPPED, schemas);
  assert.is(spec.operators?.[0]?.type, 'sensor');
  assert.equal(spec.sinks[0]!.params?.key, ['run_id']);
  assert.is(spec.sinks[0]!.params?.mode, 'upsert');
});

test('end to end: Avro events of N runs in the embedded log -> sensor -> sensor_runs holds exactly one row per run, as expected', async () => {
  const dir = tmp('e2e');
  try {
    const { events, expected } = generateRuns({ runs: 1500, seed: 21, duplicateRate: 0.03 });
    writeRunsToLog(dir, events, { schemas });
    const { spec } = loadTopology(sensorTopology(dir), schemas);
    const summary = await runTopology(spec, { schemas, dataDir: dir });
    assert.ok(summary.completed);
    assert.is(summary.sourceRecords, events.length);
    assert.is(summary.sinkRecords, expected.size);
    assert.ok(summary.checkpoints > 2, `several checkpoints (${summary.checkpoints})`);
    const table = await tableRows(path.join(dir, 'sensor.duckdb'));
    assert.equal(table, new Map([...expected].sort(([a], [b]) => (a < b ? -1 : 1))));
    // a full replay of the topic (fresh state, a new consumer group) upserts the same rows: the table is unchanged
    const replay: TopologySpec = { ...spec, sources: spec.sources.map((s) => ({ ...s, params: { ...s.params, group: 'replay' } })) };
    const again = await runTopology(replay, { schemas, dataDir: dir, fresh: true });
    assert.is(again.sinkRecords, expected.size);
    assert.equal(await tableRows(path.join(dir, 'sensor.duckdb')), table);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('killed mid-run (SIGKILL after some checkpoints) and resumed: no row lost or duplicated, every row as in an uninterrupted run', async () => {
  const root = tmp('crash');
  try {
    const { events, expected } = generateRuns({ runs: 6000, seed: 33, duplicateRate: 0.02 });
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    for (const dir of [a, b]) {
      fs.mkdirSync(dir);
      writeRunsToLog(dir, events, { schemas });
    }
    runToEnd(sensorTopology(a), a);
    const uninterrupted = await tableRows(path.join(a, 'sensor.duckdb'));
    assert.equal(uninterrupted, new Map([...expected].sort(([x], [y]) => (x < y ? -1 : 1))), 'the uninterrupted run matches the generator');

    const file = sensorTopology(b);
    const rng = new SplitMix32(8);
    for (let kill = 0; kill < 2; kill++) {
      const hit = await runAndKill(file, b, 2 + rng.nextInt(4), rng.nextInt(15));
      assert.ok(hit, `kill ${kill + 1} landed after the job finished: the input is too small`);
    }
    assert.match(runToEnd(file, b), /"restoredFrom":\d+/);
    const resumed = await tableRows(path.join(b, 'sensor.duckdb'));
    assert.is(resumed.size, uninterrupted.size, 'one row per run');
    assert.equal(resumed, uninterrupted);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.run();
