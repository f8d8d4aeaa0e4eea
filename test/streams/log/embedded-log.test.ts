import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedLog, fnv1a32, partitionForKey } from '../../../streams/log/index.ts';
import { enc, expectError, rec, rmDir, segFiles, text, tmpDir } from './helpers.ts';

let dir = '';
test.before.each(() => {
  dir = tmpDir('api');
});
test.after.each(() => {
  rmDir(dir);
});

test('append/read round trip with keys, null keys and headers', () => {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 2 });
  const res = log.append('t', 1, [
    rec('v0', 'k0', 10, { h: 'x', bin: new Uint8Array([1, 2, 3]) }),
    rec('v1', null, 11),
    { key: new Uint8Array(0), value: new Uint8Array(0), timestamp: 12.5 },
  ]);
  assert.equal(res, { baseOffset: 0, lastOffset: 2 });
  const out = log.read('t', 1, 0, 100);
  assert.is(out.length, 3);
  assert.equal(out.map((r) => [r.topic, r.partition, r.offset, text(r.key), text(r.value), r.timestamp]), [
    ['t', 1, 0, 'k0', 'v0', 10],
    ['t', 1, 1, null, 'v1', 11],
    ['t', 1, 2, '', '', 12.5],
  ]);
  assert.equal(Object.keys(out[0].headers).sort(), ['bin', 'h']);
  assert.is(text(out[0].headers.h), 'x');
  assert.equal([...out[0].headers.bin], [1, 2, 3]);
  assert.equal(out[1].headers, {});
  assert.ok(out[0].value instanceof Uint8Array);
  assert.equal(log.read('t', 0, 0, 10), []);
  assert.equal(log.read('t', 1, 2, 10).map((r) => r.offset), [2]);
  assert.equal(log.read('t', 1, 3, 10), []);
  assert.equal(log.read('t', 1, 0, 2).map((r) => r.offset), [0, 1]);
  log.close();
});

test('offsets are monotonic and contiguous across append calls', () => {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 1 });
  let expected = 0;
  for (let i = 1; i <= 50; i++) {
    const batch = Array.from({ length: i % 7 }, (_, j) => rec(`${i}-${j}`));
    const r = log.append('t', 0, batch);
    assert.is(r.baseOffset, expected);
    assert.is(r.lastOffset, expected + batch.length - 1);
    expected += batch.length;
    assert.is(log.endOffset('t', 0), expected);
  }
  const all = log.read('t', 0, 0, 1_000_000);
  assert.equal(all.map((r) => r.offset), Array.from({ length: expected }, (_, i) => i));
  log.close();
});

test('segments roll at segmentBytes and reads cross segment boundaries', () => {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 1, segmentBytes: 1024 });
  const value = 'x'.repeat(100);
  for (let i = 0; i < 20; i++) log.append('t', 0, Array.from({ length: 5 }, (_, j) => rec(`${i * 5 + j}:${value}`)));
  const files = segFiles(dir, 't', 0);
  assert.ok(files.length > 5, `expected many segments, got ${files.length}`);
  for (const f of files) assert.ok(fs.statSync(f).size <= 1024, `${f} exceeds segmentBytes`);
  // every segment name is the offset of its first record
  for (const f of files.slice(1)) {
    const base = Number(path.basename(f, '.seg'));
    assert.is(log.read('t', 0, base, 1)[0].offset, base);
  }
  for (const from of [0, 1, 7, 8, 9, 50, 99]) {
    const got = log.read('t', 0, from, 13);
    assert.equal(got.map((r) => r.offset), Array.from({ length: Math.min(13, 100 - from) }, (_, i) => from + i));
    for (const r of got) assert.is(text(r.value), `${r.offset}:${value}`);
  }
  assert.is(log.read('t', 0, 0, 1000).length, 100);
  // a record bigger than segmentBytes still gets written (alone in its segment)
  const big = log.append('t', 0, [rec('y'.repeat(3000))]);
  assert.is(text(log.read('t', 0, big.baseOffset, 1)[0].value)?.length, 3000);
  log.close();
});

test('maxBytes limits a read but always returns at least one record', () => {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 1 });
  log.append('t', 0, Array.from({ length: 10 }, (_, i) => rec(`${i}`.padEnd(100, '.'))));
  assert.is(log.read('t', 0, 0, 100, 1).length, 1);
  const some = log.read('t', 0, 0, 100, 500);
  assert.ok(some.length >= 2 && some.length < 10, `got ${some.length}`);
  log.close();
});

