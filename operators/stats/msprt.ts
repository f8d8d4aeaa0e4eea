/**
 * Mixture sequential probability ratio test (mSPRT) for the difference of
 * two means with a normal mixing distribution N(θ0, τ²) over the effect
 * (Johari, Pekelis, Walsh 2017, "Peeking at A/B tests"). At each look, with
 * Δ = mean(a) - mean(b) over the first n_a, n_b observations and
 * s² = σ²(1/n_a + 1/n_b) (σ² known) or var(a)/n_a + var(b)/n_b (plug-in),
 *   Λ = sqrt(s² / (s² + τ²)) · exp(τ² (Δ - θ0)² / (2 s² (s² + τ²)))
 * and the always-valid p-value is p_k = min(p_{k-1}, 1/Λ_k), p_0 = 1: the
 * experiment may stop at the first look with p_k <= alpha and the false
 * positive rate stays <= alpha however often one looks.
 *
 * Arrays are in arrival order. Look k uses the first min(k·every, n_a)
 * observations of a and min(k·every, n_b) of b; a last look covers all.
 */
import { badArgument, checkFinite, checkInteger, checkPositive, checkProbability, checkSample, type Sample } from './check.ts';

export interface MsprtOptions {
  /** Mixing variance τ² of the effect under the alternative (in squared units of the metric). */
  tau2: number;
  /** Default 0.05. */
  alpha?: number;
  /** Observations per arm between looks; default 1 (a look after every observation). */
  every?: number;
  /** No look before both arms have this many observations (the plug-in variance needs a burn-in); default 10, at least 2. */
  minPerArm?: number;
  /** Known per-observation variance σ² (both arms); default: the arms' running sample variances. */
  sigma2?: number;
  /** Difference under the null; default 0. */
  theta0?: number;
}

export interface MsprtResult {
  /** Observations per arm at each look (k·every, or the end). */
  looks: Float64Array;
  /** Always-valid p-value at each look (non-increasing). */
  pValues: Float64Array;
  /** The last always-valid p-value (1 when there was no look). */
  pValue: number;
  /** p-value <= alpha at some look. */
  rejected: boolean;
  /** The first look (observations per arm) with p <= alpha, or null. */
  rejectedAt: number | null;
  /** mean(a) - mean(b) over all observations. */
  diff: number;
  alpha: number;
  tau2: number;
}

export function msprt(a: Sample, b: Sample, options: MsprtOptions): MsprtResult {
  const fn = 'msprt';
  if (options === null || typeof options !== 'object') throw badArgument(fn, 'options', 'must be an object with at least tau2');
  const na = checkSample(fn, 'a', a, 2);
  const nb = checkSample(fn, 'b', b, 2);
  const tau2 = checkPositive(fn, 'tau2', options.tau2);
  const alpha = checkProbability(fn, 'alpha', options.alpha ?? 0.05);
  const every = checkInteger(fn, 'every', options.every ?? 1, 1);
  const minPerArm = checkInteger(fn, 'minPerArm', options.minPerArm ?? 10, 2);
  const sigma2 = options.sigma2 === undefined ? undefined : checkPositive(fn, 'sigma2', options.sigma2);
  const theta0 = checkFinite(fn, 'theta0', options.theta0 ?? 0);

  const nMax = Math.max(na, nb);
  const lookCount = Math.ceil(nMax / every);
  const looks = new Float64Array(lookCount);
  const pValues = new Float64Array(lookCount);
  // Welford running moments of each arm
  let ia = 0;
  let meanA = 0;
  let m2A = 0;
  let ib = 0;
  let meanB = 0;
  let m2B = 0;
  let p = 1;
  let k = 0;
  let rejectedAt: number | null = null;
  for (let n = every; ; n += every) {
    const look = Math.min(n, nMax);
    const ta = Math.min(look, na);
    const tb = Math.min(look, nb);
    for (; ia < ta; ia++) {
      const x = a[ia]!;
      const d = x - meanA;
      meanA += d / (ia + 1);
      m2A += d * (x - meanA);
    }
    for (; ib < tb; ib++) {
      const x = b[ib]!;
      const d = x - meanB;
      meanB += d / (ib + 1);
      m2B += d * (x - meanB);
    }
    if (ta >= minPerArm && tb >= minPerArm) {
      const s2 = sigma2 === undefined ? m2A / (ta - 1) / ta + m2B / (tb - 1) / tb : sigma2 * (1 / ta + 1 / tb);
      const diff = meanA - meanB - theta0;
      // log Λ; a zero-variance look (s² = 0) gives NaN and is skipped
      const logLr = 0.5 * Math.log(s2 / (s2 + tau2)) + (tau2 * diff * diff) / (2 * s2 * (s2 + tau2));
      if (!Number.isNaN(logLr)) p = Math.min(p, Math.exp(-logLr));
      looks[k] = look;
      pValues[k] = p;
      k++;
      if (rejectedAt === null && p <= alpha) rejectedAt = look;
    }
    if (look >= nMax) break;
  }
  return {
    looks: looks.slice(0, k),
    pValues: pValues.slice(0, k),
    pValue: p,
    rejected: rejectedAt !== null,
    rejectedAt,
    diff: meanA - meanB,
    alpha,
    tau2,
  };
}
