/**
 * Hand-written baseline loops for the Nexmark benchmark: plain loops over the
 * generator (no engine, no RxJS) computing the same results as Nexmark
 * q0, q1, q2, q5 and q7. Each consumes the generator in chunks of `batchSize`
 * events (default 4096), exactly as an engine source would, and returns
 * `{ events, outputs, checksum, late }`.
 *
 * ## Checksum (so two implementations can be compared)
 *
 * Every output record is hashed with murmur3_32 (seed 0) over its fields,
 * each field encoded as a little-endian int64 (two uint32 words:
 * lo = v mod 2^32, hi = floor(v / 2^32) mod 2^32), i.e. 8 bytes per field,
 * in the order listed below. The summary checksum is the SUM of the record
 * hashes mod 2^32, so it does not depend on output order (an engine may
 * emit in any order, with any batching or parallelism). Fields:
 *
 *   q0: type, dateTime                                   (every event)
 *   q1: auction, bidder, round(priceEur * 1000), dateTime (priceEur = price * 0.908, a float, not rounded)
 *   q2: auction, price
 *   q5: auction, count, windowStart, windowEnd
 *   q7: auction, bidder, price, dateTime, windowStart, windowEnd
 *
 * Use `hashQ0` .. `hashQ7` and `addChecksum` to compute the same value from
 * another implementation's outputs.
 *
 * ## Window / watermark convention (q5, q7)
 *
 * - Window [start, end) contains t iff start <= t < end. Window starts are
 *   non-negative multiples of the slide (q5: size 10 s, slide 2 s, so a bid
 *   at t is in the windows with start = k * 2000, k >= 0, k*2000 <= t <
 *   k*2000 + 10000; q7: tumbling 10 s, start = floor(t / 10000) * 10000).
 * - Watermark = (max event time, over all event types, seen so far) -
 *   watermarkLagMs (default: config.outOfOrdernessMs). It advances at batch
 *   boundaries (after each chunk of `batchSize` events, like Batch.watermark
 *   in the engine), and is +Infinity at the end of input.
 * - A window is final (emitted) when watermark >= end; outputs are emitted in
 *   increasing window end order. Windows without bids emit nothing.
 * - A bid arriving when a window containing it is already final is not
 *   counted in that window; `late` counts such (bid, window) pairs (for q7
 *   one window per bid, so it is the number of late bids). With the default
 *   lag (= the generator's jitter bound) no bid is ever late, and results do
 *   not depend on the batch size.
 * - q5 per window: count bids per auction; output the auction with the max
 *   count; ties go to the auction whose first (counted) bid in the window
 *   arrived first. Exactly one output per non-empty window.
 * - q7 per window: the bid with the max price; ties go to the first seen.
 */

import { fmix32 } from '../../streams/nexmark/prng.ts';
import { pathToFileURL } from 'node:url';
import { NexmarkGenerator, type Bid, type NexmarkConfig, type NexmarkEvent } from '../../streams/nexmark/generator.ts';

// ---------------------------------------------------------------------------
// Result / output types

export interface BaselineResult {
  /** Events consumed from the generator. */
  events: number;
  /** Output records produced. */
  outputs: number;
  /** Sum of per-output murmur3 hashes, mod 2^32 (see module doc). */
  checksum: number;
  /** (bid, window) assignments dropped because the window was already final (q5/q7; 0 otherwise). */
  late: number;
}

export interface Q1Output { auction: number; bidder: number; price: number; dateTime: number }
export interface Q2Output { auction: number; price: number }
export interface Q5Output { auction: number; count: number; windowStart: number; windowEnd: number }
export interface Q7Output { auction: number; bidder: number; price: number; dateTime: number; windowStart: number; windowEnd: number }

export interface BaselineOptions<T> {
  /** Watermark lag for q5/q7 (default config.outOfOrdernessMs ?? 0). */
  watermarkLagMs?: number;
  /** When given, every output record is pushed here (in emission order). */
  collect?: T[];
}

export type BaselineQuery = 'q0' | 'q1' | 'q2' | 'q5' | 'q7';

export const DEFAULT_BATCH_SIZE = 4096;
export const Q1_EXCHANGE_RATE = 0.908;
export const Q2_AUCTION_MODULUS = 123;
export const Q5_WINDOW_MS = 10_000;
export const Q5_SLIDE_MS = 2_000;
export const Q7_WINDOW_MS = 10_000;

