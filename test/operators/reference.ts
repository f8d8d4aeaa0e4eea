/**
 * Straightforward reference implementations of the windowed operators, kept
 * deliberately naive (arrays, filters, sorts) so they share no code with the
 * engine. They take the exact sequence of batches the engine sees, because
 * lateness is defined against the watermark before each batch.
 */
import { SplitMix32 } from '../../streams/nexmark/prng.ts';

export interface Ev { id: number; key: string; ts: number; v: number }
export interface RefBatch { side: 0 | 1; records: Ev[]; watermark: number }
export interface WindowRow { key: string; windowStart: number; windowEnd: number; count: number; sum: number; min: number; max: number }

/** Random keyed events: mostly increasing time with jitter, some very late; split into random batches with bounded-out-of-orderness watermarks. */
export function randomBatches(seed: number, o: { events: number; keys: number; jitter: number; lateEvery: number; lateBy: number; maxBatch: number; outOfOrderness: number; sides?: 1 | 2 }): RefBatch[] {
  const rng = new SplitMix32(seed);
  const sides = o.sides ?? 1;
  const pending: Ev[][] = [[], []];
  for (let i = 0; i < o.events; i++) {
    let ts = 1_000_000 + i * 10 + rng.nextInt(o.jitter);
    if (rng.nextInt(o.lateEvery) === 0) ts -= o.lateBy;
    const ev = { id: i, key: `k${rng.nextInt(o.keys)}`, ts, v: rng.nextInt(1000) - 300 };
    pending[sides === 2 ? rng.nextInt(2) : 0]!.push(ev);
  }
  const batches: RefBatch[] = [];
  const maxSeen = [-Infinity, -Infinity];
  const wm = [-Infinity, -Infinity];
  const at = [0, 0];
  while (at[0]! < pending[0]!.length || at[1]! < pending[1]!.length) {
    let side: 0 | 1 = sides === 2 ? (rng.nextInt(2) as 0 | 1) : 0;
    if (at[side]! >= pending[side]!.length) side = side === 0 ? 1 : 0;
    const n = 1 + rng.nextInt(o.maxBatch);
    const records = pending[side]!.slice(at[side], at[side]! + n);
    at[side]! += records.length;
    for (const r of records) maxSeen[side] = Math.max(maxSeen[side]!, r.ts);
    wm[side] = Math.max(wm[side]!, maxSeen[side]! - o.outOfOrderness);
    batches.push({ side, records, watermark: wm[side]! });
  }
  return batches;
}

function rowOf(key: string, start: number, end: number, vs: number[]): WindowRow {
  return { key, windowStart: start, windowEnd: end, count: vs.length, sum: vs.reduce((a, b) => a + b, 0), min: Math.min(...vs), max: Math.max(...vs) };
}

/** All window starts s (multiples of slide) with s <= ts < s + size, found by brute force. */
export function windowStartsNaive(ts: number, size: number, slide: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor((ts - size) / slide) - 1; k * slide <= ts; k++) if (k * slide <= ts && ts < k * slide + size) out.push(k * slide);
  return out;
}

export function referenceWindows(batches: RefBatch[], size: number, slide: number, lateness: number): { rows: WindowRow[]; late: number[] } {
  let wm = -Infinity;
  const accepted = new Map<string, { key: string; start: number; vs: number[] }>();
  const late: number[] = [];
  for (const b of batches) {
    for (const r of b.records) {
      let missed = false;
      for (const s of windowStartsNaive(r.ts, size, slide)) {
        if (s + size + lateness <= wm) {
          missed = true;
          continue;
        }
        const id = `${r.key}|${s}`;
        if (!accepted.has(id)) accepted.set(id, { key: r.key, start: s, vs: [] });
        accepted.get(id)!.vs.push(r.v);
      }
      if (missed) late.push(r.id);
    }
    wm = Math.max(wm, b.watermark);
  }
  const rows = [...accepted.values()].map((w) => rowOf(w.key, w.start, w.start + size, w.vs));
  return { rows: sortRows(rows), late: late.sort((a, b) => a - b) };
}

export function referenceSessions(batches: RefBatch[], gap: number, lateness: number): { rows: WindowRow[]; late: number[] } {
  let wm = -Infinity;
  const open = new Map<string, { start: number; end: number; vs: number[] }[]>();
  const rows: WindowRow[] = [];
  const late: number[] = [];
  const fire = (): void => {
    for (const [key, list] of open) {
      const keep = list.filter((s) => s.end + lateness > wm);
      for (const s of list.filter((x) => !keep.includes(x))) rows.push(rowOf(key, s.start, s.end, s.vs));
      open.set(key, keep);
    }
  };
  for (const b of batches) {
    for (const r of b.records) {
      const list = open.get(r.key) ?? [];
      let lo = r.ts;
      let hi = r.ts + gap;
      let group: typeof list = [];
      for (let changed = true; changed; ) {
        changed = false;
        for (const s of list) {
          if (!group.includes(s) && s.start < hi && lo < s.end) {
            group = [...group, s];
            lo = Math.min(lo, s.start);
            hi = Math.max(hi, s.end);
            changed = true;
          }
        }
      }
      if (hi + lateness <= wm) {
        late.push(r.id);
        continue;
      }
      const merged = { start: lo, end: hi, vs: [...group.flatMap((s) => s.vs), r.v] };
      open.set(r.key, [...list.filter((s) => !group.includes(s)), merged]);
    }
    wm = Math.max(wm, b.watermark);
    fire();
  }
  wm = Infinity;
  fire();
  return { rows: sortRows(rows), late: late.sort((a, b) => a - b) };
}

export function referenceAggregate(batches: RefBatch[]): Map<string, { count: number; sum: number }> {
  const out = new Map<string, { count: number; sum: number }>();
  for (const b of batches) for (const r of b.records) {
    const cur = out.get(r.key) ?? { count: 0, sum: 0 };
    out.set(r.key, { count: cur.count + 1, sum: cur.sum + r.v });
  }
  return out;
}

export interface JoinRow { key: string; windowStart: number; left: number; right: number }

export function referenceJoin(batches: RefBatch[], size: number, lateness: number): { rows: JoinRow[]; late: number[] } {
  const wm = [-Infinity, -Infinity];
  const panes = new Map<string, { key: string; start: number; l: number[]; r: number[] }>();
  const late: number[] = [];
  for (const b of batches) {
    const before = Math.min(wm[0]!, wm[1]!);
    for (const r of b.records) {
      const start = Math.floor(r.ts / size) * size;
      if (start + size + lateness <= before) {
        late.push(r.id);
        continue;
      }
      const id = `${r.key}|${start}`;
      if (!panes.has(id)) panes.set(id, { key: r.key, start, l: [], r: [] });
      (b.side === 0 ? panes.get(id)!.l : panes.get(id)!.r).push(r.id);
    }
    wm[b.side] = Math.max(wm[b.side]!, b.watermark);
  }
  const rows: JoinRow[] = [];
  for (const p of panes.values()) for (const l of p.l) for (const r of p.r) rows.push({ key: p.key, windowStart: p.start, left: l, right: r });
  rows.sort((a, b) => a.windowStart - b.windowStart || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.left - b.left || a.right - b.right);
  return { rows, late: late.sort((a, b) => a - b) };
}

export function sortRows(rows: WindowRow[]): WindowRow[] {
  return rows.sort((a, b) => a.windowStart - b.windowStart || a.windowEnd - b.windowEnd || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
