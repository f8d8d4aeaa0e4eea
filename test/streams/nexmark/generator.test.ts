import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AUCTION_ID_LEAD,
  FIRST_AUCTION_ID,
  FIRST_PERSON_ID,
  NexmarkGenerator,
  PERSON_ID_LEAD,
  lastBase0AuctionId,
  lastBase0PersonId,
  referencePrice,
  tablePrice,
  type NexmarkConfig,
  type NexmarkEvent,
} from '../../../streams/nexmark/generator.ts';
import { SplitMix32, hashSeed } from '../../../streams/nexmark/prng.ts';

function generateAll(config: NexmarkConfig, batchSize = 1000): { values: NexmarkEvent[]; ts: number[] } {
  const g = new NexmarkGenerator(config);
  const vals: NexmarkEvent[] = new Array<NexmarkEvent>(batchSize);
  const tsBuf = new Float64Array(batchSize);
  const values: NexmarkEvent[] = [];
  const ts: number[] = [];
  let from = 0;
  let n: number;
  while ((n = g.generate(from, batchSize, vals, tsBuf)) > 0) {
    for (let i = 0; i < n; i++) {
      values.push(vals[i]);
      ts.push(tsBuf[i]);
    }
    from += n;
  }
  return { values, ts };
}

function dateTimeOf(e: NexmarkEvent): number {
  if (e.type === 0) return e.person.dateTime;
  if (e.type === 1) return e.auction.dateTime;
  return e.bid.dateTime;
}

// ---------------------------------------------------------------------------
// PRNG

test('prng: same seed -> same stream; re-seed resets; ranges hold', () => {
  const a = new SplitMix32(123);
  const b = new SplitMix32(123);
  const xs: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const x = a.nextU32();
    assert.is(x, b.nextU32());
    assert.ok(Number.isInteger(x) && x >= 0 && x < 4294967296);
    xs.push(x);
  }
  a.seed(123);
  for (let i = 0; i < 1000; i++) assert.is(a.nextU32(), xs[i]);
  const r = new SplitMix32(7);
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const d = r.nextDouble();
    assert.ok(d >= 0 && d < 1);
    const d53 = r.nextDouble53();
    assert.ok(d53 >= 0 && d53 < 1);
    const k = r.nextInt(10);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 10);
    counts[k]++;
    const l = r.nextLong(3_000_000_000);
    assert.ok(Number.isInteger(l) && l >= 0 && l < 3_000_000_000);
  }
  for (const c of counts) assert.ok(c > 9_000 && c < 11_000, `nextInt(10) bucket ${c}`);
  assert.is.not(hashSeed(1, 5), hashSeed(2, 5));
  assert.is.not(hashSeed(1, 5), hashSeed(1, 6));
  assert.is.not(hashSeed(1, 5), hashSeed(1, 5 + 4294967296));
});

test('price table agrees with round(10^(u*6)*100)', () => {
  const r = new SplitMix32(99);
  for (let i = 0; i < 500_000; i++) {
    const x = r.nextU32();
    assert.is(tablePrice(x), referencePrice(x));
  }
  for (const x of [0, 1, 0x7ff, 0x1fffff, 0x200000, 0xffffffff]) assert.is(tablePrice(x), referencePrice(x));
  assert.is(tablePrice(0), 100);
});

// ---------------------------------------------------------------------------
// Determinism

test('same seed -> identical sequence; different seeds differ', () => {
  const cfg: NexmarkConfig = { seed: 42, events: 20_000 };
  const a = generateAll(cfg, 1000);
  const b = generateAll(cfg, 333);
  assert.is(a.values.length, 20_000);
  assert.equal(a.values, b.values);
  assert.equal(a.ts, b.ts);
  const c = generateAll({ seed: 43, events: 20_000 }, 1000);
  let diff = 0;
  for (let i = 0; i < a.values.length; i++) {
    if (JSON.stringify(a.values[i]) !== JSON.stringify(c.values[i])) diff++;
  }
  assert.ok(diff > 19_000, `only ${diff} events differ`);
  // Large seeds use both 32-bit halves.
  const d1 = new NexmarkGenerator({ seed: 5, events: 100 }).eventAt(10);
  const d2 = new NexmarkGenerator({ seed: 5 + 2 ** 32, events: 100 }).eventAt(10);
  assert.is.not(JSON.stringify(d1), JSON.stringify(d2));
});

