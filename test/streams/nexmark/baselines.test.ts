import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NexmarkGenerator, type Bid, type NexmarkConfig, type NexmarkEvent } from '../../../streams/nexmark/generator.ts';
import {
  BASELINE_QUERIES,
  addChecksum,
  hashQ0,
  hashQ1,
  hashQ2,
  hashQ5,
  hashQ7,
  q0,
  q1,
  q2,
  q5,
  q7,
  runBaseline,
  type BaselineResult,
  type Q1Output,
  type Q2Output,
  type Q5Output,
  type Q7Output,
} from '../../../bench/baselines/nexmark-loops.ts';

// ---------------------------------------------------------------------------
// Deliberately naive references: materialise everything, then filter/sort.

interface ArrivedBid { bid: Bid; index: number; wm: number }

/** All bids with their arrival index and the watermark in force when they arrived (per-batch watermark). */
function arrivedBids(config: NexmarkConfig, batchSize: number, lag: number): { bids: ArrivedBid[]; events: NexmarkEvent[] } {
  const g = new NexmarkGenerator(config);
  const events: NexmarkEvent[] = [];
  for (let i = 0; i < config.events; i++) events.push(g.eventAt(i));
  const bids: ArrivedBid[] = [];
  events.forEach((e, i) => {
    if (e.type === 2) bids.push({ bid: e.bid, index: i, wm: -Infinity });
  });
  // Watermark at arrival = max event time of all earlier batches - lag.
  const times = events.map((_, i) => g.timestampOf(i));
  const wmAtBatch: number[] = [];
  for (let b = 0; b * batchSize < events.length; b++) {
    const prior = times.slice(0, b * batchSize);
    wmAtBatch.push(prior.length === 0 ? -Infinity : Math.max(...prior) - lag);
  }
  for (const a of bids) a.wm = wmAtBatch[Math.floor(a.index / batchSize)];
  return { bids, events };
}

function naiveQ5(config: NexmarkConfig, batchSize: number, lag: number): { outputs: Q5Output[]; late: number } {
  const SIZE = 10_000;
  const SLIDE = 2_000;
  const { bids } = arrivedBids(config, batchSize, lag);
  const windowsOf = (t: number): number[] => {
    const ks: number[] = [];
    // Scan every slide-aligned start from well before t (k >= 0) and keep those whose window contains t.
    for (let k = Math.max(0, Math.floor(t / SLIDE) - 20); k * SLIDE <= t; k++) if (k * SLIDE <= t && t < k * SLIDE + SIZE) ks.push(k);
    return ks;
  };
  let late = 0;
  const allKs = new Set<number>();
  for (const a of bids) {
    for (const k of windowsOf(a.bid.dateTime)) {
      if (k * SLIDE + SIZE <= a.wm) late++;
      else allKs.add(k);
    }
  }
  const outputs: Q5Output[] = [];
  for (const k of [...allKs].sort((x, y) => x - y)) {
    const start = k * SLIDE;
    const end = start + SIZE;
    const inWindow = bids.filter((a) => a.bid.dateTime >= start && a.bid.dateTime < end && !(end <= a.wm));
    const auctions = [...new Set(inWindow.map((a) => a.bid.auction))];
    const ranked = auctions
      .map((auction) => {
        const mine = inWindow.filter((a) => a.bid.auction === auction);
        return { auction, count: mine.length, first: Math.min(...mine.map((a) => a.index)) };
      })
      .sort((x, y) => y.count - x.count || x.first - y.first);
    outputs.push({ auction: ranked[0].auction, count: ranked[0].count, windowStart: start, windowEnd: end });
  }
  return { outputs, late };
}

function naiveQ7(config: NexmarkConfig, batchSize: number, lag: number): { outputs: Q7Output[]; late: number } {
  const SIZE = 10_000;
  const { bids } = arrivedBids(config, batchSize, lag);
  const isLate = (a: ArrivedBid): boolean => Math.floor(a.bid.dateTime / SIZE) * SIZE + SIZE <= a.wm;
  const late = bids.filter(isLate).length;
  const onTime = bids.filter((a) => !isLate(a));
  const starts = [...new Set(onTime.map((a) => Math.floor(a.bid.dateTime / SIZE) * SIZE))].sort((x, y) => x - y);
  const outputs = starts.map((start) => {
    const best = onTime
      .filter((a) => a.bid.dateTime >= start && a.bid.dateTime < start + SIZE)
      .sort((x, y) => y.bid.price - x.bid.price || x.index - y.index)[0].bid;
    return { auction: best.auction, bidder: best.bidder, price: best.price, dateTime: best.dateTime, windowStart: start, windowEnd: start + SIZE };
  });
  return { outputs, late };
}

function sumQ5(outs: Q5Output[]): number {
  return outs.reduce((c, o) => addChecksum(c, hashQ5(o.auction, o.count, o.windowStart, o.windowEnd)), 0);
}
function sumQ7(outs: Q7Output[]): number {
  return outs.reduce((c, o) => addChecksum(c, hashQ7(o.auction, o.bidder, o.price, o.dateTime, o.windowStart, o.windowEnd)), 0);
}

// ---------------------------------------------------------------------------

