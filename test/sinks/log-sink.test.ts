/** The `log` sink connector, driven directly through its definition. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Batch, Key } from '../../engine/batch.ts';
import type { ConnectorContext, Position, SinkConnector } from '../../engine/connectors.ts';
import { MaasflowError } from '../../engine/errors.ts';
import type { DeadLetter } from '../../engine/dead-letter.ts';
import { readSchemaId } from '../../schemas/index.ts';
import { logSink } from '../../sinks/log/index.ts';
import { logSource } from '../../streams/connectors/log/index.ts';
import { partitionForKey, type EmbeddedLog, type LogRecord } from '../../streams/log/index.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import { dec, drain, enc, makeContext, rmDir, schemas, tmpDir } from '../streams/connectors/helpers.ts';

function batch(values: unknown[], keys: (Key | null)[] | null = null, ts?: number[]): Batch {
  return { values, timestamps: Float64Array.from(ts ?? values.map((_, i) => 5000 + i)), keys, watermark: -Infinity };
}

async function openSink(ctx: ConnectorContext, params: Record<string, unknown>, restore?: Position): Promise<SinkConnector> {
  const sink = logSink.create(params, ctx);
  await sink.open(restore);
  return sink;
}

function readPartition(log: EmbeddedLog, topic: string, partition: number): LogRecord[] {
  const out: LogRecord[] = [];
  let next = log.startOffset(topic, partition);
  for (;;) {
    const got = log.read(topic, partition, next, 1000);
    if (got.length === 0) return out;
    out.push(...got);
    next = got[got.length - 1]!.offset + 1;
  }
}

function ends(log: EmbeddedLog, topic: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (let p = 0; p < log.topicConfig(topic).partitions; p++) out[p] = log.endOffset(topic, p);
  return out;
}

/** A context for another connector of the same process (same open log). */
function makeContextSharing(ctx: ConnectorContext, id: string): ConnectorContext {
  return { ...ctx, id };
}

const text = (b: Uint8Array | null): string | null => (b === null ? null : dec.decode(b));