test('generation from any start index equals the slice of a full generation', () => {
  for (const ooo of [0, 1500]) {
    const cfg: NexmarkConfig = { seed: 9, events: 12_345, outOfOrdernessMs: ooo };
    const full = generateAll(cfg, 4096);
    const g = new NexmarkGenerator(cfg);
    for (const [from, max] of [[0, 1], [1, 50], [49, 101], [777, 4096], [5000, 3], [12_000, 4096], [12_344, 10]]) {
      const vals = new Array<NexmarkEvent>(max);
      const ts = new Float64Array(max);
      const n = g.generate(from, max, vals, ts);
      assert.is(n, Math.min(max, cfg.events - from));
      for (let i = 0; i < n; i++) {
        assert.equal(vals[i], full.values[from + i]);
        assert.is(ts[i], full.ts[from + i]);
      }
    }
    for (const id of [0, 1, 3, 4, 49, 50, 51, 9999, 12_344]) {
      assert.equal(g.eventAt(id), full.values[id]);
      assert.is(g.timestampOf(id), full.ts[id]);
    }
    // A fresh generator started mid-stream (resume after a checkpoint) agrees.
    const resumed = new NexmarkGenerator(cfg);
    const vals = new Array<NexmarkEvent>(100);
    const ts = new Float64Array(100);
    assert.is(resumed.generate(6000, 100, vals, ts), 100);
    for (let i = 0; i < 100; i++) assert.equal(vals[i], full.values[6000 + i]);
  }
});

test('generate: bounds, end of input, caps', () => {
  const g = new NexmarkGenerator({ seed: 1, events: 10 });
  const vals = new Array<NexmarkEvent>(4);
  const ts = new Float64Array(4);
  assert.is(g.generate(0, 100, vals, ts), 4); // capped by timestamps.length
  assert.is(g.generate(8, 4, vals, ts), 2);
  assert.is(g.generate(10, 4, vals, ts), 0);
  assert.is(g.generate(11, 4, vals, ts), 0);
  assert.is(g.generate(0, 0, vals, ts), 0);
  assert.is(vals.length, 4);
  assert.throws(() => new NexmarkGenerator({ seed: 1.5, events: 10 }));
  assert.throws(() => new NexmarkGenerator({ seed: 1, events: -1 }));
  assert.throws(() => new NexmarkGenerator({ seed: 1, events: 10, firstEventRate: 0 }));
  assert.throws(() => new NexmarkGenerator({ seed: 1, events: 10, outOfOrdernessMs: -1 }));
  assert.throws(() => new NexmarkGenerator({ seed: 1, events: 10, baseTime: -5 }));
  assert.throws(() => g.eventAt(-1));
  assert.throws(() => g.generate(-1, 4, vals, ts));
  const unbounded = new NexmarkGenerator({ seed: 1, events: Infinity });
  assert.is(unbounded.generate(1e12, 4, vals, ts), 4);
});

// ---------------------------------------------------------------------------
// Shape of the stream

test('proportions are exactly 1 person / 3 auctions / 46 bids per 50 events', () => {
  const { values } = generateAll({ seed: 3, events: 50 * 400 });
  for (let block = 0; block < 400; block++) {
    const counts = [0, 0, 0];
    for (let i = 0; i < 50; i++) {
      const id = block * 50 + i;
      const e = values[id];
      counts[e.type]++;
      const expected = i === 0 ? 0 : i <= 3 ? 1 : 2;
      assert.is(e.type, expected);
      // Monomorphic shape: all four keys, same order.
      assert.equal(Object.keys(e), ['type', 'person', 'auction', 'bid']);
    }
    assert.equal(counts, [1, 3, 46]);
  }
});