test('restart keeps records, topic config and committed offsets', () => {
  let log = EmbeddedLog.open(dir);
  log.createTopic('a', { partitions: 3, segmentBytes: 4096, retentionMs: 60_000 });
  log.createTopic('b', { partitions: 1 });
  for (let i = 0; i < 100; i++) log.append('a', i % 3, [rec(`a${i}`, `k${i}`, i)]);
  log.append('b', 0, [rec('b0')]);
  log.commitOffsets('g1', 'a', { 0: 5, 2: 7 });
  log.commitOffsets('g1', 'a', { 1: 3 });
  log.commitOffsets('g/2 weird..', 'b', { 0: 1 });
  log.close();
  log = EmbeddedLog.open(dir);
  assert.equal(log.topics(), ['a', 'b']);
  assert.equal(log.topicConfig('a'), { partitions: 3, segmentBytes: 4096, retentionMs: 60_000, retentionBytes: -1 });
  assert.equal(log.topicConfig('b'), { partitions: 1, segmentBytes: 64 * 1024 * 1024, retentionMs: -1, retentionBytes: -1 });
  assert.equal([0, 1, 2].map((p) => log.endOffset('a', p)), [34, 33, 33]);
  assert.equal(log.read('a', 0, 0, 1000).map((r) => text(r.value)), Array.from({ length: 34 }, (_, i) => `a${i * 3}`));
  assert.equal(log.committedOffsets('g1', 'a'), { 0: 5, 1: 3, 2: 7 });
  assert.equal(log.committedOffsets('g/2 weird..', 'b'), { 0: 1 });
  assert.equal(log.committedOffsets('nobody', 'a'), {});
  assert.equal(log.recoveryNotes(), []);
  const r = log.append('a', 0, [rec('more')]);
  assert.is(r.baseOffset, 34);
  log.close();
});

test('createTopic is idempotent for the same partition count and rejects a different one', () => {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 2 });
  log.append('t', 0, [rec('x')]);
  log.createTopic('t', { partitions: 2, retentionMs: 1000 });
  assert.is(log.endOffset('t', 0), 1);
  assert.is(log.topicConfig('t').retentionMs, 1000);
  expectError('LOG_BAD_ARGUMENT', () => log.createTopic('t', { partitions: 3 }));
  expectError('LOG_BAD_ARGUMENT', () => log.createTopic('../evil', { partitions: 1 }));
  expectError('LOG_BAD_ARGUMENT', () => log.createTopic('ok', { partitions: 0 }));
  expectError('LOG_BAD_ARGUMENT', () => log.createTopic('ok', { partitions: 1, segmentBytes: 1 }));
  assert.ok(log.hasTopic('t'));
  assert.not.ok(log.hasTopic('ok'));
  log.close();
});

test('argument and topic errors are coded', () => {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 2 });
  expectError('LOG_UNKNOWN_TOPIC', () => log.append('nope', 0, [rec('x')]));
  expectError('LOG_UNKNOWN_TOPIC', () => log.read('nope', 0, 0, 1));
  expectError('LOG_UNKNOWN_TOPIC', () => log.topicConfig('nope'));
  expectError('LOG_UNKNOWN_TOPIC', () => log.commitOffsets('g', 'nope', { 0: 1 }));
  expectError('LOG_BAD_ARGUMENT', () => log.append('t', 2, [rec('x')]));
  expectError('LOG_BAD_ARGUMENT', () => log.append('t', -1, [rec('x')]));
  expectError('LOG_BAD_ARGUMENT', () => log.read('t', 0, -1, 1));
  expectError('LOG_BAD_ARGUMENT', () => log.append('t', 0, [{ key: null, value: 'str' as unknown as Uint8Array, timestamp: 1 }]));
  expectError('LOG_BAD_ARGUMENT', () => log.append('t', 0, [{ key: null, value: new Uint8Array(1), timestamp: Number.NaN }]));
  expectError('LOG_BAD_ARGUMENT', () => log.commitOffsets('g', 't', { 5: 1 }));
  expectError('LOG_BAD_ARGUMENT', () => log.commitOffsets('g', 't', { 0: -1 }));
  assert.is(log.endOffset('t', 0), 0, 'failed appends wrote nothing');
  log.close();
  expectError('LOG_BAD_ARGUMENT', () => log.append('t', 0, [rec('x')]));
  log.close(); // idempotent
});