test('q0/q1/q2 match a naive map/filter over eventAt', () => {
  const cfg: NexmarkConfig = { seed: 21, events: 30_000, outOfOrdernessMs: 100 };
  const g = new NexmarkGenerator(cfg);
  const events = Array.from({ length: cfg.events }, (_, i) => g.eventAt(i));

  const c0: NexmarkEvent[] = [];
  const r0 = q0(cfg, 1000, { collect: c0 });
  assert.equal(c0, events);
  assert.is(r0.outputs, cfg.events);
  assert.is(r0.checksum, events.reduce((c, e, i) => addChecksum(c, hashQ0(e.type, g.timestampOf(i))), 0));

  const bids = events.flatMap((e) => (e.type === 2 ? [e.bid] : []));
  const c1: Q1Output[] = [];
  const r1 = q1(cfg, 1000, { collect: c1 });
  const e1 = bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price * 0.908, dateTime: b.dateTime }));
  assert.equal(c1, e1);
  assert.is(r1.outputs, e1.length);
  assert.is(r1.checksum, e1.reduce((c, o) => addChecksum(c, hashQ1(o.auction, o.bidder, o.price, o.dateTime)), 0));

  const c2: Q2Output[] = [];
  const r2 = q2(cfg, 1000, { collect: c2 });
  const e2 = bids.filter((b) => b.auction % 123 === 0).map((b) => ({ auction: b.auction, price: b.price }));
  assert.ok(e2.length > 0);
  assert.equal(c2, e2);
  assert.is(r2.checksum, e2.reduce((c, o) => addChecksum(c, hashQ2(o.auction, o.price)), 0));
});

// Slow event rate so a small stream spans many windows: 30,000 events at 500/s = 60 s.
const SMALL: NexmarkConfig = { seed: 77, events: 30_000, firstEventRate: 500 };

for (const [name, cfg, batchSize, lag] of [
  ['in order', SMALL, 4096, 0],
  ['in order, batch 1', { ...SMALL, events: 8_000 }, 1, 0],
  ['jitter 3 s, lag 3 s (no late)', { ...SMALL, outOfOrdernessMs: 3000 }, 1000, 3000],
  ['jitter 3 s, lag 0.5 s (late)', { ...SMALL, outOfOrdernessMs: 3000 }, 1000, 500],
  ['jitter 5 s, lag 0 (late), baseTime 0', { ...SMALL, outOfOrdernessMs: 5000, baseTime: 0 }, 777, 0],
] as const) {
  test(`q5 matches naive reference: ${name}`, () => {
    const got: Q5Output[] = [];
    const r = q5(cfg, batchSize, { watermarkLagMs: lag, collect: got });
    const ref = naiveQ5(cfg, batchSize, lag);
    assert.equal(got, ref.outputs);
    assert.is(r.outputs, ref.outputs.length);
    assert.is(r.late, ref.late);
    assert.is(r.checksum, sumQ5(ref.outputs));
    assert.is(r.events, cfg.events);
    if (lag < (cfg.outOfOrdernessMs ?? 0)) assert.ok(r.late > 0, 'expected late bids');
    else assert.is(r.late, 0);
    for (let i = 1; i < got.length; i++) assert.ok(got[i].windowEnd > got[i - 1].windowEnd);
  });

  test(`q7 matches naive reference: ${name}`, () => {
    const got: Q7Output[] = [];
    const r = q7(cfg, batchSize, { watermarkLagMs: lag, collect: got });
    const ref = naiveQ7(cfg, batchSize, lag);
    assert.equal(got, ref.outputs);
    assert.is(r.outputs, ref.outputs.length);
    assert.is(r.late, ref.late);
    assert.is(r.checksum, sumQ7(ref.outputs));
    if (lag < (cfg.outOfOrdernessMs ?? 0)) assert.ok(r.late > 0, 'expected late bids');
    else assert.is(r.late, 0);
    for (let i = 1; i < got.length; i++) assert.ok(got[i].windowEnd > got[i - 1].windowEnd);
  });
}

test('results do not depend on the batch size when watermark lag >= jitter', () => {
  const cfg: NexmarkConfig = { seed: 5, events: 60_000, firstEventRate: 1000, outOfOrdernessMs: 1500 };
  for (const q of BASELINE_QUERIES) {
    const ref = runBaseline(q, cfg, 4096);
    for (const bs of [1, 7, 50, 100_000]) assert.equal(runBaseline(q, cfg, bs), ref, `${q} batch ${bs}`);
  }
});

// Regression values: a change here means the generator or a query changed.
const REGRESSION: Record<string, Record<string, BaselineResult>> = {
  default: {
    q0: { events: 200000, outputs: 200000, checksum: 3813242478, late: 0 },
    q1: { events: 200000, outputs: 184000, checksum: 4086718567, late: 0 },
    q2: { events: 200000, outputs: 1498, checksum: 2813907872, late: 0 },
    q5: { events: 200000, outputs: 14, checksum: 2345733123, late: 0 },
    q7: { events: 200000, outputs: 2, checksum: 658143113, late: 0 },
  },
  jitter: {
    q0: { events: 200000, outputs: 200000, checksum: 2131618015, late: 0 },
    q1: { events: 200000, outputs: 184000, checksum: 969336680, late: 0 },
    q2: { events: 200000, outputs: 1560, checksum: 2337852127, late: 0 },
    q5: { events: 200000, outputs: 56, checksum: 292809199, late: 0 },
    q7: { events: 200000, outputs: 11, checksum: 1677595222, late: 0 },
  },
};

test('regression checksums for fixed seeds', () => {
  const configs: Record<string, NexmarkConfig> = {
    default: { seed: 42, events: 200_000 },
    jitter: { seed: 7, events: 200_000, firstEventRate: 2000, outOfOrdernessMs: 2500 },
  };
  const actual: Record<string, Record<string, BaselineResult>> = {};
  for (const [name, cfg] of Object.entries(configs)) {
    actual[name] = {};
    for (const q of BASELINE_QUERIES) actual[name][q] = runBaseline(q, cfg);
  }
  assert.equal(actual, REGRESSION);
});

test.run();