// ---------------------------------------------------------------------------
// Checksum: murmur3_32 over int64 little-endian fields

const TWO_POW_32 = 4294967296;

function mixWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Fold one integer field (|v| < 2^53) into a running murmur3 state. */
export function mixField(h: number, v: number): number {
  h = mixWord(h, v | 0 /* = lo word, v mod 2^32 */);
  return mixWord(h, Math.floor(v / TWO_POW_32) | 0);
}

/** murmur3 finalisation for a record of `fields` int64 fields. */
export function finishRecord(h: number, fields: number): number {
  return fmix32(h ^ (fields * 8));
}

/** Add a record hash to a summary checksum (sum mod 2^32). */
export function addChecksum(checksum: number, recordHash: number): number {
  return (checksum + recordHash) >>> 0;
}

export function hashQ0(type: number, dateTime: number): number {
  return finishRecord(mixField(mixField(0, type), dateTime), 2);
}

export function hashQ1(auction: number, bidder: number, priceEur: number, dateTime: number): number {
  let h = mixField(0, auction);
  h = mixField(h, bidder);
  h = mixField(h, Math.round(priceEur * 1000));
  h = mixField(h, dateTime);
  return finishRecord(h, 4);
}

export function hashQ2(auction: number, price: number): number {
  return finishRecord(mixField(mixField(0, auction), price), 2);
}

export function hashQ5(auction: number, count: number, windowStart: number, windowEnd: number): number {
  let h = mixField(0, auction);
  h = mixField(h, count);
  h = mixField(h, windowStart);
  h = mixField(h, windowEnd);
  return finishRecord(h, 4);
}

export function hashQ7(
  auction: number,
  bidder: number,
  price: number,
  dateTime: number,
  windowStart: number,
  windowEnd: number,
): number {
  let h = mixField(0, auction);
  h = mixField(h, bidder);
  h = mixField(h, price);
  h = mixField(h, dateTime);
  h = mixField(h, windowStart);
  h = mixField(h, windowEnd);
  return finishRecord(h, 6);
}

// ---------------------------------------------------------------------------
// Shared source loop helpers

function checkBatchSize(batchSize: number): void {
  if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) {
    throw new RangeError(`nexmark baseline: batchSize must be a positive integer, got ${batchSize}`);
  }
}

function lagOf<T>(config: NexmarkConfig, options: BaselineOptions<T>): number {
  const lag = options.watermarkLagMs ?? config.outOfOrdernessMs ?? 0;
  if (!(Number.isFinite(lag) && lag >= 0)) throw new RangeError(`nexmark baseline: watermarkLagMs must be >= 0, got ${lag}`);
  return lag;
}

function newValues(batchSize: number): NexmarkEvent[] {
  return new Array<NexmarkEvent>(batchSize);
}

// ---------------------------------------------------------------------------
// q0: pass-through

export function q0(config: NexmarkConfig, batchSize = DEFAULT_BATCH_SIZE, options: BaselineOptions<NexmarkEvent> = {}): BaselineResult {
  checkBatchSize(batchSize);
  const gen = new NexmarkGenerator(config);
  const values = newValues(batchSize);
  const ts = new Float64Array(batchSize);
  const collect = options.collect;
  let from = 0;
  let n: number;
  let outputs = 0;
  let checksum = 0;
  while ((n = gen.generate(from, batchSize, values, ts)) > 0) {
    from += n;
    for (let i = 0; i < n; i++) {
      const ev = values[i];
      checksum = (checksum + hashQ0(ev.type, ts[i])) >>> 0;
      if (collect !== undefined) collect.push(ev);
    }
    outputs += n;
  }
  return { events: from, outputs, checksum, late: 0 };
}

// ---------------------------------------------------------------------------
// q1: currency conversion (price * 0.908, float, not rounded)

