import type { SourceChunk } from './connectors.ts';

/**
 * Splits a polled chunk into one chunk per partition, keeping record order
 * within each (a task sees only its partition). Sources deliver a poll's
 * records grouped by partition, so this is usually a few contiguous slices.
 */
export function splitByPartition(chunk: SourceChunk): Map<number, SourceChunk> {
  const out = new Map<number, SourceChunk>();
  const parts = chunk.partitions;
  const n = chunk.values.length;
  if (parts === null || n === 0) return out;
  const runs = new Map<number, [number, number][]>();
  for (let i = 0; i < n; ) {
    const p = parts[i]!;
    let j = i + 1;
    while (j < n && parts[j] === p) j++;
    let list = runs.get(p);
    if (!list) runs.set(p, (list = []));
    list.push([i, j]);
    i = j;
  }
  for (const [p, list] of runs) {
    // a task's watermark only knows its own partition: only that one may hold it back
    const lagging = chunk.lagging?.includes(p) ? [p] : null;
    if (list.length === 1 && list[0]![0] === 0 && list[0]![1] === n) out.set(p, { ...chunk, lagging, end: false });
    else out.set(p, slice(chunk, list, lagging));
  }
  return out;
}

function slice(chunk: SourceChunk, runs: readonly [number, number][], lagging: number[] | null): SourceChunk {
  let m = 0;
  for (const [a, b] of runs) m += b - a;
  const values = new Array<unknown>(m);
  const timestamps = new Float64Array(m);
  const keys = chunk.keys ? new Array<(typeof chunk.keys)[number]>(m) : null;
  const partitions = new Int32Array(m);
  const offsets = chunk.offsets ? new Float64Array(m) : null;
  let k = 0;
  for (const [a, b] of runs) {
    for (let i = a; i < b; i++, k++) {
      values[k] = chunk.values[i];
      timestamps[k] = chunk.timestamps[i]!;
      if (keys) keys[k] = chunk.keys![i]!;
      partitions[k] = chunk.partitions![i]!;
      if (offsets) offsets[k] = chunk.offsets![i]!;
    }
  }
  return { values, timestamps, keys, partitions, offsets, topic: chunk.topic, lagging, end: false };
}
