import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedLog } from '../../../streams/log/index.ts';
import { expectError, rec, rmDir, segFiles, text, tmpDir } from './helpers.ts';

let dir = '';
test.before.each(() => {
  dir = tmpDir('recovery');
});
test.after.each(() => {
  rmDir(dir);
});

/** A log with `n` records in partition 0 of topic t; returns the last segment file. */
function seed(n: number, segmentBytes = 64 * 1024 * 1024): string {
  const log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 1, segmentBytes });
  for (let i = 0; i < n; i++) log.append('t', 0, [rec(`value-${i}`, `k${i}`, i, { i: String(i) })]);
  log.close();
  const files = segFiles(dir, 't', 0);
  return files[files.length - 1];
}

function checkIntactAndContinue(n: number): EmbeddedLog {
  const log = EmbeddedLog.open(dir);
  assert.is(log.endOffset('t', 0), n);
  const all = log.read('t', 0, 0, 10_000);
  assert.equal(all.map((r) => text(r.value)), Array.from({ length: n }, (_, i) => `value-${i}`));
  assert.equal(log.append('t', 0, [rec('next')]), { baseOffset: n, lastOffset: n });
  assert.is(text(log.read('t', 0, n, 1)[0].value), 'next');
  return log;
}

for (const [name, tail] of [
  ['garbage bytes', Buffer.from('this is not a frame at all, just garbage.')],
  ['a few bytes (partial length field)', Buffer.from([1, 2, 3])],
  ['zero-filled tail', Buffer.alloc(4096)],
] as const) {
  test(`torn tail: ${name} is cut off, complete records kept`, () => {
    const file = seed(10);
    const goodSize = fs.statSync(file).size;
    fs.appendFileSync(file, tail);
    const log = checkIntactAndContinue(10);
    const notes = log.recoveryNotes();
    assert.is(notes.length, 1);
    assert.is(notes[0].file, file);
    assert.is(notes[0].position, goodSize);
    assert.is(notes[0].discardedBytes, tail.length);
    log.close();
  });
}

test('torn tail: partial last frame (write cut mid-record)', () => {
  const file = seed(10);
  const size = fs.statSync(file).size;
  fs.truncateSync(file, size - 5); // the 10th record loses its last bytes
  const log = checkIntactAndContinue(9);
  assert.is(log.recoveryNotes()[0].reason, 'partial frame');
  log.close();
  // reopening again finds nothing more to repair
  const again = EmbeddedLog.open(dir);
  assert.equal(again.recoveryNotes(), []);
  assert.is(again.endOffset('t', 0), 10);
  again.close();
});

test('torn tail: crc mismatch in the last frame of the last segment', () => {
  const file = seed(10);
  const buf = fs.readFileSync(file);
  buf[buf.length - 3] ^= 0xff;
  fs.writeFileSync(file, buf);
  const log = checkIntactAndContinue(9);
  assert.is(log.recoveryNotes()[0].reason, 'crc mismatch');
  log.close();
});

test('torn tail in the last of several segments', () => {
  const file = seed(60, 512);
  assert.ok(segFiles(dir, 't', 0).length > 2);
  fs.truncateSync(file, fs.statSync(file).size - 1);
  const log = checkIntactAndContinue(59);
  assert.is(log.recoveryNotes()[0].file, file);
  log.close();
});

test('crc corruption in the middle of a non-last segment is LOG_CORRUPT naming file and position', () => {
  seed(60, 512);
  const files = segFiles(dir, 't', 0);
  assert.ok(files.length > 2);
  const victim = files[1];
  const buf = fs.readFileSync(victim);
  const pos = Math.floor(buf.length / 2);
  buf[pos] ^= 0x55;
  fs.writeFileSync(victim, buf);
  const err = expectError('LOG_CORRUPT', () => EmbeddedLog.open(dir));
  assert.ok(err.message.includes(victim), err.message);
  assert.match(err.message, /at byte \d+/);
  assert.is(err.location?.file, victim);
  // the failed open released the lock: fixing the file makes the log usable again
  buf[pos] ^= 0x55;
  fs.writeFileSync(victim, buf);
  const log = EmbeddedLog.open(dir);
  assert.is(log.endOffset('t', 0), 60);
  log.close();
});

test('a torn tail in a non-last segment is LOG_CORRUPT too', () => {
  seed(60, 512);
  const files = segFiles(dir, 't', 0);
  fs.appendFileSync(files[0], Buffer.from([9, 9, 9]));
  const err = expectError('LOG_CORRUPT', () => EmbeddedLog.open(dir));
  assert.ok(err.message.includes(files[0]));
});

test('a topic.json that is not JSON is LOG_CORRUPT naming it', () => {
  seed(1);
  const meta = path.join(dir, 'topics', 't', 'topic.json');
  fs.writeFileSync(meta, '{"partitions": 1,');
  const err = expectError('LOG_CORRUPT', () => EmbeddedLog.open(dir));
  assert.ok(err.message.includes(meta));
});

test('a topic directory without topic.json (crashed createTopic) is ignored and can be created again', () => {
  seed(3);
  fs.unlinkSync(path.join(dir, 'topics', 't', 'topic.json'));
  const log = EmbeddedLog.open(dir);
  assert.equal(log.topics(), []);
  log.createTopic('t', { partitions: 1 });
  assert.is(log.endOffset('t', 0), 3);
  log.close();
});

test.run();
