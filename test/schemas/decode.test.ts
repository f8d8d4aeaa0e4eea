import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SchemaRegistry, type DecodeResult } from '../../schemas/index.ts';
import { plain, prng } from './helpers.ts';

const registry = SchemaRegistry.load();
const decodeBid = registry.decoder('nexmark.Bid');
const bid = { auction: 1000, bidder: 2001, price: 12_345, channel: 'Google', url: 'https://example.com/item?id=7', dateTime: 1_700_000_000_123, extra: '' };
const good = Buffer.from(registry.encode('nexmark.Bid', bid));

function reasonOf(r: DecodeResult): string {
  if (r.ok) assert.unreachable(`expected a failure, decoded ${JSON.stringify(r.value)}`);
  return r.ok ? '' : r.reason;
}

function withId(id: number, body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(id, 1);
  out.set(body, 5);
  return out;
}

test('bad magic byte', () => {
  const bytes = Buffer.from(good);
  bytes[0] = 0x7b;
  assert.match(reasonOf(decodeBid(bytes)), /bad magic byte 0x7b/);
  assert.match(reasonOf(decodeBid(Buffer.from([1]))), /bad magic byte 0x01/);
});

test('too short', () => {
  assert.match(reasonOf(decodeBid(new Uint8Array(0))), /too short: 0 bytes/);
  assert.match(reasonOf(decodeBid(Buffer.from([0, 0, 0, 3]))), /too short: 4 bytes.*at least 5/);
});

test('unknown schema id', () => {
  assert.match(reasonOf(decodeBid(withId(77, good.subarray(5)))), /unknown schema id 77/);
  assert.match(reasonOf(decodeBid(withId(0xffffffff, good.subarray(5)))), /unknown schema id 4294967295/);
});

test('writer that the reader cannot resolve', () => {
  const reading = registry.encode('demo.Reading@1', { sensor: 's', value: 1, ts: 1 });
  const reason = reasonOf(decodeBid(reading));
  assert.match(reason, /writer schema demo\.Reading@1 \(id 4\) cannot be read as nexmark\.Bid@1 \(id 3\)/);
  assert.match(reason, /no alias found/);
  // cached plan gives the same answer
  assert.is(reasonOf(decodeBid(reading)), reason);
});

test('truncated body', () => {
  for (const cut of [1, 5, good.length - 6]) {
    const reason = reasonOf(decodeBid(good.subarray(0, good.length - cut)));
    assert.match(reason, /truncated Avro body written with nexmark\.Bid@1 \(id 3\)/);
  }
  // header only: a Bid needs fields
  assert.match(reasonOf(decodeBid(good.subarray(0, 5))), /truncated Avro body/);
});

test('trailing bytes', () => {
  const reason = reasonOf(decodeBid(Buffer.concat([good, Buffer.from([1, 2, 3])])));
  assert.match(reason, /trailing bytes after the record: 3 extra byte\(s\) at offset/);
});

test('invalid body that avsc rejects (precision loss in a long)', () => {
  const body = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.match(reasonOf(decodeBid(withId(3, body))), /invalid Avro body written with nexmark\.Bid@1.*precision/);
});

test('Uint8Array that is a view into a larger buffer is read without copying and at the right offset', () => {
  const backing = new Uint8Array(good.length + 20);
  backing.set(good, 7);
  const view = new Uint8Array(backing.buffer, 7, good.length);
  const out = decodeBid(view);
  assert.ok(out.ok);
  if (out.ok) assert.equal(plain(out.value), bid);
});

// Schema with every kind of type, to fuzz the guarded path too.
const rich = SchemaRegistry.fromEntries([
  {
    id: 10, subject: 'fz.Rich', version: 1,
    schema: {
      type: 'record', name: 'Rich', namespace: 'fz',
      fields: [
        { name: 'b', type: 'boolean' },
        { name: 'i', type: 'int' },
        { name: 'f', type: 'float' },
        { name: 'by', type: 'bytes' },
        { name: 'fx', type: { type: 'fixed', name: 'F4', size: 4 } },
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] } },
        { name: 'u', type: ['null', 'string', 'long'] },
        { name: 'arr', type: { type: 'array', items: 'long' } },
        { name: 'nulls', type: { type: 'array', items: 'null' } },
        { name: 'm', type: { type: 'map', values: { type: 'array', items: 'string' } } },
        { name: 'next', type: ['null', 'Rich'], default: null },
      ],
    },
  },
]);
const decodeRich = rich.decoder('fz.Rich');
const richValue = {
  b: true, i: -5, f: 1.5, by: Buffer.from([1, 2]), fx: Buffer.from([1, 2, 3, 4]), e: 'B', u: 'x', arr: [1, -2, 3],
  nulls: [null, null], m: { k: ['a', 'b'] }, next: null,
};

test('rich schema round trip', () => {
  const out = decodeRich(rich.encode('fz.Rich', richValue));
  assert.ok(out.ok, out.ok ? '' : out.reason);
});

