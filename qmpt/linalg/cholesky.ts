/**
 * Cholesky factors of symmetric positive-definite d×d matrices (row-major
 * Float64Arrays), and the precision Cholesky factor of a covariance in
 * scikit-learn's convention (`_compute_precision_cholesky`): with
 * Σ = L Lᵀ (L lower), P = (L⁻¹)ᵀ is upper-triangular and Σ⁻¹ = P Pᵀ, so the
 * squared Mahalanobis distance is ‖(x − μ) P‖² and log det P = −½ log det Σ.
 */
import { MaasflowError } from '../../engine/errors.ts';

/**
 * The lower-triangular L with A = L Lᵀ (upper part zero). `what` names the
 * matrix in the error thrown when A is not positive definite (e.g.
 * "gmm (K=3, init 0, iteration 4): the covariance of component 2"), `hint`
 * says what the caller can do about it.
 */
export function cholesky(a: Float64Array, d: number, what: string, hint = ''): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let diag = a[j * d + j]!;
    for (let p = 0; p < j; p++) diag -= l[j * d + p]! * l[j * d + p]!;
    // NaN fails this test too: a NaN covariance is as unusable as a singular one
    if (!(diag > 0)) throw notPositiveDefinite(what, j, diag, hint);
    const ljj = Math.sqrt(diag);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let s = a[i * d + j]!;
      for (let p = 0; p < j; p++) s -= l[i * d + p]! * l[j * d + p]!;
      l[i * d + j] = s / ljj;
    }
  }
  return l;
}

/** L⁻¹ of a lower-triangular L with a non-zero diagonal (forward substitution against I). */
export function invertLower(l: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    // column c of L⁻¹: zero above the diagonal
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let p = c; p < i; p++) s -= l[i * d + p]! * inv[p * d + c]!;
      inv[i * d + c] = s / l[i * d + i]!;
    }
  }
  return inv;
}

export interface PrecisionCholesky {
  /** d×d upper-triangular, row-major: Σ⁻¹ = P Pᵀ. */
  p: Float64Array;
  /** log det P = Σ_j log P_jj = −½ log det Σ. */
  logDet: number;
}

/** P = (chol(Σ)⁻¹)ᵀ of a full covariance, as scikit-learn computes it. */
export function precisionCholesky(cov: Float64Array, d: number, what: string, hint = ''): PrecisionCholesky {
  const inv = invertLower(cholesky(cov, d, what, hint), d);
  const p = new Float64Array(d * d);
  let logDet = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) p[i * d + j] = inv[j * d + i]!;
    logDet += Math.log(p[i * d + i]!);
  }
  return { p, logDet };
}

/** The same for a diagonal covariance given by its d variances: P = diag(1/√σ²ᵢ), as a full d×d block. */
export function diagonalPrecisionCholesky(variances: Float64Array, d: number, what: string, hint = ''): PrecisionCholesky {
  const p = new Float64Array(d * d);
  let logDet = 0;
  for (let i = 0; i < d; i++) {
    const v = variances[i]!;
    if (!(v > 0)) throw notPositiveDefinite(what, i, v, hint);
    const pi = 1 / Math.sqrt(v);
    p[i * d + i] = pi;
    logDet += Math.log(pi);
  }
  return { p, logDet };
}

function notPositiveDefinite(what: string, pivot: number, value: number, hint: string): MaasflowError {
  return new MaasflowError('RUNTIME', `${what} is not positive definite (pivot ${pivot} is ${value})${hint ? `: ${hint}` : ''}`);
}
