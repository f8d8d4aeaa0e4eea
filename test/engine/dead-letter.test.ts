/**
 * Dead letters end to end: a stream with malformed records runs through
 * runTopology; every bad record must land in the dead-letter topic (raw bytes,
 * reason, original position) and every good record in the sink, nothing else.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTopology, type RunSummary } from '../../engine/runtime.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { EmbeddedLog, type LogRecord, type LogRecordInput } from '../../streams/log/index.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import type { TopologySpec } from '../../topologies/spec.ts';
import { parseTopology } from '../../topologies/validate.ts';

const schemas = SchemaRegistry.load();
const utf8 = new TextDecoder();

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `maasflow-dlq-${prefix}-`));
}

/** The spec as a topology file would give it (validated like `maasflow validate`), so the tests only run valid topologies. */
function validated(spec: TopologySpec): TopologySpec {
  return parseTopology(`${spec.name}.json`, JSON.stringify(spec), schemas).spec;
}

function readAll(log: EmbeddedLog, topic: string): LogRecord[] {
  const out: LogRecord[] = [];
  const partitions = log.topicConfig(topic).partitions;
  for (let p = 0; p < partitions; p++) {
    let next = log.startOffset(topic, p);
    for (;;) {
      const got = log.read(topic, p, next, 4096);
      if (got.length === 0) break;
      for (const r of got) out.push(r);
      next = got[got.length - 1]!.offset + 1;
    }
  }
  return out;
}

function header(r: LogRecord, name: string): string | undefined {
  const h = r.headers[name];
  return h === undefined ? undefined : utf8.decode(h);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function readJsonl(file: string): unknown[] {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'jsonl output ends with a newline');
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
}

/** Fails the test (uvu's unreachable is not typed as `never`). */
function fail(message: string): never {
  assert.unreachable(message);
  throw new Error(message);
}

function asRecord(v: unknown): Record<string, unknown> {
  assert.type(v, 'object');
  assert.ok(v !== null && !Array.isArray(v));
  return v as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Avro over the embedded log

type BadKind = 'magic' | 'short' | 'unknown-id' | 'truncated' | 'trailing' | 'random';
const BAD_KINDS: readonly BadKind[] = ['magic', 'short', 'unknown-id', 'truncated', 'trailing', 'random'];
/** What the reason must say per kind (random bytes can fail in any way: only a non-empty reason is required). */
const REASON: Record<BadKind, RegExp | null> = {
  magic: /magic byte/,
  short: /too short/,
  'unknown-id': /unknown schema id 999\b/,
  truncated: /truncated Avro body/,
  trailing: /trailing bytes/,
  random: null,
};

interface Reading { sensor: string; value: number; ts: number }

interface Written {
  partition: number;
  offset: number;
  key: string | null;
  timestamp: number;
  raw: Uint8Array;
  bad: BadKind | null;
  reading: Reading;
}

const PARTITIONS = 3;
const BASE_TS = 1_700_000_000_000;

/** Seeded readings (schema demo.Reading@1, writer id 4) with about 1 in 9 replaced by a malformed value of a random kind. */
function writeReadings(log: EmbeddedLog, topic: string, n: number, seed: number): Written[] {
  const rng = new SplitMix32(seed);
  const encode = schemas.encoder('demo.Reading@1');
  const decode = schemas.decoder('demo.Reading@2');
  const randomBytes = (len: number): Uint8Array => {
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) b[i] = rng.nextInt(256);
    return b;
  };
  log.createTopic(topic, { partitions: PARTITIONS });
  const perPartition: LogRecordInput[][] = Array.from({ length: PARTITIONS }, () => []);
  const written: Written[] = [];
  for (let i = 0; i < n; i++) {
    const partition = rng.nextInt(PARTITIONS);
    const sensor = `sensor-${rng.nextInt(20)}`;
    const key = rng.nextDouble() < 0.25 ? null : sensor;
    const reading: Reading = { sensor, value: Math.round((15 + rng.nextDouble() * 20) * 100) / 100, ts: BASE_TS + i * 10 };
    const valid = encode(reading);
    let raw: Uint8Array = valid;
    let bad: BadKind | null = null;
    if (rng.nextDouble() < 0.11) {
      bad = BAD_KINDS[rng.nextInt(BAD_KINDS.length)]!;
      switch (bad) {
        case 'magic':
          raw = Buffer.from(valid);
          raw[0] = 1 + rng.nextInt(255);
          break;
        case 'short': {
          raw = randomBytes(rng.nextInt(5));
          if (raw.length > 0) raw[0] = 0;
          break;
        }
        case 'unknown-id': {
          const b = Buffer.from(valid);
          b.writeUInt32BE(999, 1);
          raw = b;
          break;
        }
        case 'truncated':
          raw = Buffer.from(valid.subarray(0, 5 + rng.nextInt(valid.length - 5)));
          break;
        case 'trailing':
          raw = Buffer.concat([valid, randomBytes(1 + rng.nextInt(8))]);
          break;
        case 'random':
          do raw = randomBytes(rng.nextInt(40));
          while (decode(raw).ok);
          break;
      }
      assert.is(decode(raw).ok, false, `generated ${bad} record must not decode`);
    }
    const offset = perPartition[partition]!.length;
    perPartition[partition]!.push({ key: key === null ? null : Buffer.from(key, 'utf8'), value: raw, timestamp: reading.ts });
    written.push({ partition, offset, key, timestamp: reading.ts, raw, bad, reading });
  }
  for (let p = 0; p < PARTITIONS; p++) {
    const r = log.append(topic, p, perPartition[p]!);
    assert.is(r.baseOffset, 0);
  }
  log.flush();
  return written;
}

