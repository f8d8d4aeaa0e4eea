/**
 * Column z-scores with the moments of a fit set (docs/QMPT.md §2): the text
 * statistics block and the numeric spec. The standard deviation is the
 * population one (divisor n, as scikit-learn's StandardScaler), so the fit
 * set itself transforms to columns of mean 0 and standard deviation 1; a
 * column constant on the fit set has std 0 and transforms to 0.
 */
import type { Matrix } from '../types.ts';

export interface ColumnMoments {
  readonly mean: Float64Array;
  /** 0 marks a column constant on the fit set. */
  readonly std: Float64Array;
}

export function fitColumnMoments(X: Matrix): ColumnMoments {
  const { rows: n, cols: d, data } = X;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  if (n === 0) throw new RangeError('fitColumnMoments: no rows');
  for (let j = 0; j < d; j++) {
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < n; r++) {
      const v = data[r * d + j]!;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const m = sum / n;
    mean[j] = m;
    // Exactly constant columns are caught by min = max: their computed variance may be a rounding residue, not 0.
    if (min === max) continue;
    let ss = 0;
    for (let r = 0; r < n; r++) {
      const dv = data[r * d + j]! - m;
      ss += dv * dv;
    }
    std[j] = Math.sqrt(ss / n);
  }
  return { mean, std };
}

/** Replaces X's columns colOffset .. colOffset + mean.length by their z-scores. */
export function standardizeInPlace(X: Matrix, m: ColumnMoments, colOffset = 0): void {
  const d = m.mean.length;
  if (colOffset < 0 || colOffset + d > X.cols) throw new RangeError(`standardizeInPlace: ${d} columns at ${colOffset} do not fit ${X.cols}`);
  for (let r = 0; r < X.rows; r++) {
    const base = r * X.cols + colOffset;
    for (let j = 0; j < d; j++) {
      const s = m.std[j]!;
      X.data[base + j] = s === 0 ? 0 : (X.data[base + j]! - m.mean[j]!) / s;
    }
  }
}
