/**
 * The E-step of a Gaussian mixture over a range of rows (docs/QMPT.md §3.1):
 * log p(x | k) = log π_k + log det P_k − ½ (d log 2π + ‖(x − μ_k) P_k‖²),
 * log p̂(x) = logsumexp_k, responsibilities r_k = exp(log p(x | k) + log π_k − log p̂(x)).
 *
 * The squared norm uses P_k's upper-triangular structure,
 * y_j = Σ_{i≤j} (x_i − μ_i) P_ij, with P packed by columns so the inner loop
 * reads contiguous memory. With `statistics`, the same pass accumulates the
 * M-step's sufficient statistics about the current means c = μ_k (so the new
 * mean and covariance need no second pass over X; mixture.ts):
 *   R_k = Σ r_k,  s_k = Σ r_k (x − c_k),  S_k = Σ r_k (x − c_k)(x − c_k)ᵀ
 * (S_k's upper triangle by rows for full covariances, its diagonal for diag).
 */
import type { ChunkInput } from './executor.ts';

export interface EmParams {
  k: number;
  d: number;
  covariance: 'full' | 'diag';
  /** Per component: log π_k + log det P_k − ½ d log 2π. */
  constants: Float64Array;
  /** k×d, row-major. */
  means: Float64Array;
  /** full: per component P's upper triangle packed by columns (column j: P_0j..P_jj); diag: P's d diagonal values. */
  precision: Float64Array;
  /** Also accumulate R, s and S (else the result is [Σ log p̂]). */
  statistics: boolean;
}

/** Values per component of the S block. */
export function statisticsWidth(d: number, covariance: 'full' | 'diag'): number {
  return covariance === 'full' ? (d * (d + 1)) / 2 : d;
}

/** Layout of an em result: [Σ log p̂(x), R (k), s (k×d), S (k×width)]; R starts at EM_COUNTS. */
export const EM_COUNTS = 1;

export function emChunk(input: ChunkInput, from: number, to: number, params: EmParams): Float64Array {
  const { k, d, covariance, statistics } = params;
  const out = new Float64Array(statistics ? EM_COUNTS + k + k * d + k * statisticsWidth(d, covariance) : 1);
  eStep(input.data, from, to, params, out, null);
  return out;
}

/** log p̂(x) of rows [from, to) of `data` into rowOut[from..to) (no statistics). */
export function logDensityRows(data: Float64Array, from: number, to: number, params: EmParams, rowOut: Float64Array): void {
  eStep(data, from, to, { ...params, statistics: false }, new Float64Array(1), rowOut);
}

function eStep(data: Float64Array, from: number, to: number, params: EmParams, out: Float64Array, rowOut: Float64Array | null): void {
  if (params.covariance === 'full') eStepFull(data, from, to, params, out, rowOut);
  else eStepDiag(data, from, to, params, out, rowOut);
}

/**
 * Full covariances, four rows at a time: the rows share every load of P and
 * give four independent accumulation chains (about twice the single-row
 * speed in V8). Rows past `to` in the last block repeat a valid row with
 * weight 0, which adds exact zeros.
 */
