import { spawnSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { runTopology } from '../../../engine/runtime.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import type { TopologySpec } from '../../../topologies/spec.ts';
import { kafkaTarget, TEST_CONSUMER_TIMINGS, type KafkaTarget } from '../../support/kafka/mock-broker.ts';

const schemas = SchemaRegistry.load();
const FIXTURE = path.resolve('test/streams/kafka/fixtures/kafka-crash-run.ts');
let target: KafkaTarget;
let kafka: Kafka;
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-kafka-'));

test.before(async () => {
  target = await kafkaTarget({ brokers: 3, topics: { readings: 3, results: 2, 'readings.dlq': 1, 'faults-in': 3, 'faults-out': 3, 'crash-in': 3 } });
  kafka = new Kafka({ clientId: 'test', brokers: target.brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
});
test.after(async () => {
  await target?.stop();
});

const source = (topic: string, group: string, extra: Record<string, unknown> = {}): TopologySpec['sources'][number] => ({
  id: 'in',
  type: 'kafka',
  params: { brokers: target.brokers, topic, group, stopAtEnd: true, ...TEST_CONSUMER_TIMINGS, ...extra },
  format: 'json',
});

async function produce(topic: string, messages: { key: string | null; value: Buffer; timestamp?: number }[]): Promise<{ partition: number; offset: number }[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  await producer.connect();
  const at: { partition: number; offset: number }[] = [];
  try {
    for (const m of messages) {
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ key: m.key, value: m.value, timestamp: m.timestamp === undefined ? undefined : String(m.timestamp) }] });
      at.push({ partition: meta!.partition, offset: Number(meta!.baseOffset) });
    }
  } finally {
    await producer.disconnect();
  }
  return at;
}

