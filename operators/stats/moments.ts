/** Sample mean and variance (ddof = 1) in two passes, as numpy's mean / var(ddof=1). */
import { checkedSum, type Sample } from './check.ts';

export interface Moments {
  n: number;
  mean: number;
  /** Unbiased sample variance (divisor n - 1); NaN when n < 2. */
  variance: number;
}

/** Validates `x` (at least `min` finite values) and returns its moments. */
export function moments(fn: string, arg: string, x: Sample, min: number): Moments {
  const { n, sum } = checkedSum(fn, arg, x, min);
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean;
    ss += d * d;
  }
  return { n, mean, variance: n > 1 ? ss / (n - 1) : Number.NaN };
}