test('json format (default): keyed records go to the FNV partition of the key, null keys round robin', async () => {
  const dir = tmpDir('logsink-json');
  const ctx = makeContext(dir, 'out', 'topo');
  try {
    const sink = await openSink(ctx, { topic: 'out', partitions: 4 });
    const log = ctx.logs.acquire();
    assert.is(log.topicConfig('out').partitions, 4, 'the sink creates its topic with params.partitions');
    const values = [{ a: 1 }, 'two', 3, null, { k: [1, 2] }, 'six', 7, 8];
    const keys: (Key | null)[] = ['alpha', 'beta', 42, null, 'alpha', null, null, null];
    await sink.write(batch(values, keys));
    const position = await sink.flush();
    const all = [0, 1, 2, 3].flatMap((p) => readPartition(log, 'out', p));
    assert.equal(position, ends(log, 'out'), 'flush returns every partition end offset');
    assert.is(all.length, values.length);
    const nullPartitions: number[] = [];
    for (const r of all) {
      const i = Number(r.timestamp) - 5000;
      assert.equal(JSON.parse(dec.decode(r.value)), values[i]);
      const key = keys[i]!;
      assert.is(text(r.key), key === null ? null : String(key));
      if (key !== null) assert.is(r.partition, partitionForKey(enc.encode(String(key)), 4), `key ${key}`);
      else nullPartitions.push(r.partition);
    }
    assert.equal(nullPartitions.sort(), [0, 1, 2, 3], 'four null keys spread round robin');
    await sink.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('restore truncates each partition to the checkpointed end offsets', async () => {
  const dir = tmpDir('logsink-restore');
  const ctx = makeContext(dir, 'out', 'topo');
  try {
    const rng = new SplitMix32(8);
    const gen = (n: number, tag: string): { values: unknown[]; keys: Key[] } => {
      const values: unknown[] = [];
      const keys: Key[] = [];
      for (let i = 0; i < n; i++) {
        keys.push(`k${rng.nextInt(25)}`);
        values.push({ tag, i });
      }
      return { values, keys };
    };
    const first = await openSink(ctx, { topic: 'out', partitions: 3 });
    const log = ctx.logs.acquire();
    const a = gen(60, 'committed');
    await first.write(batch(a.values, a.keys));
    const checkpoint = JSON.parse(JSON.stringify(await first.flush())) as Position;
    const b = gen(45, 'lost');
    await first.write(batch(b.values, b.keys));
    const before = ends(log, 'out');
    await first.close();
    assert.equal(Object.keys(checkpoint as Record<string, number>).sort(), ['0', '1', '2'], 'the checkpoint names every partition');

    const restored = await openSink(ctx, { topic: 'out', partitions: 3 }, checkpoint);
    assert.equal(ends(log, 'out'), checkpoint, 'ends are back at the checkpoint');
    assert.ok(Object.values(before).reduce((s, v) => s + v, 0) > 60, 'records had been written after the checkpoint');
    for (let p = 0; p < 3; p++) {
      for (const r of readPartition(log, 'out', p)) assert.is((JSON.parse(dec.decode(r.value)) as { tag: string }).tag, 'committed');
    }
    const c = gen(30, 'replayed');
    await restored.write(batch(c.values, c.keys));
    await restored.flush();
    const tags = [0, 1, 2].flatMap((p) => readPartition(log, 'out', p)).map((r) => (JSON.parse(dec.decode(r.value)) as { tag: string }).tag);
    assert.is(tags.filter((t) => t === 'committed').length, 60);
    assert.is(tags.filter((t) => t === 'replayed').length, 30);
    assert.is(tags.filter((t) => t === 'lost').length, 0);
    // offsets stay contiguous after the cut
    for (let p = 0; p < 3; p++) readPartition(log, 'out', p).forEach((r, i) => assert.is(r.offset, i));
    await restored.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('read-committed readers see only what a durable checkpoint covers, so a restore never truncates what they read', async () => {
  const dir = tmpDir('logsink-stable');
  const ctx = makeContext(dir, 'out', 'writer');
  try {
    let readers = 0;
    const tagsRead = async (isolation: string): Promise<string[]> => {
      const source = logSource.create({ topic: 'out', stopAtEnd: true, isolation, group: `reader-${readers++}` }, makeContextSharing(ctx, 'reader'));
      await source.open(undefined);
      const chunks = await drain(source, 7);
      await source.close();
      return chunks.flatMap((c) => c.values.map((v) => (JSON.parse(dec.decode(v as Uint8Array)) as { tag: string }).tag));
    };
    const sink = await openSink(ctx, { topic: 'out', partitions: 2 });
    const log = ctx.logs.acquire();
    assert.equal([0, 1].map((p) => log.stableOffset('out', p)), [0, 0]);
    await sink.write(batch(Array.from({ length: 10 }, (_, i) => ({ tag: 'checkpointed', i })), Array.from({ length: 10 }, (_, i) => `k${i}`)));
    const checkpoint = JSON.parse(JSON.stringify(await sink.flush())) as Position;
    assert.equal(await tagsRead('readCommitted'), [], 'flushed is not yet committed: the checkpoint is not durable');
    await sink.committed!(checkpoint);
    await sink.write(batch(Array.from({ length: 5 }, (_, i) => ({ tag: 'uncommitted', i })), Array.from({ length: 5 }, (_, i) => `k${i}`)));
    await sink.flush();
    const committedView = await tagsRead('readCommitted');
    assert.is(committedView.length, 10);
    assert.ok(committedView.every((t) => t === 'checkpointed'));
    assert.is((await tagsRead('readUncommitted')).length, 15, 'the default isolation reads everything written');
    await sink.close();

    // the writer crashes and restores its checkpoint: the uncommitted tail goes, marks stay consistent
    const restored = await openSink(ctx, { topic: 'out', partitions: 2 }, checkpoint);
    assert.equal([0, 1].map((p) => log.stableOffset('out', p)), [0, 1].map((p) => log.endOffset('out', p)));
    assert.equal((await tagsRead('readUncommitted')).filter((t) => t === 'uncommitted'), []);
    await restored.close();
    log.createTopic('plain', { partitions: 1 });
    log.append('plain', 0, [{ key: null, value: enc.encode('{}'), timestamp: 1 }, { key: null, value: enc.encode('{}'), timestamp: 2 }]);
    assert.is(log.stableOffset('plain', 0), 2, 'a topic no transactional writer marked is readable to its end');
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('avro format encodes with the schema id; the registry decodes it back', async () => {
  const dir = tmpDir('logsink-avro');
  const ctx = makeContext(dir, 'out', 'topo');
  try {
    const sink = await openSink(ctx, { topic: 'readings', format: 'avro', schema: 'demo.Reading@2' });
    const log = ctx.logs.acquire();
    const rng = new SplitMix32(31);
    const values = Array.from({ length: 50 }, (_, i) => ({ sensor: `s${rng.nextInt(5)}`, value: rng.nextInt(10_000) / 100, ts: 1_700_000_000_000 + i, unit: i % 2 ? 'F' : 'C' }));
    await sink.write(batch(values, values.map((v) => v.sensor)));
    await sink.flush();
    const records = readPartition(log, 'readings', 0);
    assert.is(records.length, values.length);
    const v2 = schemas.decoder('demo.Reading@2');
    const v1 = schemas.decoder('demo.Reading@1');
    const id = schemas.resolveRef('demo.Reading@2').id;
    records.forEach((r, i) => {
      assert.is(readSchemaId(r.value), id, 'header carries the schema id');
      assert.is(r.value[0], 0, 'magic byte');
      const d = v2(r.value);
      if (!d.ok) return assert.unreachable(d.reason);
      assert.equal(JSON.parse(JSON.stringify(d.value)), values[i]);
      const old = v1(r.value);
      if (!old.ok) return assert.unreachable(old.reason);
      const { unit: _unit, ...withoutUnit } = values[i]!;
      assert.equal(JSON.parse(JSON.stringify(old.value)), withoutUnit, 'a v1 reader drops the unit');
      assert.is(text(r.key), values[i]!.sensor);
    });

    // a value the schema rejects fails the write, and nothing of that batch is appended
    const endBefore = log.endOffset('readings', 0);
    let thrown: unknown;
    try {
      await sink.write(batch([values[0], { sensor: 's', value: 'hot', ts: 1 }]));
    } catch (err) {
      thrown = err;
    }
    assert.ok(thrown instanceof MaasflowError && thrown.code === 'RECORD_VALIDATE', `got ${String(thrown)}`);
    assert.is(log.endOffset('readings', 0), endBefore);
    await sink.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('deadLetter format writes the raw bytes and the dlq.* headers', async () => {
  const dir = tmpDir('logsink-dlq');
  const ctx = makeContext(dir, 'src.deadLetter', 'my-topology');
  try {
    const sink = await openSink(ctx, { topic: 'bad', format: 'deadLetter' });
    const log = ctx.logs.acquire();
    const dead: DeadLetter[] = [
      { reason: 'bad magic byte 0x07', topic: 'in', partition: 2, offset: 17, timestamp: 1234.5, key: 'sensor-1', raw: Uint8Array.from([7, 0, 0, 0, 4, 1]) },
      { reason: 'invalid JSON: Unexpected token', topic: '/data/x.jsonl', partition: 0, offset: 3, timestamp: 0, key: null, raw: enc.encode('{oops') },
      { reason: 'too short: 0 bytes', topic: 'in', partition: 0, offset: 0, timestamp: 99, key: null, raw: new Uint8Array(0) },
    ];
    await sink.write({ values: dead, timestamps: Float64Array.from(dead.map((d) => d.timestamp)), keys: dead.map((d) => d.key), watermark: 0 });
    await sink.flush();
    const records = readPartition(log, 'bad', 0);
    assert.is(records.length, dead.length);
    records.forEach((r, i) => {
      const d = dead[i]!;
      assert.equal([...r.value], [...d.raw]);
      assert.is(r.timestamp, d.timestamp);
      assert.is(text(r.key), d.key === null ? null : String(d.key));
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers)) h[k] = dec.decode(v);
      assert.equal(h, { 'dlq.reason': d.reason, 'dlq.topic': d.topic, 'dlq.partition': String(d.partition), 'dlq.offset': String(d.offset), 'dlq.source': 'my-topology' });
    });
    await sink.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('string and bytes formats', async () => {
  const dir = tmpDir('logsink-formats');
  const ctx = makeContext(dir, 'out', 'topo');
  try {
    const s = await openSink(ctx, { topic: 'strings', format: 'string' });
    await s.write(batch(['héllo', 42, true]));
    const b = await openSink(ctx, { topic: 'bytes', format: 'bytes' });
    await b.write(batch([Uint8Array.from([0, 255, 1]), 'as text']));
    const log = ctx.logs.acquire();
    assert.equal(readPartition(log, 'strings', 0).map((r) => dec.decode(r.value)), ['héllo', '42', 'true']);
    const bytes = readPartition(log, 'bytes', 0).map((r) => [...r.value]);
    assert.equal(bytes, [[0, 255, 1], [...enc.encode('as text')]]);
    await s.close();
    await b.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test.run();
