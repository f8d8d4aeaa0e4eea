/**
 * Principal components of a fit set (docs/QMPT.md §2): the leading
 * eigenvectors of the sample covariance, by the Jacobi method, each signed so
 * that its largest-magnitude loading is positive, so that a refit on the
 * same data (in any row order) gives the same axes.
 */
import { symmetricEigen } from '../linalg/eigen.ts';
import { matrix } from '../matrix.ts';
import type { Matrix } from '../types.ts';

export interface PcaModel {
  /** Input dimension d. */
  readonly d: number;
  /** Components k. */
  readonly k: number;
  /** Column means of the fit set (d). */
  readonly mean: Float64Array;
  /** k×d, row-major: row i is the i-th principal axis (unit length). */
  readonly components: Float64Array;
  /** The k largest covariance eigenvalues, descending (divisor n − 1; n when n = 1). */
  readonly variances: Float64Array;
}

/** Fits k components on the rows of X (k ≤ X.cols). */
export function fitPca(X: Matrix, k: number): PcaModel {
  const { rows: n, cols: d } = X;
  if (n === 0) throw new RangeError('fitPca: no rows to fit');
  if (!Number.isInteger(k) || k < 1 || k > d) throw new RangeError(`fitPca: k = ${k} must be an integer in 1..${d}`);
  const mean = columnMeans(X);
  const eig = symmetricEigen(covariance(X, mean));
  return { d, k, mean, components: eig.vectors.slice(0, k * d), variances: eig.values.slice(0, k) };
}

/** Writes the projections (x − mean)·axesᵀ of X's rows into out[:, colOffset .. colOffset + k). */
export function projectPca(pca: PcaModel, X: Matrix, out: Matrix, colOffset: number): void {
  const { d, k, mean, components } = pca;
  if (X.cols !== d) throw new RangeError(`projectPca: rows have ${X.cols} values, the PCA was fitted on ${d}`);
  if (out.rows !== X.rows || colOffset < 0 || colOffset + k > out.cols) throw new RangeError(`projectPca: a ${X.rows}×${k} block does not fit a ${out.rows}×${out.cols} matrix at column ${colOffset}`);
  const centred = new Float64Array(d);
  for (let r = 0; r < X.rows; r++) {
    const base = r * d;
    for (let j = 0; j < d; j++) centred[j] = X.data[base + j]! - mean[j]!;
    const target = r * out.cols + colOffset;
    for (let c = 0; c < k; c++) {
      const axis = c * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += centred[j]! * components[axis + j]!;
      out.data[target + c] = dot;
    }
  }
}

function columnMeans(X: Matrix): Float64Array {
  const { rows: n, cols: d, data } = X;
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const base = r * d;
    for (let j = 0; j < d; j++) mean[j] += data[base + j]!;
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

/** The d×d sample covariance (upper triangle computed, mirrored, so it is exactly symmetric). */
function covariance(X: Matrix, mean: Float64Array): Matrix {
  const { rows: n, cols: d, data } = X;
  const cov = matrix(d, d);
  const C = cov.data;
  const centred = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const base = r * d;
    for (let j = 0; j < d; j++) centred[j] = data[base + j]! - mean[j]!;
    for (let i = 0; i < d; i++) {
      const xi = centred[i]!;
      if (xi === 0) continue;
      const row = i * d;
      for (let j = i; j < d; j++) C[row + j] += xi * centred[j]!;
    }
  }
  const divisor = n > 1 ? n - 1 : 1;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) C[j * d + i] = C[i * d + j] = C[i * d + j]! / divisor;
  }
  return cov;
}