test('avro log source: every bad record is in the DLQ with its reason and position, every good one reaches the sink', async () => {
  const TMP = tmpDir('avro');
  try {
    const log = EmbeddedLog.open(path.join(TMP, 'log'));
    let written: Written[];
    try {
      written = writeReadings(log, 'in', 5000, 0x5eed);
    } finally {
      log.close();
    }
    const bad = written.filter((w) => w.bad !== null);
    const good = written.filter((w) => w.bad === null);
    for (const kind of BAD_KINDS) assert.ok(bad.some((w) => w.bad === kind), `the seeded input has a ${kind} record`);
    assert.ok(bad.length > 300 && good.length > 4000, `bad ${bad.length}, good ${good.length}`);

    const out = path.join(TMP, 'good.jsonl');
    const spec = validated({
      name: 'dlq-avro',
      runtime: { batchSize: 300 },
      sources: [
        {
          id: 'readings',
          type: 'log',
          params: { topic: 'in', stopAtEnd: true },
          format: 'avro',
          schema: 'demo.Reading@2',
          eventTime: 'value.ts',
          deadLetter: { topic: 'in.dlq' },
        },
      ],
      sinks: [{ id: 'good', type: 'jsonl', input: 'readings', params: { path: out } }],
    });
    const summary: RunSummary = await runTopology(spec, { schemas, dataDir: TMP });
    assert.is(summary.completed, true);
    assert.is(summary.deadLetters, bad.length, 'summary.deadLetters');
    assert.is(summary.sourceRecords, good.length, 'summary.sourceRecords counts the decoded records');

    // the dead-letter topic: exactly the bad records, with their original bytes and position
    const reopened = EmbeddedLog.open(path.join(TMP, 'log'));
    try {
      const dlq = readAll(reopened, 'in.dlq');
      assert.is(dlq.length, bad.length, 'DLQ record count');
      const byPos = new Map(bad.map((w) => [`${w.partition}:${w.offset}`, w]));
      const seen = new Set<string>();
      for (const r of dlq) {
        const pos = `${header(r, 'dlq.partition')}:${header(r, 'dlq.offset')}`;
        const w = byPos.get(pos);
        if (w === undefined) fail(`DLQ record at ${pos} is not one of the bad records (reason ${header(r, 'dlq.reason')})`);
        assert.not.ok(seen.has(pos), `DLQ holds ${pos} twice`);
        seen.add(pos);
        assert.is(header(r, 'dlq.topic'), 'in');
        const reason = header(r, 'dlq.reason') ?? '';
        assert.ok(reason.length > 0, `${pos}: empty reason`);
        const want = REASON[w.bad!];
        if (want) assert.match(reason, want, `${pos} (${w.bad}): reason ${JSON.stringify(reason)}`);
        assert.ok(sameBytes(r.value, w.raw), `${pos}: DLQ value differs from the original bytes`);
        assert.is(r.key === null ? null : utf8.decode(r.key), w.key, `${pos}: key`);
        assert.is(r.timestamp, w.timestamp, `${pos}: timestamp`);
      }
      // the source committed its group offsets at the end of the run
      const committed = reopened.committedOffsets('dlq-avro.readings', 'in');
      for (let p = 0; p < PARTITIONS; p++) assert.is(committed[p], reopened.endOffset('in', p), `committed offset of partition ${p}`);
    } finally {
      reopened.close();
    }

    // the sink: exactly the good records, decoded as v2 (unit defaulted), per partition in offset order
    const lines = readJsonl(out);
    assert.is(lines.length, good.length, 'jsonl line count');
    const byTs = new Map(good.map((w) => [w.reading.ts, w]));
    const lastOffset = new Array<number>(PARTITIONS).fill(-1);
    const seenTs = new Set<number>();
    for (const line of lines) {
      const v = asRecord(line);
      const w = byTs.get(v.ts as number);
      if (w === undefined) fail(`sink record ${JSON.stringify(v)} is not a good input record`);
      assert.not.ok(seenTs.has(w.reading.ts), 'a good record reached the sink twice');
      seenTs.add(w.reading.ts);
      assert.equal(v, { ...w.reading, unit: 'C' });
      assert.ok(w.offset > lastOffset[w.partition]!, `partition ${w.partition}: offset ${w.offset} after ${lastOffset[w.partition]}`);
      lastOffset[w.partition] = w.offset;
    }
  } finally {
    fs.rmSync(TMP, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// JSON lines through the replay source

interface Line { text: string; kind: 'good' | 'blank' | 'bad-json' | 'bad-schema'; reading?: Reading }

function jsonLines(n: number, seed: number): Line[] {
  const rng = new SplitMix32(seed);
  const lines: Line[] = [];
  const broken = ['{"sensor": "s-1", "value": 1.5', 'not json at all', '{"sensor": "s-2",, "value": 2}', '{sensor: "s"}', '[1, 2', '"unterminated'];
  const wrongShape = (i: number): unknown[] => [
    { sensor: 1, value: 2.5, ts: BASE_TS + i },
    { sensor: 's', value: 'hot', ts: BASE_TS + i },
    { sensor: 's', value: 2.5 },
    { sensor: 's', value: 2.5, ts: 'yesterday' },
    42,
    null,
    ['s', 2.5, BASE_TS],
  ];
  for (let i = 0; i < n; i++) {
    const u = rng.nextDouble();
    if (u < 0.08) lines.push({ text: '', kind: 'blank' });
    else if (u < 0.16) lines.push({ text: broken[rng.nextInt(broken.length)]!, kind: 'bad-json' });
    else if (u < 0.24) {
      const options = wrongShape(i);
      lines.push({ text: JSON.stringify(options[rng.nextInt(options.length)]), kind: 'bad-schema' });
    } else {
      const reading: Reading = { sensor: `s-${rng.nextInt(9)}`, value: rng.nextInt(1000) / 10, ts: BASE_TS + i * 7 };
      lines.push({ text: JSON.stringify(reading), kind: 'good', reading });
    }
  }
  // the file ends with a malformed line that has no trailing newline
  lines.push({ text: '{"sensor": "last", "value": ', kind: 'bad-json' });
  return lines;
}

test('json replay source: invalid JSON and schema failures go to the DLQ with the line number as offset', async () => {
  const TMP = tmpDir('json');
  try {
    const lines = jsonLines(600, 77);
    const file = path.join(TMP, 'readings.jsonl');
    fs.writeFileSync(file, lines.map((l) => l.text).join('\n'));
    const out = path.join(TMP, 'good.jsonl');
    const spec = validated({
      name: 'dlq-json',
      runtime: { batchSize: 64 },
      sources: [{ id: 'replay', type: 'replay', params: { path: file }, format: 'json', schema: 'demo.Reading@1', deadLetter: { topic: 'replay.dlq' } }],
      sinks: [{ id: 'good', type: 'jsonl', input: 'replay', params: { path: out } }],
    });
    const summary = await runTopology(spec, { schemas, dataDir: TMP });
    const bad = lines.map((l, i) => ({ ...l, line: i })).filter((l) => l.kind === 'bad-json' || l.kind === 'bad-schema');
    const good = lines.filter((l) => l.kind === 'good');
    assert.ok(bad.some((l) => l.kind === 'bad-json') && bad.some((l) => l.kind === 'bad-schema'));
    assert.is(summary.completed, true);
    assert.is(summary.deadLetters, bad.length);
    assert.is(summary.sourceRecords, good.length);

    const log = EmbeddedLog.open(path.join(TMP, 'log'));
    try {
      const dlq = readAll(log, 'replay.dlq');
      assert.is(dlq.length, bad.length, 'DLQ record count');
      // one partition, written in input order: the i-th dead letter is the i-th bad line
      dlq.forEach((r, i) => {
        const want = bad[i]!;
        // offset = the line's 0-based index in the file (blank lines count, they are just not delivered)
        assert.is(header(r, 'dlq.offset'), String(want.line), `dead letter ${i}: line`);
        assert.is(header(r, 'dlq.partition'), '0');
        assert.is(header(r, 'dlq.topic'), path.resolve(file));
        assert.is(utf8.decode(r.value), want.text);
        assert.is(r.key, null);
        const reason = header(r, 'dlq.reason') ?? '';
        if (want.kind === 'bad-json') assert.match(reason, /invalid JSON/, `line ${want.line}: ${reason}`);
        else assert.match(reason, /does not match schema demo\.Reading@1/, `line ${want.line}: ${reason}`);
      });
    } finally {
      log.close();
    }
    // replay is a single stream: the sink sees the good lines in file order
    assert.equal(readJsonl(out), good.map((l) => l.reading));
  } finally {
    fs.rmSync(TMP, { recursive: true, force: true });
  }
});

test('an eventTime expression that gives no finite number sends the record to the DLQ', async () => {
  const TMP = tmpDir('event-time');
  try {
    const rng = new SplitMix32(4242);
    const weird: unknown[] = ['soon', null, true, [1], { at: 5 }, '1700000000000'];
    const values: { value: unknown; ok: boolean }[] = [];
    for (let i = 0; i < 500; i++) {
      const u = rng.nextDouble();
      if (u < 0.1) values.push({ value: { sensor: 's', ts: weird[rng.nextInt(weird.length)] }, ok: false });
      else if (u < 0.15) values.push({ value: { sensor: 's' }, ok: false }); // missing: undefined
      else if (u < 0.18) values.push({ value: 7, ok: false }); // not an object: value.ts is undefined
      else values.push({ value: { sensor: 's', ts: BASE_TS + i }, ok: true });
    }
    const file = path.join(TMP, 'events.jsonl');
    fs.writeFileSync(file, values.map((v) => JSON.stringify(v.value)).join('\n') + '\n');
    const out = path.join(TMP, 'out.jsonl');
    const spec = validated({
      name: 'dlq-event-time',
      sources: [{ id: 'events', type: 'replay', params: { path: file }, format: 'json', eventTime: 'value.ts', deadLetter: { topic: 'events.dlq' } }],
      sinks: [{ id: 'out', type: 'jsonl', input: 'events', params: { path: out, shape: 'record' } }],
    });
    const summary = await runTopology(spec, { schemas, dataDir: TMP });
    const badLines = values.map((v, i) => ({ ...v, line: i })).filter((v) => !v.ok);
    const goodValues = values.filter((v) => v.ok).map((v) => v.value);
    assert.is(summary.deadLetters, badLines.length);

    const log = EmbeddedLog.open(path.join(TMP, 'log'));
    try {
      const dlq = readAll(log, 'events.dlq');
      assert.equal(dlq.map((r) => Number(header(r, 'dlq.offset'))), badLines.map((b) => b.line));
      dlq.forEach((r, i) => {
        assert.equal(JSON.parse(utf8.decode(r.value)), badLines[i]!.value);
        assert.match(header(r, 'dlq.reason') ?? '', /event time expression gave .*not a finite number/);
      });
    } finally {
      log.close();
    }
    // good records carry the extracted event time as their timestamp
    const records = readJsonl(out).map(asRecord);
    assert.equal(records.map((r) => r.value), goodValues);
    assert.equal(records.map((r) => r.timestamp), goodValues.map((v) => asRecord(v).ts));
  } finally {
    fs.rmSync(TMP, { recursive: true, force: true });
  }
});

test.run();