test('a huge array count in a few bytes fails fast instead of looping', () => {
  // header, b, i, f, by, fx, e, u (null), arr: count 100 million, then nothing
  const head = [1, 0, 0, 0, 0xc0, 0x3f, 0, 1, 2, 3, 4, 2, 0];
  const hugeCount = [0x80, 0x84, 0xaf, 0x5f]; // zig-zag varint of 100_000_000
  let t = performance.now();
  assert.match(reasonOf(decodeRich(withId(10, Buffer.from([...head, ...hugeCount])))), /block of 100000000 items cannot fit/);
  // zero-size items: 100 million nulls
  assert.match(reasonOf(decodeRich(withId(10, Buffer.from([...head, 0, ...hugeCount])))), /more than 1000000 zero-size items/);
  t = performance.now() - t;
  assert.ok(t < 500, `took ${t} ms`);
});

test('random garbage never throws; success only with a value valid for the reader (1000 cases, seeded)', () => {
  const rand = prng(0x5eed);
  const byte = () => Math.floor(rand() * 256);
  const readers = [
    { name: 'nexmark.Bid', decode: decodeBid, type: registry.get('nexmark.Bid').type, ids: [1, 2, 3, 4, 5, 6], sample: good },
    { name: 'demo.Reading', decode: registry.decoder('demo.Reading'), type: registry.get('demo.Reading').type, ids: [3, 4, 5], sample: Buffer.from(registry.encode('demo.Reading@1', { sensor: 's', value: 2, ts: 3 })) },
    { name: 'fz.Rich', decode: decodeRich, type: rich.get('fz.Rich').type, ids: [10, 11], sample: Buffer.from(rich.encode('fz.Rich', richValue)) },
  ];
  const tally = { ok: 0, failed: 0 };
  const reasons = new Set<string>();
  for (let n = 0; n < 1000; n++) {
    const reader = readers[n % readers.length] as (typeof readers)[number];
    let bytes: Buffer;
    const mode = Math.floor(rand() * 4);
    if (mode === 0) {
      // completely random
      bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, byte));
    } else if (mode === 1) {
      // valid header, random body
      const id = reader.ids[Math.floor(rand() * reader.ids.length)] as number;
      bytes = withId(id, Buffer.from(Array.from({ length: Math.floor(rand() * 60) }, byte)));
    } else if (mode === 2) {
      // a valid record with a few bytes flipped in the body
      bytes = Buffer.from(reader.sample);
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) bytes[5 + Math.floor(rand() * (bytes.length - 5))] = byte();
    } else {
      // a valid record cut short or extended
      bytes = rand() < 0.5 ? reader.sample.subarray(0, Math.floor(rand() * reader.sample.length)) : Buffer.concat([reader.sample, Buffer.from([byte()])]);
    }
    let out: DecodeResult;
    try {
      out = reader.decode(bytes);
    } catch (err) {
      assert.unreachable(`decoder threw on case ${n} (${bytes.toString('hex')}): ${String(err)}`);
      return;
    }
    if (out.ok) {
      tally.ok++;
      assert.ok(reader.type.isValid(out.value), `case ${n}: decoded value is not a valid ${reader.name}`);
    } else {
      tally.failed++;
      assert.type(out.reason, 'string');
      assert.ok(out.reason.length > 0);
      reasons.add(out.reason.replace(/\d+/g, 'N').slice(0, 40));
    }
  }
  console.log(`  fuzz: ${tally.ok} decoded, ${tally.failed} rejected, ${reasons.size} distinct reason shapes`);
});

test('throughput (printed, not asserted): decode 200k Bid records', () => {
  const n = 200_000;
  const enc = registry.encoder('nexmark.Bid');
  const records: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) records[i] = enc({ ...bid, auction: i, bidder: i * 7, price: i % 10_000, dateTime: 1_700_000_000_000 + i });
  const dec = registry.decoder('nexmark.Bid');
  for (let i = 0; i < 20_000; i++) dec(records[i] as Uint8Array); // warm up
  let okCount = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (dec(records[i] as Uint8Array).ok) okCount++;
  const ms = performance.now() - t0;
  assert.is(okCount, n);
  const v1 = registry.encode('demo.Reading@1', { sensor: 's', value: 1, ts: 1 });
  const decR = registry.decoder('demo.Reading@2');
  const t1 = performance.now();
  for (let i = 0; i < n; i++) decR(v1);
  const msResolved = performance.now() - t1;
  console.log(`  decode nexmark.Bid: ${n} records in ${ms.toFixed(1)} ms = ${Math.round(n / (ms / 1000)).toLocaleString('en')} records/s`);
  console.log(`  decode demo.Reading v1 -> v2 (resolver): ${n} records in ${msResolved.toFixed(1)} ms = ${Math.round(n / (msResolved / 1000)).toLocaleString('en')} records/s`);
});

test.run();