function eStepFull(data: Float64Array, from: number, to: number, params: EmParams, out: Float64Array, rowOut: Float64Array | null): void {
  const { k, d, constants, means, precision, statistics } = params;
  const width = (d * (d + 1)) / 2;
  const sumsAt = EM_COUNTS + k;
  const scatterAt = sumsAt + k * d;
  // x − μ_c of the block's four rows, k×d each
  const d0 = new Float64Array(k * d);
  const d1 = new Float64Array(k * d);
  const d2 = new Float64Array(k * d);
  const d3 = new Float64Array(k * d);
  const logp = new Float64Array(4 * k);
  const logDensity = new Float64Array(4);
  let total = 0;
  for (let row = from; row < to; row += 4) {
    const valid = Math.min(4, to - row);
    const x0 = row * d;
    const x1 = (valid > 1 ? row + 1 : row) * d;
    const x2 = (valid > 2 ? row + 2 : row) * d;
    const x3 = (valid > 3 ? row + 3 : row) * d;
    for (let c = 0; c < k; c++) {
      const mo = c * d;
      let po = c * width;
      let q0 = 0;
      let q1 = 0;
      let q2 = 0;
      let q3 = 0;
      for (let j = 0; j < d; j++) {
        const m = means[mo + j]!;
        // the diffs of column j are written here and read by every later column
        d0[mo + j] = data[x0 + j]! - m;
        d1[mo + j] = data[x1 + j]! - m;
        d2[mo + j] = data[x2 + j]! - m;
        d3[mo + j] = data[x3 + j]! - m;
        let y0 = 0;
        let y1 = 0;
        let y2 = 0;
        let y3 = 0;
        for (let i = 0; i <= j; i++) {
          const p = precision[po++]!;
          y0 += d0[mo + i]! * p;
          y1 += d1[mo + i]! * p;
          y2 += d2[mo + i]! * p;
          y3 += d3[mo + i]! * p;
        }
        q0 += y0 * y0;
        q1 += y1 * y1;
        q2 += y2 * y2;
        q3 += y3 * y3;
      }
      const base = constants[c]!;
      logp[c] = base - 0.5 * q0;
      logp[k + c] = base - 0.5 * q1;
      logp[2 * k + c] = base - 0.5 * q2;
      logp[3 * k + c] = base - 0.5 * q3;
    }
    for (let b = 0; b < valid; b++) {
      const ld = logSumExp(logp, b * k, k);
      logDensity[b] = ld;
      total += ld;
      if (rowOut !== null) rowOut[row + b] = ld;
    }
    if (!statistics) continue;
    for (let c = 0; c < k; c++) {
      const r0 = Math.exp(logp[c]! - logDensity[0]!);
      const r1 = valid > 1 ? Math.exp(logp[k + c]! - logDensity[1]!) : 0;
      const r2 = valid > 2 ? Math.exp(logp[2 * k + c]! - logDensity[2]!) : 0;
      const r3 = valid > 3 ? Math.exp(logp[3 * k + c]! - logDensity[3]!) : 0;
      out[EM_COUNTS + c] += r0 + r1 + (r2 + r3);
      const mo = c * d;
      const so = sumsAt + mo;
      let io = scatterAt + c * width;
      for (let i = 0; i < d; i++) {
        const w0 = r0 * d0[mo + i]!;
        const w1 = r1 * d1[mo + i]!;
        const w2 = r2 * d2[mo + i]!;
        const w3 = r3 * d3[mo + i]!;
        out[so + i] += w0 + w1 + (w2 + w3);
        for (let j = i; j < d; j++) {
          out[io] += w0 * d0[mo + j]! + w1 * d1[mo + j]! + (w2 * d2[mo + j]! + w3 * d3[mo + j]!);
          io++;
        }
      }
    }
  }
  out[0] = total;
}

/** Diagonal covariances: d values per component, one row at a time. */
function eStepDiag(data: Float64Array, from: number, to: number, params: EmParams, out: Float64Array, rowOut: Float64Array | null): void {
  const { k, d, constants, means, precision, statistics } = params;
  const sumsAt = EM_COUNTS + k;
  const scatterAt = sumsAt + k * d;
  const diff = new Float64Array(k * d);
  const logp = new Float64Array(k);
  let total = 0;
  for (let row = from; row < to; row++) {
    const xo = row * d;
    for (let c = 0; c < k; c++) {
      const mo = c * d;
      let q = 0;
      for (let i = 0; i < d; i++) {
        const t = data[xo + i]! - means[mo + i]!;
        diff[mo + i] = t;
        const y = t * precision[mo + i]!;
        q += y * y;
      }
      logp[c] = constants[c]! - 0.5 * q;
    }
    const ld = logSumExp(logp, 0, k);
    total += ld;
    if (rowOut !== null) rowOut[row] = ld;
    if (!statistics) continue;
    for (let c = 0; c < k; c++) {
      const r = Math.exp(logp[c]! - ld);
      out[EM_COUNTS + c] += r;
      const mo = c * d;
      for (let i = 0; i < d; i++) {
        const w = r * diff[mo + i]!;
        out[sumsAt + mo + i] += w;
        out[scatterAt + mo + i] += w * diff[mo + i]!;
      }
    }
  }
  out[0] = total;
}

/** log Σ exp(v[at..at+n)), shifted by the maximum. */
function logSumExp(v: Float64Array, at: number, n: number): number {
  let max = -Infinity;
  for (let i = at; i < at + n; i++) if (v[i]! > max) max = v[i]!;
  let sum = 0;
  for (let i = at; i < at + n; i++) sum += Math.exp(v[i]! - max);
  return max + Math.log(sum);
}
