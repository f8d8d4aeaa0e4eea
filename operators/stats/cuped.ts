/**
 * CUPED (Deng, Xu, Kohavi, Walker 2013): remove from a metric y the part
 * explained by a pre-experiment covariate x,
 *   θ = cov(y, x) / var(x),   y' = y - θ (x - mean(x)),
 * which keeps the mean and shrinks the variance by the factor 1 - ρ²(x, y).
 * For an experiment, θ and mean(x) come from both arms pooled (so the
 * adjustment is the same function in each arm and the difference of means
 * stays unbiased); the reported variance is that of mean(a) - mean(b).
 */
import { badArgument, type Sample } from './check.ts';
import { moments } from './moments.ts';

export interface CupedResult {
  theta: number;
  /** y - θ (x - mean(x)) */
  adjusted: Float64Array;
  /** var(y), ddof 1 */
  varianceBefore: number;
  /** var(y'), ddof 1 */
  varianceAfter: number;
  /** 1 - varianceAfter / varianceBefore */
  varianceReduction: number;
}

/** One sample: y adjusted by its own covariate x (same length). */
export function cuped(y: Sample, x: Sample): CupedResult {
  const fn = 'cuped';
  const my = moments(fn, 'y', y, 2);
  const mx = moments(fn, 'x', x, 2);
  if (mx.n !== my.n) throw badArgument(fn, 'x', `has ${mx.n} values for ${my.n} values of y`);
  const theta = slope(fn, [y], [x], my.mean, mx.mean, mx.variance);
  const adjusted = adjust(y, x, theta, mx.mean);
  const varianceAfter = moments(fn, 'adjusted', adjusted, 2).variance;
  return { theta, adjusted, varianceBefore: my.variance, varianceAfter, varianceReduction: 1 - varianceAfter / my.variance };
}

export interface CupedArm {
  /** The metric. */
  y: Sample;
  /** Its pre-experiment covariate, same length. */
  x: Sample;
}

export interface CupedArmsResult {
  theta: number;
  /** Pooled mean of x. */
  xMean: number;
  adjustedA: Float64Array;
  adjustedB: Float64Array;
  /** mean(y_a) - mean(y_b) */
  diffBefore: number;
  /** mean(y'_a) - mean(y'_b) */
  diffAfter: number;
  /** var(y_a)/n_a + var(y_b)/n_b: the variance of diffBefore. */
  varianceBefore: number;
  /** The same for the adjusted metric. */
  varianceAfter: number;
  /** 1 - varianceAfter / varianceBefore */
  varianceReduction: number;
}

/** Two arms with θ and mean(x) from the pooled data. */
export function cupedArms(a: CupedArm, b: CupedArm): CupedArmsResult {
  const fn = 'cupedArms';
  if (a === null || typeof a !== 'object') throw badArgument(fn, 'a', 'must be { y, x }');
  if (b === null || typeof b !== 'object') throw badArgument(fn, 'b', 'must be { y, x }');
  const ya = moments(fn, 'a.y', a.y, 2);
  const yb = moments(fn, 'b.y', b.y, 2);
  const xa = moments(fn, 'a.x', a.x, 2);
  const xb = moments(fn, 'b.x', b.x, 2);
  if (xa.n !== ya.n) throw badArgument(fn, 'a.x', `has ${xa.n} values for ${ya.n} values of a.y`);
  if (xb.n !== yb.n) throw badArgument(fn, 'b.x', `has ${xb.n} values for ${yb.n} values of b.y`);
  const n = ya.n + yb.n;
  const yMean = pooledMean([a.y, b.y], n);
  const xMean = pooledMean([a.x, b.x], n);
  let ssx = 0;
  for (const x of [a.x, b.x]) {
    for (let i = 0; i < x.length; i++) {
      const d = x[i]! - xMean;
      ssx += d * d;
    }
  }
  const theta = slope(fn, [a.y, b.y], [a.x, b.x], yMean, xMean, ssx / (n - 1));
  const adjustedA = adjust(a.y, a.x, theta, xMean);
  const adjustedB = adjust(b.y, b.x, theta, xMean);
  const aa = moments(fn, 'adjustedA', adjustedA, 2);
  const ab = moments(fn, 'adjustedB', adjustedB, 2);
  const varianceBefore = ya.variance / ya.n + yb.variance / yb.n;
  const varianceAfter = aa.variance / aa.n + ab.variance / ab.n;
  return {
    theta,
    xMean,
    adjustedA,
    adjustedB,
    diffBefore: ya.mean - yb.mean,
    diffAfter: aa.mean - ab.mean,
    varianceBefore,
    varianceAfter,
    varianceReduction: 1 - varianceAfter / varianceBefore,
  };
}

/** cov(y, x) / var(x) over the concatenation of the parts (ddof 1 in both). */
function slope(fn: string, ys: Sample[], xs: Sample[], yMean: number, xMean: number, xVariance: number): number {
  if (!(xVariance > 0)) throw badArgument(fn, 'x', 'is constant: var(x) = 0, so it cannot explain any variance');
  let sxy = 0;
  let n = 0;
  for (let p = 0; p < ys.length; p++) {
    const y = ys[p]!;
    const x = xs[p]!;
    for (let i = 0; i < y.length; i++) sxy += (y[i]! - yMean) * (x[i]! - xMean);
    n += y.length;
  }
  return sxy / (n - 1) / xVariance;
}

function pooledMean(parts: Sample[], n: number): number {
  let s = 0;
  for (const part of parts) for (let i = 0; i < part.length; i++) s += part[i]!;
  return s / n;
}

function adjust(y: Sample, x: Sample, theta: number, xMean: number): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = y[i]! - theta * (x[i]! - xMean);
  return out;
}
