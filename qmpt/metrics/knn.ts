/**
 * Exact k-nearest-neighbour mean distances by brute force (the `knn`
 * distance mode, docs/QMPT.md §3.2): for each query, one pass over the
 * reference keeps the k smallest squared distances in a bounded max-heap,
 * and a candidate stops accumulating its squared distance once it passes the
 * heap's top. O(n d) per query, no allocation per query.
 */

export interface KnnReference {
  /** z-scored reference points, rows×dim. */
  points: Float64Array;
  rows: number;
  k: number;
  dim: number;
}

/**
 * Mean distance of each of the `count` rows of `queries` (z-scored) to its
 * k nearest reference points; `leaveOneOut`: query i is reference point i
 * and skips itself. k must not exceed the reference points available.
 */
export function meanNeighbourDistances(ref: KnnReference, queries: Float64Array, count: number, leaveOneOut: boolean, out: Float64Array): Float64Array {
  const { points, rows, k, dim: d } = ref;
  const heap = new Float64Array(k);
  for (let q = 0; q < count; q++) {
    const qo = q * d;
    let size = 0;
    for (let p = 0; p < rows; p++) {
      if (leaveOneOut && p === q) continue;
      const po = p * d;
      const bound = size === k ? heap[0]! : Infinity;
      let s = 0;
      for (let i = 0; i < d && s < bound; i++) {
        const t = queries[qo + i]! - points[po + i]!;
        s += t * t;
      }
      if (s >= bound) continue;
      if (size < k) siftUp(heap, size++, s);
      else siftDown(heap, k, s);
    }
    let sum = 0;
    for (let i = 0; i < k; i++) sum += Math.sqrt(heap[i]!);
    out[q] = sum / k;
  }
  return out;
}

/** Inserts v at heap[size] and restores the max-heap order upwards. */
function siftUp(heap: Float64Array, size: number, v: number): void {
  let i = size;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! >= v) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = v;
}

/** Replaces the root of a full max-heap of `size` with v (< the root) and restores the order downwards. */
function siftDown(heap: Float64Array, size: number, v: number): void {
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && heap[child + 1]! > heap[child]!) child++;
    if (heap[child]! <= v) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = v;
}
