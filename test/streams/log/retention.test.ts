import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedLog } from '../../../streams/log/index.ts';
import { rec, rmDir, segFiles, tmpDir } from './helpers.ts';

let dir = '';
test.before.each(() => {
  dir = tmpDir('retention');
});
test.after.each(() => {
  rmDir(dir);
});

const pad = (s: string): string => s.padEnd(100, '.');

test('retention by time deletes whole old segments and moves startOffset', () => {
  let log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 1, segmentBytes: 1024, retentionMs: 10_000 });
  // records 0..29 at t=1000 (old), 30..59 at t=50_000 (recent)
  for (let i = 0; i < 60; i++) log.append('t', 0, [rec(pad(`${i}`), null, i < 30 ? 1000 : 50_000)]);
  const before = segFiles(dir, 't', 0);
  assert.is(log.enforceRetention(5_000), 0, 'cutoff -5000: nothing is old enough');
  assert.is(log.startOffset('t', 0), 0);
  log.close();
  log = EmbeddedLog.open(dir);
  const removed = log.enforceRetention(45_000); // cutoff 35_000: only segments holding just t=1000 records expire
  assert.ok(removed > 0);
  const after = segFiles(dir, 't', 0);
  assert.is(after.length, before.length - removed);
  const s = log.startOffset('t', 0);
  assert.ok(s > 0 && s <= 30, `start ${s}`);
  const first = log.read('t', 0, 0, 1)[0];
  assert.is(first.offset, s, 'reading below start starts at start');
  assert.is(log.read('t', 0, 0, 1000).length, 60 - s);
  assert.is(log.endOffset('t', 0), 60);
  // everything expired: only the active segment survives
  log.enforceRetention(1e12);
  assert.is(segFiles(dir, 't', 0).length, 1);
  assert.is(log.endOffset('t', 0), 60);
  const startNow = log.startOffset('t', 0);
  assert.equal(log.read('t', 0, 0, 1000).map((r) => r.offset), Array.from({ length: 60 - startNow }, (_, i) => startNow + i));
  assert.is(log.append('t', 0, [rec('x')]).baseOffset, 60);
  log.close();
  log = EmbeddedLog.open(dir);
  assert.is(log.startOffset('t', 0), startNow, 'startOffset survives restart');
  log.close();
});

test('retention by bytes keeps at least retentionBytes and deletes the oldest segments', () => {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 2, segmentBytes: 1024, retentionBytes: 3000 });
  for (let i = 0; i < 200; i++) log.append('t', 0, [rec(pad(`${i}`))]);
  log.append('t', 1, [rec('small')]);
  const segs = segFiles(dir, 't', 0).length;
  const removed = log.enforceRetention();
  assert.ok(removed > 0);
  assert.is(segFiles(dir, 't', 0).length, segs - removed);
  assert.is(segFiles(dir, 't', 1).length, 1);
  const remaining = log.read('t', 0, 0, 1000);
  const bytes = remaining.length * (8 + 28 + 100);
  assert.ok(bytes >= 3000, `kept ${bytes} bytes`);
  assert.ok(bytes < 3000 + 1024, `kept ${bytes} bytes, more than one segment beyond retention`);
  assert.is(remaining[0].offset, log.startOffset('t', 0));
  assert.is(remaining[remaining.length - 1].offset, 199);
  assert.is(log.enforceRetention(), 0, 'idempotent');
  log.close();
});

test('no retention configured keeps everything', () => {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 1, segmentBytes: 512 });
  for (let i = 0; i < 50; i++) log.append('t', 0, [rec(pad(`${i}`), null, 0)]);
  assert.is(log.enforceRetention(1e15), 0);
  assert.is(log.startOffset('t', 0), 0);
  log.close();
});

test.run();
