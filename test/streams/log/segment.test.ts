import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkFrame,
  decodeFrame,
  encodeBatch,
  FRAME_BAD_CRC,
  FRAME_BAD_LENGTH,
  FRAME_INCOMPLETE,
} from '../../../streams/log/frame.ts';
import { Segment, segmentFileName, type ReadState, type RecoveryNote } from '../../../streams/log/segment.ts';
import { rec, rmDir, text, tmpDir } from './helpers.ts';

let dir = '';
test.before.each(() => {
  dir = tmpDir('segment');
});
test.after.each(() => {
  rmDir(dir);
});

function state(maxRecords = 1_000_000, maxBytes = Infinity): ReadState {
  return { topic: 't', partition: 0, out: [], maxRecords, maxBytes, bytes: 0, full: false };
}

test('frames encode, validate and decode', () => {
  const b = encodeBatch([rec('hello', 'k', 42.5, { a: 'b' }), rec('x')], 2 ** 40 + 3);
  const first = checkFrame(b.buf, 0, b.buf.length);
  assert.is(first, b.ends[0]);
  const r = decodeFrame(b.buf, 0, 't', 3);
  assert.equal([r.offset, r.timestamp, text(r.key), text(r.value), text(r.headers.a)], [2 ** 40 + 3, 42.5, 'k', 'hello', 'b']);
  assert.is(decodeFrame(b.buf, first, 't', 3).offset, 2 ** 40 + 4);
  assert.is(checkFrame(b.buf, 0, first - 1), FRAME_INCOMPLETE);
  assert.is(checkFrame(b.buf, 0, 5), FRAME_INCOMPLETE);
  const corrupt = Buffer.from(b.buf);
  corrupt[20] ^= 1;
  assert.is(checkFrame(corrupt, 0, corrupt.length), FRAME_BAD_CRC);
  const zeros = Buffer.alloc(64);
  assert.is(checkFrame(zeros, 0, 64), FRAME_BAD_LENGTH);
});

test('append, read from any offset, reload rebuilds the index', () => {
  const seg = Segment.create(dir, 100);
  assert.is(seg.file.endsWith(segmentFileName(100)), true);
  const n = 2000;
  for (let i = 0; i < n; i += 100) {
    const batch = encodeBatch(Array.from({ length: 100 }, (_, j) => rec(`v${i + j}`.padEnd(50, '-'), null, i + j)), 100 + i);
    seg.append(batch, 0, 100, false);
  }
  assert.is(seg.nextOffset, 100 + n);
  assert.is(seg.size, fs.statSync(seg.file).size);
  assert.is(seg.maxTimestamp, n - 1);
  const check = (s: Segment): void => {
    for (const from of [0, 100, 101, 555, 1234, 2099]) {
      const st = state(7);
      s.read(from, st);
      const start = Math.max(from, 100);
      assert.equal(st.out.map((r) => r.offset), Array.from({ length: Math.min(7, 2100 - start) }, (_, i) => start + i));
      assert.is(text(st.out[0].value), `v${start - 100}`.padEnd(50, '-'));
    }
    const none = state();
    s.read(2100, none);
    assert.is(none.out.length, 0);
  };
  check(seg);
  seg.close();
  const notes: RecoveryNote[] = [];
  const loaded = Segment.load(seg.file, 100, true, notes);
  assert.equal(notes, []);
  assert.is(loaded.nextOffset, 2100);
  assert.is(loaded.maxTimestamp, n - 1);
  check(loaded);
  loaded.close();
});

test('truncateTo cuts at a frame boundary and appends continue', () => {
  const seg = Segment.create(dir, 0);
  seg.append(encodeBatch(Array.from({ length: 50 }, (_, i) => rec(`${i}`, null, i)), 0), 0, 50, false);
  const pos = seg.positionOf(20);
  seg.truncateTo(20, false);
  assert.is(seg.size, pos);
  assert.is(seg.nextOffset, 20);
  assert.is(seg.maxTimestamp, 19);
  seg.append(encodeBatch([rec('again', null, 5)], 20), 0, 1, true);
  const st = state();
  seg.read(18, st);
  assert.equal(st.out.map((r) => text(r.value)), ['18', '19', 'again']);
  seg.close();
});

test('a frame bigger than the read chunk is still read', () => {
  const seg = Segment.create(dir, 0);
  const big = 'B'.repeat(5 * 1024 * 1024);
  seg.append(encodeBatch([rec('small'), rec(big), rec('tail')], 0), 0, 3, false);
  const st = state();
  seg.read(1, st);
  assert.equal(st.out.map((r) => r.value.length), [big.length, 4]);
  seg.close();
  const loaded = Segment.load(seg.file, 0, false, []);
  assert.is(loaded.nextOffset, 3);
  loaded.close();
});

test.run();