test('truncate removes the tail and appends reuse the offsets', () => {
  let log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 1, segmentBytes: 512 });
  for (let i = 0; i < 40; i++) log.append('t', 0, [rec(`r${i}`.padEnd(60, '.'))]);
  const segsBefore = segFiles(dir, 't', 0).length;
  assert.ok(segsBefore > 3);
  log.truncate('t', 0, 17);
  assert.is(log.endOffset('t', 0), 17);
  assert.ok(segFiles(dir, 't', 0).length < segsBefore);
  assert.equal(log.read('t', 0, 0, 100).map((r) => r.offset), Array.from({ length: 17 }, (_, i) => i));
  assert.equal(log.read('t', 0, 17, 10), []);
  assert.equal(log.append('t', 0, [rec('new17'), rec('new18')]), { baseOffset: 17, lastOffset: 18 });
  assert.equal(log.read('t', 0, 16, 10).map((r) => text(r.value)?.slice(0, 5)), ['r16..', 'new17', 'new18']);
  log.truncate('t', 0, 100); // beyond the end: no-op
  assert.is(log.endOffset('t', 0), 19);
  // truncate exactly at a segment boundary
  const base = Number(path.basename(segFiles(dir, 't', 0)[2], '.seg'));
  log.truncate('t', 0, base);
  assert.is(log.endOffset('t', 0), base);
  log.append('t', 0, [rec('after')]);
  log.close();
  log = EmbeddedLog.open(dir);
  assert.is(log.endOffset('t', 0), base + 1);
  assert.is(text(log.read('t', 0, base, 1)[0].value), 'after');
  // truncate everything
  log.truncate('t', 0, 0);
  assert.is(log.endOffset('t', 0), 0);
  assert.is(log.startOffset('t', 0), 0);
  assert.equal(log.read('t', 0, 0, 10), []);
  log.append('t', 0, [rec('fresh')]);
  log.close();
  log = EmbeddedLog.open(dir);
  assert.equal(log.read('t', 0, 0, 10).map((r) => [r.offset, text(r.value)]), [[0, 'fresh']]);
  log.close();
});

test('appendByKey is stable per key and round-robins null keys', () => {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 4 });
  const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
  log.appendByKey('t', keys.map((k, i) => rec(`${i}`, k)));
  log.appendByKey('t', keys.map((k, i) => rec(`${i + 40}`, k)));
  const where = new Map<string, number>();
  for (let p = 0; p < 4; p++) {
    for (const r of log.read('t', p, 0, 1000)) {
      const k = text(r.key) ?? '';
      const seen = where.get(k);
      if (seen !== undefined) assert.is(seen, p, `key ${k} moved partitions`);
      where.set(k, p);
      assert.is(p, partitionForKey(enc.encode(k), 4));
    }
  }
  assert.is(where.size, 40);
  assert.ok(new Set(where.values()).size > 1, 'keys spread over partitions');
  // documented hash: FNV-1a 32-bit
  assert.is(fnv1a32(enc.encode('')), 0x811c9dc5);
  assert.is(fnv1a32(enc.encode('a')), 0xe40c292c);
  assert.is(fnv1a32(enc.encode('foobar')), 0xbf9cf968);
  const before = [0, 1, 2, 3].map((p) => log.endOffset('t', p));
  log.appendByKey('t', Array.from({ length: 8 }, (_, i) => rec(`n${i}`)));
  assert.equal([0, 1, 2, 3].map((p) => log.endOffset('t', p) - before[p]), [2, 2, 2, 2]);
  log.close();
});

test('all fsync modes persist across reopen; bad mode is rejected', () => {
  for (const fsync of ['never', 'flush', 'always'] as const) {
    const d = path.join(dir, fsync);
    let log = EmbeddedLog.open(d, { fsync });
    log.createTopic('t', { partitions: 1, segmentBytes: 256 });
    for (let i = 0; i < 20; i++) log.append('t', 0, [rec(`${fsync}-${i}`.padEnd(40))]);
    log.commitOffsets('g', 't', { 0: 7 });
    log.flush();
    log.close();
    log = EmbeddedLog.open(d, { fsync });
    assert.is(log.endOffset('t', 0), 20);
    assert.is(text(log.read('t', 0, 19, 1)[0].value), `${fsync}-19`.padEnd(40));
    assert.equal(log.committedOffsets('g', 't'), { 0: 7 });
    log.close();
  }
  expectError('LOG_BAD_ARGUMENT', () => EmbeddedLog.open(dir, { fsync: 'sometimes' as 'never' }));
});

test('many segments do not keep a file descriptor each', () => {
  const fdCount = (): number => (fs.existsSync('/proc/self/fd') ? fs.readdirSync('/proc/self/fd').length : 0);
  let log = EmbeddedLog.open(dir, { fsync: 'never' });
  log.createTopic('t', { partitions: 1, segmentBytes: 64 });
  for (let i = 0; i < 400; i++) log.append('t', 0, [rec(`${i}`.padEnd(40, '.'))]);
  assert.is(segFiles(dir, 't', 0).length, 400);
  log.close();
  const before = fdCount();
  log = EmbeddedLog.open(dir);
  assert.is(log.read('t', 0, 0, 1000).length, 400);
  assert.ok(fdCount() - before <= 140, `fds grew by ${fdCount() - before}`);
  log.close();
  assert.ok(fdCount() <= before + 1, 'close releases all descriptors');
});

test.run();