async function produceMany(topic: string, messages: { key: string | null; value: Buffer }[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
  await producer.disconnect();
}

/** Everything in a topic, read by a fresh group until `count` records arrived. */
async function readAll(topic: string, count: number): Promise<{ partition: number; offset: number; key: string | null; value: Buffer; headers: IHeaders }[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}`, ...TEST_CONSUMER_TIMINGS });
  const rows: { partition: number; offset: number; key: string | null; value: Buffer; headers: IHeaders }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${rows.length} of ${count} records from ${topic}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        rows.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value ?? Buffer.alloc(0), headers: message.headers ?? {} });
        if (rows.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return rows;
}

test('produce (Avro) -> kafka source -> keyBy + window -> kafka results topic and jsonl, exact contents; malformed -> DLQ with headers', async () => {
  const rng = new SplitMix32(11);
  const encode = schemas.encoder('demo.Reading@1');
  const good: { sensor: string; value: number; ts: number }[] = [];
  const messages: { key: string; value: Buffer; timestamp: number }[] = [];
  const bad = new Set<number>();
  for (let i = 0; i < 1200; i++) {
    const r = { sensor: `s${rng.nextInt(5)}`, value: rng.nextInt(100), ts: 1_700_000_000_000 + i * 37 };
    let value = Buffer.from(encode(r));
    if (rng.nextInt(40) === 0) {
      value = value.subarray(0, 3);
      bad.add(i);
    } else good.push(r);
    messages.push({ key: r.sensor, value, timestamp: r.ts });
  }
  const positions = await produce('readings', messages);
  const dir = tmp();
  const spec: TopologySpec = {
    name: 'kafka-windows',
    sources: [{ ...source('readings', 'g-windows'), format: 'avro', schema: 'demo.Reading@2', eventTime: 'value.ts', maxOutOfOrderness: '1h', deadLetter: { topic: 'readings.dlq' } }],
    operators: [
      { id: 'by-sensor', type: 'keyBy', input: 'in', params: { expr: 'value.sensor' } },
      { id: 'w', type: 'window', input: 'by-sensor', params: { window: { type: 'tumbling', size: '1s' }, aggregations: { count: { fn: 'count' }, sum: { fn: 'sum', expr: 'value.value' }, unit: { fn: 'last', value: 'value.unit' } } } },
    ],
    sinks: [
      { id: 'file', type: 'jsonl', input: 'w', params: { path: path.join(dir, 'windows.jsonl') } },
      { id: 'topic', type: 'kafka', input: 'w', params: { brokers: target.brokers, topic: 'results' } },
    ],
  };
  const summary = await runTopology(spec, { schemas, dataDir: dir });
  assert.is(summary.sourceRecords, good.length);
  assert.is(summary.deadLetters, bad.size);

  const expected = new Map<string, { key: string; windowStart: number; windowEnd: number; count: number; sum: number; unit: string }>();
  for (const r of good) {
    const start = Math.floor(r.ts / 1000) * 1000;
    const id = `${r.sensor}|${start}`;
    const cur = expected.get(id) ?? { key: r.sensor, windowStart: start, windowEnd: start + 1000, count: 0, sum: 0, unit: 'C' };
    cur.count++;
    cur.sum += r.value;
    expected.set(id, cur);
  }
  const sort = <T extends { key: string; windowStart: number }>(rows: T[]): T[] => rows.sort((a, b) => a.windowStart - b.windowStart || (a.key < b.key ? -1 : 1));
  const want = sort([...expected.values()]);
  const fromFile = fs.readFileSync(path.join(dir, 'windows.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as (typeof want)[number]);
  assert.equal(sort(fromFile), want);
  const fromTopic = await readAll('results', want.length);
  assert.equal(sort(fromTopic.map((r) => JSON.parse(r.value.toString()) as (typeof want)[number])), want);
  for (const r of fromTopic) assert.is(r.key, (JSON.parse(r.value.toString()) as { key: string }).key);

  const dlq = await readAll('readings.dlq', bad.size);
  const expectedDlq = [...bad].map((i) => ({ ...positions[i]!, raw: messages[i]!.value.toString('hex') })).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const gotDlq = dlq
    .map((r) => {
      const h = (k: string): string => String(r.headers[k] ?? '');
      assert.is(h('dlq.topic'), 'readings');
      assert.ok(h('dlq.reason').length > 0);
      return { partition: Number(h('dlq.partition')), offset: Number(h('dlq.offset')), raw: r.value.toString('hex') };
    })
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  assert.equal(gotDlq, expectedDlq);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a restarted engine without its checkpoint resumes from the committed group offsets (no full re-delivery)', async () => {
  const first = tmp();
  const spec = (dir: string): TopologySpec => ({
    name: 'kafka-resume',
    sources: [{ ...source('readings', 'g-resume'), format: 'bytes' }],
    sinks: [{ id: 'out', type: 'jsonl', input: 'in', params: { path: path.join(dir, 'out.jsonl'), shape: 'record' } }],
  });
  const a = await runTopology(spec(first), { schemas, dataDir: first });
  assert.ok(a.sourceRecords >= 1200);
  await produce('readings', Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`late-${i}`) })));
  const second = tmp();
  const b = await runTopology(spec(second), { schemas, dataDir: second });
  assert.is(b.restoredFromEpoch, null, 'no checkpoint in the new data dir');
  assert.is(b.sourceRecords, 50);
  fs.rmSync(first, { recursive: true, force: true });
  fs.rmSync(second, { recursive: true, force: true });
});

test('broker down/up and injected request errors while consuming and producing: nothing lost, no duplicate in the exactly-once sink', async () => {
  if (target.external) {
    console.log('  (skipped: fault injection needs the mock cluster, not KAFKA_BROKERS)');
    return;
  }
  const n = 12_000;
  await produceMany('faults-in', Array.from({ length: n }, (_, i) => ({ key: `k${i % 17}`, value: Buffer.from(JSON.stringify({ id: i })) })));
  const dir = tmp();
  const spec: TopologySpec = {
    name: 'kafka-faults',
    checkpoint: { interval: '100ms' },
    runtime: { batchSize: 200 },
    sources: [source('faults-in', 'g-faults', { maxBufferedRecords: 400 })],
    operators: [{ id: 'tag', type: 'map', input: 'in', params: { fields: { id: 'value.id', doubled: 'value.id * 2' } } }],
    sinks: [
      { id: 'file', type: 'jsonl', input: 'tag', params: { path: path.join(dir, 'out.jsonl') } },
      { id: 'topic', type: 'kafka', input: 'tag', params: { brokers: target.brokers, topic: 'faults-out', retry: { retries: 20, initialRetryTime: 100 } } },
    ],
  };
  let step = 0;
  const faults: Promise<void>[] = [];
  const summary = await runTopology(spec, {
    schemas,
    dataDir: dir,
    onCheckpoint: () => {
      step++;
      // the outage lasts 1.5 s of wall time: checkpoints cannot advance while a leader is down (sinks must flush)
      if (step === 2) faults.push(target.brokerDown(2).then(() => delay(1500)).then(() => target.brokerUp(2)));
      if (step === 3) faults.push(target.injectErrors(0, 4, 7)); // Produce: REQUEST_TIMED_OUT
      if (step === 4) faults.push(target.injectErrors(1, 4, 6)); // Fetch: NOT_LEADER_FOR_PARTITION
    },
  });
  await Promise.all(faults);
  assert.ok(step >= 5, `only ${step} checkpoints: the faults did not all happen during the run`);
  assert.is(summary.sourceRecords, n);
  const ids = fs.readFileSync(path.join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id);
  assert.is(ids.length, n, 'each record exactly once in the jsonl sink');
  assert.is(new Set(ids).size, n);
  const produced = await readAll('faults-out', n);
  assert.is(new Set(produced.map((r) => (JSON.parse(r.value.toString()) as { id: number }).id)).size, n, 'every record reached the output topic');
  fs.rmSync(dir, { recursive: true, force: true });
});

for (const where of ['commit', 'position'] as const) {
  test(`SIGKILL ${where === 'commit' ? 'between checkpoint and offset commit' : 'between sink flush and checkpoint'}: no duplicate rows after restart`, async () => {
    const dir = tmp();
    const group = `g-crash-${where}`;
    const spec: TopologySpec = {
      name: `kafka-crash-${where}`,
      checkpoint: { interval: '50ms' },
      runtime: { batchSize: 100 },
      sources: [source('crash-in', group, { maxBufferedRecords: 200 })],
      sinks: [{ id: 'file', type: 'jsonl', input: 'in', params: { path: path.join(dir, 'out.jsonl') } }],
    };
    if (where === 'commit') await produceMany('crash-in', Array.from({ length: 3000 }, (_, i) => ({ key: `k${i % 7}`, value: Buffer.from(JSON.stringify({ id: i })) })));
    const run = (mode: string, nth: number): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(spec), dir, mode, String(nth)], { encoding: 'utf8', timeout: 60_000 });
    const killed = run(where, 4);
    assert.is(killed.signal, 'SIGKILL', `the child was not killed: ${String(killed.stderr)}`);
    const finished = run('none', 0);
    assert.is(finished.status, 0, String(finished.stderr));
    assert.match(String(finished.stdout), /"restoredFrom":\d+/);
    const ids = fs.readFileSync(path.join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id);
    assert.is(ids.length, 3000);
    assert.is(new Set(ids).size, 3000);
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test.run();
