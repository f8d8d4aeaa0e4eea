import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { runTopology } from '../../../engine/runtime.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import type { TopologySpec } from '../../../topologies/spec.ts';
import { kafkaTarget, TEST_CONSUMER_TIMINGS, type KafkaTarget } from '../../support/kafka/mock-broker.ts';

// Scale-out: engine processes of one consumer group each run one task per partition they own; task state is
// snapshotted to the GROUP.state topic at every checkpoint. History is written by ONE writer process (DuckDB
// allows one writing process per file): the engines publish results to Kafka, a history-writer topology upserts
// them into DuckDB by key, so replays after a takeover or a crash leave exactly one row per key.

const schemas = SchemaRegistry.load();
const FIXTURE = path.resolve('test/streams/kafka/fixtures/kafka-scale-run.ts');
const CRASH_FIXTURE = path.resolve('test/streams/kafka/fixtures/kafka-crash-run.ts');
const RECORDS = 12_000;
const USERS = 40;
let target: KafkaTarget;
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-scale-'));

test.before(async () => {
  target = await kafkaTarget({ brokers: 3, topics: { 'so-in': 4, 'so-counts': 2, 'so-seen': 2, 'g-so.state': 2 } });
});
test.after(async () => {
  await target?.stop();
});

interface Child { proc: ChildProcess; events: Record<string, unknown>[]; exited: Promise<number | null>; on(fn: (e: Record<string, unknown>) => void): void }

function startEngine(spec: TopologySpec, dir: string, pollDelayMs: number): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(spec), dir, String(pollDelayMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  const listeners: ((e: Record<string, unknown>) => void)[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as Record<string, unknown>;
    events.push(e);
    for (const fn of listeners) fn(e);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(stderr);
    resolve(code);
  }));
  return { proc, events, exited, on: (fn) => listeners.push(fn) };
}

