/**
 * A Gaussian mixture's parameters and its M-step (docs/QMPT.md §3.1), from
 * the sufficient statistics the E-step (em-kernel.ts) or the k-means
 * assignment (kmeans.ts) accumulated about shift points c_k:
 *   N_k = R_k + 10ε,  m = s_k / N_k,  μ_k = c_k + m,
 *   Σ_k = Σₙ r_nk (xₙ−μ_k)(xₙ−μ_k)ᵀ / N_k + reg_covar·I
 *       = S_k / N_k − m mᵀ (2 − R_k / N_k) + reg_covar·I   (exactly, expanding xₙ − μ_k = (xₙ − c_k) − m),
 *   π_k = N_k / n.
 * Shifting by the previous means keeps the subtraction benign (m → 0 as EM converges).
 */
import { diagonalPrecisionCholesky, precisionCholesky } from '../../linalg/cholesky.ts';
import type { GaussianSet } from './density.ts';
import type { EmParams } from './em-kernel.ts';

export type CovarianceKind = 'full' | 'diag';

export interface Mixture {
  k: number;
  d: number;
  covariance: CovarianceKind;
  weights: Float64Array;
  /** k×d, row-major. */
  means: Float64Array;
  /** k blocks of d×d, row-major, upper-triangular (diag: diagonal). */
  precisionCholesky: Float64Array;
  /** log det P_k. */
  logDet: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);
const COLLAPSE_HINT = 'the component collapsed onto too few distinct rows, or a column is constant; raise gmm.reg_covar or lower gmm.components.max';

export interface MStepInput {
  /** Summed statistics [..., R (k), s (k×d), S (k×width)] with R at `countsAt`. */
  totals: Float64Array;
  countsAt: number;
  /** The points the statistics were accumulated about (k×d). */
  shifts: Float64Array;
  k: number;
  d: number;
  n: number;
  covariance: CovarianceKind;
  regCovar: number;
  /** Names the fit in an error, e.g. "gmm (K=3, init 0, iteration 4)". */
  what: string;
}

export function mStep(input: MStepInput): Mixture {
  const { totals, countsAt, shifts, k, d, n, covariance, regCovar, what } = input;
  const full = covariance === 'full';
  const width = full ? (d * (d + 1)) / 2 : d;
  const sumsAt = countsAt + k;
  const scatterAt = sumsAt + k * d;
  const weights = new Float64Array(k);
  const means = new Float64Array(k * d);
  const precision = new Float64Array(k * d * d);
  const logDet = new Float64Array(k);
  const m = new Float64Array(d);
  const cov = new Float64Array(full ? d * d : d);
  for (let c = 0; c < k; c++) {
    const r = totals[countsAt + c]!;
    const nk = r + 10 * Number.EPSILON;
    const shrink = 2 - r / nk;
    for (let i = 0; i < d; i++) {
      m[i] = totals[sumsAt + c * d + i]! / nk;
      means[c * d + i] = shifts[c * d + i]! + m[i]!;
    }
    let io = scatterAt + c * width;
    for (let i = 0; i < d; i++) {
      if (full) {
        for (let j = i; j < d; j++) {
          const v = totals[io++]! / nk - m[i]! * m[j]! * shrink + (i === j ? regCovar : 0);
          cov[i * d + j] = v;
          cov[j * d + i] = v;
        }
      } else cov[i] = totals[io++]! / nk - m[i]! * m[i]! * shrink + regCovar;
    }
    const name = `${what}: the covariance of component ${c}`;
    const chol = full ? precisionCholesky(cov, d, name, COLLAPSE_HINT) : diagonalPrecisionCholesky(cov, d, name, COLLAPSE_HINT);
    precision.set(chol.p, c * d * d);
    logDet[c] = chol.logDet;
    weights[c] = nk / n;
  }
  return { k, d, covariance, weights, means, precisionCholesky: precision, logDet };
}

/** The E-step's parameters: per-component constants and P packed by columns (full) or its diagonal. */
export function emParams(mix: Mixture, statistics: boolean): EmParams {
  const { k, d } = mix;
  const full = mix.covariance === 'full';
  const width = full ? (d * (d + 1)) / 2 : d;
  const constants = new Float64Array(k);
  const precision = new Float64Array(k * width);
  let idx = 0;
  for (let c = 0; c < k; c++) {
    constants[c] = Math.log(mix.weights[c]!) + mix.logDet[c]! - 0.5 * d * LOG_2PI;
    const block = c * d * d;
    if (full) {
      for (let j = 0; j < d; j++) for (let i = 0; i <= j; i++) precision[idx++] = mix.precisionCholesky[block + i * d + j]!;
    } else {
      for (let i = 0; i < d; i++) precision[idx++] = mix.precisionCholesky[block + i * d + i]!;
    }
  }
  return { k, d, covariance: mix.covariance, constants, means: mix.means, precision, statistics };
}

/** Free parameters for BIC: K d means, K d(d+1)/2 (full) or K d (diag) covariance values, K − 1 weights. */
export function parameterCount(k: number, d: number, covariance: CovarianceKind): number {
  return k * d + k * (covariance === 'full' ? (d * (d + 1)) / 2 : d) + k - 1;
}

export function toGaussianSet(mix: Mixture): GaussianSet {
  return {
    k: mix.k,
    d: mix.d,
    weights: Array.from(mix.weights),
    means: Array.from(mix.means),
    precisionCholesky: Array.from(mix.precisionCholesky),
    logDetPrecisionCholesky: Array.from(mix.logDet),
  };
}

export function fromGaussianSet(g: GaussianSet, covariance: CovarianceKind): Mixture {
  return {
    k: g.k,
    d: g.d,
    covariance,
    weights: Float64Array.from(g.weights),
    means: Float64Array.from(g.means),
    precisionCholesky: Float64Array.from(g.precisionCholesky),
    logDet: Float64Array.from(g.logDetPrecisionCholesky),
  };
}