export function q1(config: NexmarkConfig, batchSize = DEFAULT_BATCH_SIZE, options: BaselineOptions<Q1Output> = {}): BaselineResult {
  checkBatchSize(batchSize);
  const gen = new NexmarkGenerator(config);
  const values = newValues(batchSize);
  const ts = new Float64Array(batchSize);
  const out = new Array<Q1Output>(batchSize); // reusable output batch, as an operator would emit
  const collect = options.collect;
  let from = 0;
  let n: number;
  let outputs = 0;
  let checksum = 0;
  while ((n = gen.generate(from, batchSize, values, ts)) > 0) {
    from += n;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const b = values[i].bid;
      if (b === null) continue;
      out[m++] = { auction: b.auction, bidder: b.bidder, price: b.price * Q1_EXCHANGE_RATE, dateTime: b.dateTime };
    }
    for (let j = 0; j < m; j++) {
      const o = out[j];
      checksum = (checksum + hashQ1(o.auction, o.bidder, o.price, o.dateTime)) >>> 0;
      if (collect !== undefined) collect.push(o);
    }
    outputs += m;
  }
  return { events: from, outputs, checksum, late: 0 };
}

// ---------------------------------------------------------------------------
// q2: selection (auction % 123 === 0)

export function q2(config: NexmarkConfig, batchSize = DEFAULT_BATCH_SIZE, options: BaselineOptions<Q2Output> = {}): BaselineResult {
  checkBatchSize(batchSize);
  const gen = new NexmarkGenerator(config);
  const values = newValues(batchSize);
  const ts = new Float64Array(batchSize);
  const out = new Array<Q2Output>(batchSize);
  const collect = options.collect;
  let from = 0;
  let n: number;
  let outputs = 0;
  let checksum = 0;
  while ((n = gen.generate(from, batchSize, values, ts)) > 0) {
    from += n;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const b = values[i].bid;
      if (b === null || b.auction % Q2_AUCTION_MODULUS !== 0) continue;
      out[m++] = { auction: b.auction, price: b.price };
    }
    for (let j = 0; j < m; j++) {
      const o = out[j];
      checksum = (checksum + hashQ2(o.auction, o.price)) >>> 0;
      if (collect !== undefined) collect.push(o);
    }
    outputs += m;
  }
  return { events: from, outputs, checksum, late: 0 };
}

// ---------------------------------------------------------------------------
// q5: hot items (hopping 10 s / 2 s, count per auction, argmax per window)
//
// Bids are counted per pane (the slide-sized interval [p*2000, (p+1)*2000));
// window k (start k*2000) is the union of panes k..k+4 and is computed when it
// becomes final, by merging its panes. A window is computed once, at the batch
// boundary where it becomes final, so a bid that reaches a pane afterwards is
// (correctly) not part of it: this gives exactly per-window lateness. A pane
// is dropped once the last window containing it (window p) is final.

interface PaneEntry { count: number; first: number }

class Pane {
  readonly counts = new Map<number, PaneEntry>();
  /** One-entry cache of the last auction counted here (half the bids go to the hot auction). */
  lastAuction = -1;
  lastEntry: PaneEntry | null = null;
  constructor(readonly index: number) {}
}