function waitFor<T>(what: string, ms: number, check: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    check((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

async function query(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

test('two engine processes split the partitions; one is killed; the other restores its tasks; every record and count exactly once in DuckDB', async () => {
  const rng = new SplitMix32(23);
  const expected = new Map<string, { count: number; total: number }>();
  const messages: { key: string; value: Buffer }[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const user = `u${rng.nextInt(USERS)}`;
    const n = rng.nextInt(1000);
    const cur = expected.get(user) ?? { count: 0, total: 0 };
    cur.count++;
    cur.total += n;
    expected.set(user, cur);
    messages.push({ key: user, value: Buffer.from(JSON.stringify({ id: i, user, n })) });
  }
  const kafka = new Kafka({ clientId: 'scale-test', brokers: target.brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic: 'so-in', acks: -1, messages: messages.slice(i, i + 1000) });
  await producer.disconnect();

  // producers key by user, so a user's records are all in one partition: per-partition state is per-user state
  const engine: TopologySpec = {
    name: 'scale-out',
    runtime: { tasks: 'perPartition', batchSize: 100 },
    checkpoint: { interval: '200ms' },
    sources: [{ id: 'in', type: 'kafka', format: 'json', params: { brokers: target.brokers, topic: 'so-in', group: 'g-so', stopAtEnd: true, ...TEST_CONSUMER_TIMINGS } }],
    operators: [
      { id: 'by-user', type: 'keyBy', input: 'in', params: { expr: 'value.user' } },
      { id: 'totals', type: 'aggregate', input: 'by-user', params: { aggregations: { count: { fn: 'count' }, total: { fn: 'sum', expr: 'value.n' } } } },
      { id: 'seen', type: 'map', input: 'in', params: { fields: { id: 'value.id', user: 'value.user' } } },
    ],
    sinks: [
      { id: 'counts', type: 'kafka', input: 'totals', params: { brokers: target.brokers, topic: 'so-counts' } },
      { id: 'seen-out', type: 'kafka', input: 'seen', params: { brokers: target.brokers, topic: 'so-seen' } },
    ],
  };
  const a = startEngine(engine, tmp(), 15);
  const b = startEngine(engine, tmp(), 15);
  const owned = { a: false, b: false };
  a.on((e) => { if (Array.isArray(e.assigned) && e.assigned.length > 0) owned.a = true; });
  b.on((e) => { if (Array.isArray(e.assigned) && e.assigned.length > 0) owned.b = true; });

  // kill A once both processes owned partitions and A checkpointed some progress of its own
  const killedAt = await waitFor<number>('both engines owning partitions and A checkpointing progress', 60_000, (resolve) => {
    a.on((e) => {
      if (typeof e.checkpoint === 'number' && owned.a && owned.b && (e.records as number) >= 600) {
        a.proc.kill('SIGKILL');
        resolve(e.records as number);
      }
      if (e.done) resolve(-1);
    });
  });
  assert.ok(killedAt > 0, 'A was killed mid-run (it had not finished)');
  assert.is(await a.exited, null, 'A died by signal');
  assert.ok(owned.a && owned.b, 'both processes owned partitions (the group split them)');
  assert.is(await waitFor<number | null>('B to finish', 120_000, (resolve) => void b.exited.then(resolve)), 0);
  if (process.env.SCALE_DEBUG) console.log(JSON.stringify({ a: a.events.filter((e) => !e.checkpoint), b: b.events.filter((e) => !e.checkpoint), killedAt }));
  const done = b.events.find((e) => e.done)!;
  assert.ok(done, 'B finished the job');
  assert.ok((done.restored as number) >= 1, `B restored A's tasks from their snapshots (restored ${String(done.restored)})`);
  assert.ok((done.rebalanceCheckpoints as number) >= 1, 'B checkpointed its tasks when the rebalance after A\'s death started');
  assert.ok((done.records as number) < RECORDS, `B did not re-read everything (${String(done.records)} of ${RECORDS})`);

  // the history writer: one process, upserting by key into DuckDB (run it with a crash between flush and commit first)
  const dir = tmp();
  const history: TopologySpec = {
    name: 'scale-out-history',
    checkpoint: { interval: '100ms' },
    runtime: { batchSize: 500 },
    sources: [
      { id: 'counts', type: 'kafka', format: 'json', params: { brokers: target.brokers, topic: 'so-counts', group: 'g-history', stopAtEnd: true, ...TEST_CONSUMER_TIMINGS } },
      { id: 'seen', type: 'kafka', format: 'json', params: { brokers: target.brokers, topic: 'so-seen', group: 'g-history-seen', stopAtEnd: true, ...TEST_CONSUMER_TIMINGS } },
    ],
    sinks: [
      { id: 'counts-db', type: 'duckdb', input: 'counts', params: { path: path.join(dir, 'counts.duckdb'), table: 'user_totals', columns: { user: 'VARCHAR', count: 'BIGINT', total: 'BIGINT' }, fields: { user: 'key' }, mode: 'upsert', key: ['user'] } },
      { id: 'seen-db', type: 'duckdb', input: 'seen', params: { path: path.join(dir, 'seen.duckdb'), table: 'seen', columns: { id: 'BIGINT', user: 'VARCHAR' }, mode: 'upsert', key: ['id'] } },
    ],
  };
  const crashed = spawn(process.execPath, ['--import', 'tsx', CRASH_FIXTURE, JSON.stringify(history), dir, 'commit', '3'], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => crashed.on('exit', (c) => resolve(c)));
  assert.is(code, null, 'the history writer was killed between a flush and its offset commit');
  const summary = await runTopology(history, { schemas, dataDir: dir });
  assert.ok(summary.restoredFromEpoch !== null, 'the history writer resumed from its checkpoint');

  const totals = await query(path.join(dir, 'counts.duckdb'), 'SELECT "user", "count", total FROM user_totals ORDER BY "user"');
  assert.is(totals.length, expected.size, 'one row per user');
  for (const row of totals) {
    const want = expected.get(row.user as string)!;
    assert.equal({ user: row.user, count: Number(row.count), total: Number(row.total) }, { user: row.user, ...want }, `totals of ${String(row.user)}`);
  }
  const [seen] = await query(path.join(dir, 'seen.duckdb'), 'SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi FROM seen');
  assert.equal({ n: Number(seen!.n), ids: Number(seen!.ids), lo: Number(seen!.lo), hi: Number(seen!.hi) }, { n: RECORDS, ids: RECORDS, lo: 0, hi: RECORDS - 1 });
});

test.run();
