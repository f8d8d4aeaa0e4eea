/**
 * k-means for the Gaussian mixture's initialisation (docs/QMPT.md §3.1), as
 * scikit-learn's KMeans(n_init=1) does it: greedy k-means++ seeding (Arthur &
 * Vassilvitskii 2007; 2 + ⌊ln k⌋ candidates per center, the one lowering the
 * potential most is kept) from the seeded generator, then Lloyd iterations
 * until no assignment changes, the squared center shift falls to
 * 1e-4 × the mean column variance, or 300 iterations.
 *
 * The assignment pass is a chunk task (kmeansChunk) so it runs inline or in
 * the pool with bit-identical results; with one cluster the same pass gives
 * the column moments.
 */
import type { Matrix } from '../../types.ts';
import type { Rng } from '../../random.ts';
import { CHUNK_ROWS, sumChunks, type ChunkInput, type ChunkSession } from './executor.ts';

export type ScatterKind = 'none' | 'full' | 'diag';

export interface KmeansParams {
  k: number;
  d: number;
  /** k×d, row-major. */
  centers: Float64Array;
  /** The first assignment of a run: every row counts as changed (the labels hold another run's). */
  first: boolean;
  /** Also accumulate each cluster's Σ (x−c)(x−c)ᵀ about its center: the upper triangle, the diagonal, or nothing. */
  scatter: ScatterKind;
}

/** Values per cluster of the scatter block. */
export function scatterWidth(d: number, scatter: ScatterKind): number {
  return scatter === 'full' ? (d * (d + 1)) / 2 : scatter === 'diag' ? d : 0;
}

/** Offsets into a kmeansChunk result: [changed, inertia, counts (k), Σ(x−c) (k×d), scatter (k×width)]. */
export const KMEANS_COUNTS = 2;

/**
 * Assigns rows [from, to) to their nearest center (squared Euclidean, ties to
 * the lower index), writes the labels, and returns the chunk's changed labels,
 * inertia, counts, sums of offsets x − c and, on request, scatter about c.
 */
export function kmeansChunk(input: ChunkInput, from: number, to: number, params: KmeansParams): Float64Array {
  const { data, labels } = input;
  const { k, d, centers, first } = params;
  const width = scatterWidth(d, params.scatter);
  const full = params.scatter === 'full';
  const sums = KMEANS_COUNTS + k;
  const scatter = sums + k * d;
  const out = new Float64Array(scatter + k * width);
  const diff = new Float64Array(d);
  let changed = 0;
  let inertia = 0;
  for (let row = from; row < to; row++) {
    const xo = row * d;
    let best = 0;
    let bestDist = Infinity;
    for (let c = 0; c < k; c++) {
      const co = c * d;
      let dist = 0;
      for (let i = 0; i < d; i++) {
        const t = data[xo + i]! - centers[co + i]!;
        dist += t * t;
      }
      if (dist < bestDist) {
        bestDist = dist;
        best = c;
      }
    }
    if (first || labels[row] !== best) {
      changed++;
      labels[row] = best;
    }
    inertia += bestDist;
    out[KMEANS_COUNTS + best] += 1;
    const co = best * d;
    const so = sums + co;
    for (let i = 0; i < d; i++) {
      const t = data[xo + i]! - centers[co + i]!;
      diff[i] = t;
      out[so + i] += t;
    }
    if (width === 0) continue;
    let io = scatter + best * width;
    if (full) {
      for (let i = 0; i < d; i++) {
        const di = diff[i]!;
        for (let j = i; j < d; j++) out[io++] += di * diff[j]!;
      }
    } else {
      for (let i = 0; i < d; i++) out[io++] += diff[i]! * diff[i]!;
    }
  }
  out[0] = changed;
  out[1] = inertia;
  return out;
}

/** The sum of `values`, added by chunks of CHUNK_ROWS in chunk order (the fit's summation order). */
export function chunkedSum(values: Float64Array, from = 0, to = values.length): number {
  let total = 0;
  for (let c = from; c < to; c += CHUNK_ROWS) {
    const end = Math.min(to, c + CHUNK_ROWS);
    let s = 0;
    for (let i = c; i < end; i++) s += values[i]!;
    total += s;
  }
  return total;
}

/** Greedy k-means++ seeding of k centers from the rows of X (scikit-learn's `_kmeans_plusplus`). */
export function kmeansPlusPlus(X: Matrix, k: number, rng: Rng): Float64Array {
  const { rows: n, cols: d, data } = X;
  const trials = 2 + Math.floor(Math.log(k));
  const centers = new Float64Array(k * d);
  const first = rng.int(n);
  centers.set(data.subarray(first * d, (first + 1) * d), 0);
  const closest = new Float64Array(n).fill(Infinity);
  nearestDistances(data, d, Int32Array.of(first), closest, closest);
  let potential = chunkedSum(closest);
  const candidates = new Float64Array(trials * n);
  const ids = new Int32Array(trials);
  for (let c = 1; c < k; c++) {
    for (let t = 0; t < trials; t++) ids[t] = drawProportional(closest, rng.next() * potential);
    nearestDistances(data, d, ids, closest, candidates);
    let best = 0;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const p = chunkedSum(candidates, t * n, (t + 1) * n);
      if (p < bestPotential) {
        bestPotential = p;
        best = t;
      }
    }
    potential = bestPotential;
    closest.set(candidates.subarray(best * n, (best + 1) * n));
    centers.set(data.subarray(ids[best]! * d, (ids[best]! + 1) * d), c * d);
  }
  return centers;
}