export function q5(config: NexmarkConfig, batchSize = DEFAULT_BATCH_SIZE, options: BaselineOptions<Q5Output> = {}): BaselineResult {
  checkBatchSize(batchSize);
  const lag = lagOf(config, options);
  const gen = new NexmarkGenerator(config);
  const values = newValues(batchSize);
  const ts = new Float64Array(batchSize);
  const collect = options.collect;
  const panesPerWindow = Q5_WINDOW_MS / Q5_SLIDE_MS; // 5

  const panes = new Map<number, Pane>();
  const order: Pane[] = []; // open panes sorted by index
  let head = 0; // order[head..] are live
  let watermark = -Infinity;
  let done = -1; // every window with index <= done is final
  let seq = 0;
  let outputs = 0;
  let checksum = 0;
  let late = 0;
  let maxTs = -Infinity;
  let lastPane: Pane | null = null; // one-entry cache: bids are mostly in order

  const merged = new Map<number, PaneEntry>();
  const emitWindow = (k: number): void => {
    merged.clear();
    for (let i = head; i < order.length; i++) {
      const pane = order[i];
      if (pane.index >= k + panesPerWindow) break;
      for (const [auction, e] of pane.counts) {
        const m = merged.get(auction);
        if (m === undefined) merged.set(auction, { count: e.count, first: e.first });
        else {
          m.count += e.count;
          if (e.first < m.first) m.first = e.first;
        }
      }
    }
    if (merged.size === 0) return;
    let bestAuction = 0;
    let bestCount = -1;
    let bestFirst = Infinity;
    for (const [auction, m] of merged) {
      if (m.count > bestCount || (m.count === bestCount && m.first < bestFirst)) {
        bestAuction = auction;
        bestCount = m.count;
        bestFirst = m.first;
      }
    }
    const windowStart = k * Q5_SLIDE_MS;
    const windowEnd = windowStart + Q5_WINDOW_MS;
    checksum = (checksum + hashQ5(bestAuction, bestCount, windowStart, windowEnd)) >>> 0;
    outputs++;
    if (collect !== undefined) collect.push({ auction: bestAuction, count: bestCount, windowStart, windowEnd });
  };

  const advance = (wm: number): void => {
    watermark = wm;
    const newDone = wm === Infinity ? Infinity : Math.floor((wm - Q5_WINDOW_MS) / Q5_SLIDE_MS);
    while (head < order.length) {
      const minPane = order[head].index;
      let k = minPane - (panesPerWindow - 1);
      if (k < done + 1) k = done + 1;
      if (k < 0) k = 0;
      if (k > newDone) break;
      emitWindow(k);
      done = k;
      while (head < order.length && order[head].index <= done) {
        const p = order[head++];
        panes.delete(p.index);
        if (p === lastPane) lastPane = null;
      }
    }
    if (newDone > done) done = newDone;
    if (head > 1024 && head * 2 > order.length) {
      order.splice(0, head);
      head = 0;
    }
  };

  const paneFor = (p: number): Pane => {
    let pane = panes.get(p);
    if (pane === undefined) {
      pane = new Pane(p);
      panes.set(p, pane);
      let i = order.length;
      while (i > head && order[i - 1].index > p) i--;
      order.splice(i, 0, pane);
    }
    return pane;
  };

  let from = 0;
  let n: number;
  while ((n = gen.generate(from, batchSize, values, ts)) > 0) {
    from += n;
    for (let i = 0; i < n; i++) {
      const t = ts[i];
      if (t > maxTs) maxTs = t;
      const b = values[i].bid;
      if (b === null) continue;
      const p = Math.floor(t / Q5_SLIDE_MS);
      // Windows containing t: k in [max(0, p-4), p]; those with k <= done are final.
      let firstK = p - (panesPerWindow - 1);
      if (firstK < 0) firstK = 0; // (event times are never negative, so p >= 0)
      if (firstK <= done) {
        late += (p < done ? p : done) - firstK + 1;
        if (p <= done) continue;
      }
      const pane = lastPane !== null && lastPane.index === p ? lastPane : (lastPane = paneFor(p));
      const auction = b.auction;
      if (pane.lastAuction === auction && pane.lastEntry !== null) pane.lastEntry.count++; // hot auction fast path
      else {
        let e = pane.counts.get(auction);
        if (e === undefined) {
          e = { count: 1, first: seq };
          pane.counts.set(auction, e);
        } else e.count++;
        pane.lastAuction = auction;
        pane.lastEntry = e;
      }
      seq++;
    }
    const wm = maxTs - lag;
    if (wm > watermark) advance(wm);
  }
  advance(Infinity);
  return { events: from, outputs, checksum, late };
}

// ---------------------------------------------------------------------------
// q7: highest bid (tumbling 10 s, max price, first seen wins ties)

interface Q7Window { index: number; best: Bid }