test('ids follow Nexmark: sequential persons/auctions, bids/sellers reference (nearly) existing ids', () => {
  const N = 200_000;
  const { values } = generateAll({ seed: 11, events: N });
  let bids = 0;
  let hotAuction = 0;
  let existingAuction = 0;
  let existingBidder = 0;
  for (let id = 0; id < N; id++) {
    const e = values[id];
    const lastP = lastBase0PersonId(id) + FIRST_PERSON_ID;
    const lastA = lastBase0AuctionId(id) + FIRST_AUCTION_ID;
    if (e.type === 0) {
      assert.is(e.person.id, FIRST_PERSON_ID + Math.floor(id / 50));
      assert.is(e.person.id, lastP);
    } else if (e.type === 1) {
      assert.is(e.auction.id, FIRST_AUCTION_ID + 3 * Math.floor(id / 50) + (id % 50) - 1);
      assert.is(e.auction.id, lastA);
      const a = e.auction;
      assert.ok(a.seller >= FIRST_PERSON_ID && a.seller <= lastP + PERSON_ID_LEAD);
      assert.ok(a.category >= 10 && a.category < 15);
      assert.ok(a.expires > a.dateTime);
      assert.ok(a.reserve >= a.initialBid && a.initialBid >= 100);
      assert.ok(Number.isInteger(a.initialBid) && Number.isInteger(a.reserve));
    } else {
      const b = e.bid;
      bids++;
      assert.ok(b.auction >= FIRST_AUCTION_ID && b.auction <= lastA + AUCTION_ID_LEAD, `bid auction ${b.auction} > ${lastA}`);
      assert.ok(b.auction >= lastA - 100 || b.auction % 100 === 0, 'bid auction in flight or hot');
      assert.ok(b.bidder >= FIRST_PERSON_ID && b.bidder <= lastP + PERSON_ID_LEAD);
      assert.ok(Number.isInteger(b.price) && b.price >= 100 && b.price <= 100_000_000);
      assert.ok(b.channel.length > 0 && b.url.startsWith('https://'));
      if (b.auction <= lastA) existingAuction++;
      if (b.bidder <= lastP) existingBidder++;
      if ((b.auction - FIRST_AUCTION_ID) === Math.floor((lastA - FIRST_AUCTION_ID) / 100) * 100) hotAuction++;
    }
  }
  assert.is(bids, (N / 50) * 46);
  assert.ok(existingAuction / bids > 0.95, `existing auctions ${existingAuction / bids}`);
  assert.ok(existingBidder / bids > 0.95, `existing bidders ${existingBidder / bids}`);
  // hotAuctionRatio 2: ~half the bids go to the hot auction (plus the odd random hit).
  assert.ok(hotAuction / bids > 0.48 && hotAuction / bids < 0.53, `hot auction share ${hotAuction / bids}`);
});

test('timestamps: monotone without jitter, within the jitter bound otherwise; dateTime == timestamp', () => {
  const N = 50_000;
  const plain = generateAll({ seed: 5, events: N });
  const g = new NexmarkGenerator({ seed: 5, events: N });
  for (let i = 0; i < N; i++) {
    assert.is(plain.ts[i], dateTimeOf(plain.values[i]));
    assert.is(plain.ts[i], g.nominalTimestampOf(i));
    if (i > 0) assert.ok(plain.ts[i] >= plain.ts[i - 1]);
  }
  assert.is(plain.ts[0], 1_700_000_000_000);
  assert.is(plain.ts[10], 1_700_000_000_001); // 10,000 events/s -> 0.1 ms per event
  const ooo = 250;
  const jit = generateAll({ seed: 5, events: N, outOfOrdernessMs: ooo });
  let jittered = 0;
  let inversions = 0;
  for (let i = 0; i < N; i++) {
    const t = jit.ts[i];
    assert.is(t, dateTimeOf(jit.values[i]));
    assert.ok(Number.isInteger(t));
    assert.ok(t <= plain.ts[i] && t >= plain.ts[i] - ooo, `event ${i}: ${t} vs ${plain.ts[i]}`);
    if (t !== plain.ts[i]) jittered++;
    if (i > 0 && t < jit.ts[i - 1]) inversions++;
    // Jitter changes nothing but the event time.
    const a = JSON.stringify(plain.values[i]).replace(/"dateTime":\d+/, '').replace(/"expires":\d+/, '');
    const b = JSON.stringify(jit.values[i]).replace(/"dateTime":\d+/, '').replace(/"expires":\d+/, '');
    assert.is(a, b);
  }
  assert.ok(jittered > N * 0.9);
  assert.ok(inversions > N * 0.3);
  // Clamped at 0 near baseTime 0.
  const z = generateAll({ seed: 5, events: 1000, baseTime: 0, outOfOrdernessMs: 1000 });
  for (const t of z.ts) assert.ok(t >= 0);
});

test('custom rate / baseTime / extraBytes', () => {
  const g = new NexmarkGenerator({ seed: 1, events: 100, firstEventRate: 1000, baseTime: 5000, extraBytes: 0 });
  assert.is(g.timestampOf(0), 5000);
  assert.is(g.timestampOf(3), 5003);
  for (let i = 0; i < 100; i++) {
    const e = g.eventAt(i);
    const extra = e.type === 0 ? e.person.extra : e.type === 1 ? e.auction.extra : e.bid.extra;
    assert.is(extra, '');
  }
  const big = generateAll({ seed: 1, events: 5000, extraBytes: 40 });
  let total = 0;
  for (const e of big.values) total += (e.type === 0 ? e.person.extra : e.type === 1 ? e.auction.extra : e.bid.extra).length;
  const avg = total / 5000;
  assert.ok(avg > 30 && avg < 50, `avg extra ${avg}`);
});

test.run();
