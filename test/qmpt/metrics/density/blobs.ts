/** Seeded Gaussian blobs for the density tests. */
import { Rng } from '../../../../qmpt/random.ts';
import type { Matrix } from '../../../../qmpt/types.ts';

export interface Blob {
  n: number;
  mean: number[];
  /** Per-column standard deviations (axis-aligned), or a lower-triangular factor A (row-major d×d) for x = μ + A z. */
  scale: number[];
}

/** The blobs' rows, interleaved (row i from blob i mod blobs while it lasts) so every chunk sees every blob. */
export function blobs(seed: number, spec: Blob[]): Matrix {
  const rng = new Rng(seed);
  const d = spec[0]!.mean.length;
  const rows: number[][] = [];
  const left = spec.map((b) => b.n);
  while (left.some((n) => n > 0)) {
    spec.forEach((b, k) => {
      if (left[k]! === 0) return;
      left[k]!--;
      const z = Array.from({ length: d }, () => rng.normal());
      const full = b.scale.length === d * d;
      rows.push(b.mean.map((m, i) => m + (full ? z.reduce((s, zj, j) => s + b.scale[i * d + j]! * zj, 0) : b.scale[i]! * z[i]!)));
    });
  }
  return { rows: rows.length, cols: d, data: Float64Array.from(rows.flat()) };
}

/** Three well-separated 2-D blobs (n rows in all). */
export function threeBlobs(seed: number, n = 300): Matrix {
  const third = Math.floor(n / 3);
  return blobs(seed, [
    { n: n - 2 * third, mean: [0, 0], scale: [1, 0.5] },
    { n: third, mean: [8, 1], scale: [0.7, 1.2] },
    { n: third, mean: [2, 9], scale: [1, 1] },
  ]);
}
