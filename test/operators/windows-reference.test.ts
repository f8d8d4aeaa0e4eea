import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TopologyTestDriver, type CollectedRecord } from '../../engine/test-driver.ts';
import type { OperatorSpec } from '../../topologies/spec.ts';
import { randomBatches, referenceAggregate, referenceJoin, referenceSessions, referenceWindows, sortRows, type Ev, type RefBatch, type WindowRow } from './reference.ts';

const SEEDS = [1, 2, 3, 42, 1234];
const AGGS = { count: { fn: 'count' }, sum: { fn: 'sum', expr: 'value.v' }, min: { fn: 'min', expr: 'value.v' }, max: { fn: 'max', expr: 'value.v' } };

const stream = (seed: number, sides: 1 | 2 = 1): RefBatch[] =>
  randomBatches(seed, { events: 3000, keys: 7, jitter: 400, lateEvery: 25, lateBy: 1500, maxBatch: 60, outOfOrderness: 150, sides });

function feed(driver: TopologyTestDriver, batches: RefBatch[], inputs: [string, string] = ['in', 'in2']): void {
  for (const b of batches) driver.push(inputs[b.side], b.records.map((r) => ({ value: r, timestamp: r.ts, key: r.key })), b.watermark);
  driver.end();
}

function rowsOf(out: CollectedRecord[]): WindowRow[] {
  return sortRows(out.map((o) => o.value as WindowRow).map((v) => ({ key: v.key, windowStart: v.windowStart, windowEnd: v.windowEnd, count: v.count, sum: v.sum, min: v.min, max: v.max })));
}
const lateIds = (out: CollectedRecord[]): number[] => out.map((o) => (o.value as Ev).id).sort((a, b) => a - b);

for (const seed of SEEDS) {
  test(`tumbling window = reference (seed ${seed})`, async () => {
    const batches = stream(seed);
    const d = await TopologyTestDriver.create([{ id: 'w', type: 'window', input: 'in', params: { window: { type: 'tumbling', size: 1000 }, allowedLateness: 300, aggregations: AGGS } }]);
    feed(d, batches);
    const ref = referenceWindows(batches, 1000, 1000, 300);
    assert.ok(ref.late.length > 0, 'the stream must contain late records');
    assert.equal(rowsOf(d.output('w')), ref.rows);
    assert.equal(lateIds(d.output('w.late')), ref.late);
    assert.is(d.metrics.total('late_records'), ref.late.length);
  });

  test(`hopping window = reference (seed ${seed})`, async () => {
    const batches = stream(seed);
    const d = await TopologyTestDriver.create([{ id: 'w', type: 'window', input: 'in', params: { window: { type: 'hopping', size: '1s', slide: '250ms' }, allowedLateness: 100, aggregations: AGGS } }]);
    feed(d, batches);
    const ref = referenceWindows(batches, 1000, 250, 100);
    assert.ok(ref.late.length > 0);
    assert.equal(rowsOf(d.output('w')), ref.rows);
    assert.equal(lateIds(d.output('w.late')), ref.late);
  });

  test(`session window = reference (seed ${seed})`, async () => {
    const batches = randomBatches(seed, { events: 2000, keys: 5, jitter: 300, lateEvery: 30, lateBy: 3000, maxBatch: 40, outOfOrderness: 100 }).map((b) => ({
      ...b,
      // spread events so sessions end and start again
      records: b.records.map((r) => ({ ...r, ts: r.ts + Math.floor(r.id / 50) * 2000 })),
    }));
    let max = -Infinity;
    for (const b of batches) {
      for (const r of b.records) max = Math.max(max, r.ts);
      b.watermark = max - 100;
    }
    const d = await TopologyTestDriver.create([{ id: 's', type: 'sessionWindow', input: 'in', params: { gap: 400, allowedLateness: 200, aggregations: AGGS } }]);
    feed(d, batches);
    const ref = referenceSessions(batches, 400, 200);
    assert.ok(ref.rows.length > 20 && ref.late.length > 0, `sessions ${ref.rows.length}, late ${ref.late.length}`);
    assert.equal(rowsOf(d.output('s')), ref.rows);
    assert.equal(lateIds(d.output('s.late')), ref.late);
  });

  test(`keyed aggregate = reference (seed ${seed})`, async () => {
    const batches = stream(seed);
    const d = await TopologyTestDriver.create([{ id: 'a', type: 'aggregate', input: 'in', params: { aggregations: { count: { fn: 'count' }, sum: { fn: 'sum', expr: 'value.v' } } } }]);
    feed(d, batches);
    const last = new Map<string, { count: number; sum: number }>();
    for (const o of d.output('a')) {
      const v = o.value as { key: string; count: number; sum: number };
      last.set(v.key, { count: v.count, sum: v.sum });
    }
    assert.equal(new Map([...last].sort()), new Map([...referenceAggregate(batches)].sort()));
    const updates = batches.reduce((n, b) => n + new Set(b.records.map((r) => r.key)).size, 0);
    assert.is(d.output('a').length, updates, 'one update per touched key per batch');
  });

  test(`windowed join = reference (seed ${seed})`, async () => {
    const batches = randomBatches(seed, { events: 1500, keys: 4, jitter: 400, lateEvery: 20, lateBy: 2000, maxBatch: 30, outOfOrderness: 150, sides: 2 });
    const d = await TopologyTestDriver.create([{ id: 'j', type: 'join', input: ['in', 'in2'], params: { window: { type: 'tumbling', size: 1000 }, allowedLateness: 200 } }]);
    feed(d, batches);
    const ref = referenceJoin(batches, 1000, 200);
    assert.ok(ref.rows.length > 1000 && ref.late.length > 0, `pairs ${ref.rows.length}, late ${ref.late.length}`);
    const got = d
      .output('j')
      .map((o) => o.value as { key: string; windowStart: number; left: Ev; right: Ev })
      .map((v) => ({ key: v.key, windowStart: v.windowStart, left: v.left.id, right: v.right.id }))
      .sort((a, b) => a.windowStart - b.windowStart || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.left - b.left || a.right - b.right);
    assert.equal(got, ref.rows);
    assert.equal(lateIds(d.output('j.late')), ref.late);
  });
}