export function q7(config: NexmarkConfig, batchSize = DEFAULT_BATCH_SIZE, options: BaselineOptions<Q7Output> = {}): BaselineResult {
  checkBatchSize(batchSize);
  const lag = lagOf(config, options);
  const gen = new NexmarkGenerator(config);
  const values = newValues(batchSize);
  const ts = new Float64Array(batchSize);
  const collect = options.collect;

  const open: Q7Window[] = []; // sorted by index (few entries)
  let watermark = -Infinity;
  let done = -Infinity; // every window with index <= done is final
  let outputs = 0;
  let checksum = 0;
  let late = 0;
  let maxTs = -Infinity;

  const advance = (wm: number): void => {
    watermark = wm;
    const newDone = wm === Infinity ? Infinity : Math.floor(wm / Q7_WINDOW_MS) - 1;
    let e = 0;
    while (e < open.length && open[e].index <= newDone) {
      const w = open[e++];
      const b = w.best;
      const windowStart = w.index * Q7_WINDOW_MS;
      const windowEnd = windowStart + Q7_WINDOW_MS;
      checksum = (checksum + hashQ7(b.auction, b.bidder, b.price, b.dateTime, windowStart, windowEnd)) >>> 0;
      outputs++;
      if (collect !== undefined) {
        collect.push({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, windowStart, windowEnd });
      }
    }
    if (e > 0) open.splice(0, e);
    if (newDone > done) done = newDone;
  };

  let from = 0;
  let n: number;
  let last: Q7Window | null = null;
  while ((n = gen.generate(from, batchSize, values, ts)) > 0) {
    from += n;
    for (let i = 0; i < n; i++) {
      const t = ts[i];
      if (t > maxTs) maxTs = t;
      const b = values[i].bid;
      if (b === null) continue;
      const k = Math.floor(t / Q7_WINDOW_MS);
      if (k <= done) {
        late++;
        continue;
      }
      let w: Q7Window;
      if (last !== null && last.index === k) w = last;
      else {
        let j = open.length;
        while (j > 0 && open[j - 1].index > k) j--;
        if (j > 0 && open[j - 1].index === k) w = open[j - 1];
        else {
          w = { index: k, best: b };
          open.splice(j, 0, w);
          last = w;
          continue;
        }
        last = w;
      }
      if (b.price > w.best.price) w.best = b;
    }
    const wm = maxTs - lag;
    if (wm > watermark) {
      advance(wm);
      if (last !== null && last.index <= done) last = null;
    }
  }
  advance(Infinity);
  return { events: from, outputs, checksum, late };
}

// ---------------------------------------------------------------------------

export function runBaseline(query: BaselineQuery, config: NexmarkConfig, batchSize = DEFAULT_BATCH_SIZE): BaselineResult {
  switch (query) {
    case 'q0': return q0(config, batchSize);
    case 'q1': return q1(config, batchSize);
    case 'q2': return q2(config, batchSize);
    case 'q5': return q5(config, batchSize);
    case 'q7': return q7(config, batchSize);
  }
}

export const BASELINE_QUERIES: readonly BaselineQuery[] = ['q0', 'q1', 'q2', 'q5', 'q7'];

/** Generator alone: consume `config.events` events in chunks; returns events/CPU-second. */
export function measureGenerator(config: NexmarkConfig, batchSize = DEFAULT_BATCH_SIZE): { events: number; cpuSeconds: number; eventsPerCpuSecond: number } {
  checkBatchSize(batchSize);
  const gen = new NexmarkGenerator(config);
  const values = newValues(batchSize);
  const ts = new Float64Array(batchSize);
  const c0 = process.cpuUsage();
  let from = 0;
  let n: number;
  while ((n = gen.generate(from, batchSize, values, ts)) > 0) from += n;
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  return { events: from, cpuSeconds, eventsPerCpuSecond: from / cpuSeconds };
}

/** Run a baseline and measure it (CPU time of this process, all threads incl. GC). */
export function measureBaseline(query: BaselineQuery, config: NexmarkConfig, batchSize = DEFAULT_BATCH_SIZE): BaselineResult & { cpuSeconds: number; wallSeconds: number; eventsPerCpuSecond: number } {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const r = runBaseline(query, config, batchSize);
  const wallSeconds = (performance.now() - w0) / 1000;
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  return { ...r, cpuSeconds, wallSeconds, eventsPerCpuSecond: r.events / cpuSeconds };
}

function main(): void {
  const events = Number(process.argv[2] ?? 5_000_000);
  const ooo = Number(process.argv[3] ?? 0);
  const config: NexmarkConfig = { seed: 42, events, outOfOrdernessMs: ooo };
  measureGenerator({ ...config, events: Math.min(events, 500_000) }); // warm-up
  const g = measureGenerator(config);
  console.log(`generator: ${g.events} events in ${g.cpuSeconds.toFixed(3)} CPU-s -> ${(g.eventsPerCpuSecond / 1e6).toFixed(2)} M events/CPU-s`);
  for (const q of BASELINE_QUERIES) {
    runBaseline(q, { ...config, events: Math.min(events, 500_000) }); // warm-up
    const r = measureBaseline(q, config);
    console.log(
      `${q}: ${r.events} events, ${r.outputs} outputs, checksum ${r.checksum}, late ${r.late}, ` +
        `${r.cpuSeconds.toFixed(3)} CPU-s (${r.wallSeconds.toFixed(3)} s wall) -> ${(r.eventsPerCpuSecond / 1e6).toFixed(2)} M events/CPU-s`,
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main();
}