/** out[t·n + i] = min(floor[i], ‖x_i − x_ids[t]‖²) for every candidate t, in one pass over the rows. */
function nearestDistances(data: Float64Array, d: number, ids: Int32Array, floor: Float64Array, out: Float64Array): void {
  const n = floor.length;
  for (let row = 0; row < n; row++) {
    const xo = row * d;
    const f = floor[row]!;
    for (let t = 0; t < ids.length; t++) {
      const co = ids[t]! * d;
      let dist = 0;
      for (let i = 0; i < d; i++) {
        const v = data[xo + i]! - data[co + i]!;
        dist += v * v;
      }
      out[t * n + row] = f < dist ? f : dist;
    }
  }
}

/** The first index whose cumulative weight reaches `target` (numpy's searchsorted on the cumulative sum), by chunks. */
function drawProportional(weights: Float64Array, target: number): number {
  const n = weights.length;
  let before = 0;
  for (let c = 0; c < n; c += CHUNK_ROWS) {
    const end = Math.min(n, c + CHUNK_ROWS);
    const chunk = chunkedSum(weights, c, end);
    if (before + chunk >= target || end === n) {
      const local = target - before;
      let running = 0;
      for (let i = c; i < end; i++) {
        running += weights[i]!;
        if (running >= local) return i;
      }
      return end - 1;
    }
    before += chunk;
  }
  return n - 1;
}

export interface KmeansResult {
  /** k×d, row-major. */
  centers: Float64Array;
  iterations: number;
  converged: boolean;
  /** Σ of squared distances to the assigned centers before the last update. */
  inertia: number;
}

/**
 * k-means++ seeding, then Lloyd iterations over the session's chunks. A
 * cluster left empty keeps its center. `tolerance` bounds the total squared
 * center shift (scikit-learn: 1e-4 × the mean column variance).
 */
export async function kmeans(session: ChunkSession, X: Matrix, k: number, rng: Rng, tolerance: number, maxIter = 300): Promise<KmeansResult> {
  const d = X.cols;
  let centers = kmeansPlusPlus(X, k, rng);
  let inertia = Infinity;
  for (let it = 1; it <= maxIter; it++) {
    const total = sumChunks(await session.map('kmeans', { k, d, centers, first: it === 1, scatter: 'none' }));
    inertia = total[1]!;
    const next = new Float64Array(k * d);
    let shift = 0;
    for (let c = 0; c < k; c++) {
      const count = total[KMEANS_COUNTS + c]!;
      for (let i = 0; i < d; i++) {
        const old = centers[c * d + i]!;
        const moved = count > 0 ? old + total[KMEANS_COUNTS + k + c * d + i]! / count : old;
        next[c * d + i] = moved;
        shift += (moved - old) * (moved - old);
      }
    }
    centers = next;
    if ((it > 1 && total[0] === 0) || shift <= tolerance) return { centers, iterations: it, converged: true, inertia };
  }
  return { centers, iterations: maxIter, converged: false, inertia };
}

export interface ColumnMoments {
  mean: Float64Array;
  /** Σ (x−x̄)(x−x̄)ᵀ: d×d symmetric ('full'), or its diagonal ('diag'). */
  scatter: Float64Array;
  /** Σ ‖x − x̄‖². */
  total: number;
}

/**
 * Column means and scatter about them, in one pass: the statistics of one
 * cluster centred on the first row c (a data point, so the shifted sums stay
 * well conditioned): x̄ = c + s/n, Σ (x−x̄)(x−x̄)ᵀ = S − s sᵀ/n.
 */
export async function columnMoments(session: ChunkSession, X: Matrix, scatter: 'full' | 'diag'): Promise<ColumnMoments> {
  const { rows: n, cols: d } = X;
  const shift = X.data.slice(0, d);
  const sums = sumChunks(await session.map('kmeans', { k: 1, d, centers: shift, first: true, scatter }));
  const s = sums.subarray(KMEANS_COUNTS + 1, KMEANS_COUNTS + 1 + d);
  const packed = sums.subarray(KMEANS_COUNTS + 1 + d);
  const mean = shift.map((c, i) => c + s[i]! / n);
  const out = new Float64Array(scatter === 'full' ? d * d : d);
  let total = 0;
  if (scatter === 'full') {
    let idx = 0;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const v = packed[idx++]! - (s[i]! * s[j]!) / n;
        out[i * d + j] = v;
        out[j * d + i] = v;
      }
      total += out[i * d + i]!;
    }
  } else {
    for (let i = 0; i < d; i++) {
      out[i] = packed[i]! - (s[i]! * s[i]!) / n;
      total += out[i]!;
    }
  }
  return { mean, scatter: out, total };
}