test('results are never late downstream: window output watermark is held back by the lateness', async () => {
  const batches = stream(7);
  const ops: OperatorSpec[] = [
    { id: 'w', type: 'window', input: 'in', params: { window: { type: 'tumbling', size: 1000 }, allowedLateness: 400, aggregations: { count: { fn: 'count' } } } },
    { id: 'rekey', type: 'keyBy', input: 'w', params: { expr: 'value.windowEnd' } },
    { id: 'w2', type: 'window', input: 'rekey', params: { window: { type: 'tumbling', size: 1000 }, aggregations: { n: { fn: 'count' } } } },
  ];
  const d = await TopologyTestDriver.create(ops);
  feed(d, batches);
  assert.is(d.output('w2.late').length, 0);
  const total = d.output('w2').reduce((n, o) => n + ((o.value as { n: number }).n), 0);
  assert.is(total, d.output('w').length);
});

test('restore from a snapshot mid-stream continues exactly like an uninterrupted run', async () => {
  const batches = randomBatches(99, { events: 2000, keys: 5, jitter: 400, lateEvery: 25, lateBy: 1500, maxBatch: 50, outOfOrderness: 150, sides: 2 });
  const ops: OperatorSpec[] = [
    { id: 'w', type: 'window', input: 'in', params: { window: { type: 'hopping', size: 1000, slide: 500 }, allowedLateness: 100, aggregations: AGGS } },
    { id: 's', type: 'sessionWindow', input: 'in', params: { gap: 300, aggregations: AGGS } },
    { id: 'a', type: 'aggregate', input: 'in2', params: { aggregations: AGGS } },
    { id: 'j', type: 'join', input: ['in', 'in2'], params: { window: { type: 'tumbling', size: 1000 } } },
  ];
  const push = (d: TopologyTestDriver, list: RefBatch[]): void => {
    for (const b of list) d.push(b.side === 0 ? 'in' : 'in2', b.records.map((r) => ({ value: r, timestamp: r.ts, key: r.key })), b.watermark);
  };
  const whole = await TopologyTestDriver.create(ops);
  push(whole, batches);
  whole.end();

  const cut = Math.floor(batches.length / 2);
  const first = await TopologyTestDriver.create(ops);
  push(first, batches.slice(0, cut));
  const snapshot = first.snapshot();
  const counts = Object.fromEntries(['w', 's', 'a', 'j', 'w.late'].map((p) => [p, first.output(p).length]));
  const second = await TopologyTestDriver.create(ops, snapshot);
  push(second, batches.slice(cut));
  second.end();
  for (const port of ['w', 's', 'a', 'j', 'w.late']) {
    const expected = whole.output(port).slice(counts[port]);
    assert.equal(second.output(port), expected, `port ${port} after restore`);
  }
});

test.run();
