import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaMessage } from 'kafkajs';
import { PartitionBuffers } from '../../../streams/connectors/kafka/partition-buffers.ts';

const msg = (offset: number): KafkaMessage => ({ key: null, value: Buffer.from(String(offset)), timestamp: '0', attributes: 0, offset: String(offset), headers: {} });

test('a partition is paused when its buffer is full and resumed once drained below half; others are untouched', () => {
  const events: string[] = [];
  const b = new PartitionBuffers(10, (p) => events.push(`pause ${p}`), (p) => events.push(`resume ${p}`));
  for (let i = 0; i < 9; i++) b.push(0, msg(i));
  b.checkHigh(0);
  assert.equal(events, []);
  b.push(0, msg(9));
  b.push(1, msg(0));
  b.checkHigh(0);
  b.checkHigh(1);
  assert.equal(events, ['pause 0']);
  assert.ok(b.paused(0) && !b.paused(1));
  assert.equal(b.take(0, 5).map((m) => m.offset), ['0', '1', '2', '3', '4']);
  assert.equal(events, ['pause 0'], 'still at half: not resumed');
  assert.equal(b.take(0, 1).map((m) => m.offset), ['5']);
  assert.equal(events, ['pause 0', 'resume 0']);
  assert.is(b.size(0), 4);
});

test('buffers keep order across many pushes and takes, and drop() forgets a revoked partition (resuming it)', () => {
  const events: string[] = [];
  const b = new PartitionBuffers(100_000, (p) => events.push(`pause ${p}`), (p) => events.push(`resume ${p}`));
  const seen: number[] = [];
  let next = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 300; i++) b.push(3, msg(next++));
    for (const m of b.take(3, 250)) seen.push(Number(m.offset));
  }
  for (const m of b.take(3, 1_000_000)) seen.push(Number(m.offset));
  assert.equal(seen, Array.from({ length: next }, (_, i) => i));
  const small = new PartitionBuffers(2, (p) => events.push(`pause ${p}`), (p) => events.push(`resume ${p}`));
  small.push(7, msg(0));
  small.push(7, msg(1));
  small.checkHigh(7);
  small.drop(7);
  assert.is(small.size(7), 0);
  assert.equal(events.slice(-2), ['pause 7', 'resume 7']);
});

test.run();
