import type { Batch, Key } from './batch.ts';
import type { Output } from './operator.ts';

interface Chunk<O> {
  values: readonly O[];
  timestamps: Float64Array;
  keys: readonly (Key | null)[] | null;
}

/** Rows pushed one at a time, grown in place. */
class RowBuffer<O> {
  values: O[] = [];
  timestamps: number[] = [];
  keys: (Key | null)[] = [];
  keyed = false;
  get length(): number { return this.values.length; }
  push(value: O, ts: number, key: Key | null): void {
    this.values.push(value);
    this.timestamps.push(ts);
    this.keys.push(key);
    if (key !== null) this.keyed = true;
  }
  toChunk(): Chunk<O> {
    const chunk: Chunk<O> = { values: this.values, timestamps: Float64Array.from(this.timestamps), keys: this.keyed ? this.keys : null };
    this.values = [];
    this.timestamps = [];
    this.keys = [];
    this.keyed = false;
    return chunk;
  }
}

/** Collects an operator's output per port during one input batch, then hands out one batch per port. */
export class PortCollector<O> implements Output<O> {
  private readonly chunks = new Map<string, Chunk<O>[]>();
  private readonly rows = new Map<string, RowBuffer<O>>();

  constructor(private readonly ports: readonly string[]) {
    for (const p of ports) {
      this.chunks.set(p, []);
      this.rows.set(p, new RowBuffer<O>());
    }
  }

  emitColumns(values: readonly O[], timestamps: Float64Array, keys: readonly (Key | null)[] | null, port = 'out'): void {
    if (values.length === 0) return;
    const rows = this.rowsOf(port);
    if (rows.length > 0) this.chunks.get(port)!.push(rows.toChunk());
    this.chunks.get(port)!.push({ values, timestamps, keys });
  }

  push(value: O, timestamp: number, key: Key | null, port = 'out'): void {
    this.rowsOf(port).push(value, timestamp, key);
  }

  /** Drains the port into one batch (or null when nothing was emitted). */
  take(port: string, watermark: number): Batch<O> | null {
    const list = this.chunks.get(port)!;
    const rows = this.rows.get(port)!;
    if (rows.length > 0) list.push(rows.toChunk());
    if (list.length === 0) return null;
    const merged = list.length === 1 ? list[0]! : concatChunks(list);
    list.length = 0;
    return { values: merged.values, timestamps: merged.timestamps, keys: merged.keys, watermark };
  }

  private rowsOf(port: string): RowBuffer<O> {
    const rows = this.rows.get(port);
    if (!rows) throw new Error(`operator emitted to unknown port "${port}" (ports: ${this.ports.join(', ')})`);
    return rows;
  }
}

function concatChunks<O>(list: Chunk<O>[]): Chunk<O> {
  let n = 0;
  let keyed = false;
  for (const c of list) {
    n += c.values.length;
    if (c.keys) keyed = true;
  }
  const values: O[] = new Array<O>(n);
  const timestamps = new Float64Array(n);
  const keys: (Key | null)[] | null = keyed ? new Array<Key | null>(n) : null;
  let at = 0;
  for (const c of list) {
    const len = c.values.length;
    for (let i = 0; i < len; i++) values[at + i] = c.values[i]!;
    timestamps.set(c.timestamps, at);
    if (keys) for (let i = 0; i < len; i++) keys[at + i] = c.keys ? c.keys[i]! : null;
    at += len;
  }
  return { values, timestamps, keys };
}
