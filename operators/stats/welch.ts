/**
 * Welch's two-sample t-test (unequal variances), as
 * scipy.stats.ttest_ind(a, b, equal_var=False, alternative=...):
 *   t  = (mean(a) - mean(b)) / se,   se² = var(a)/n_a + var(b)/n_b
 *   df = se⁴ / ((var(a)/n_a)²/(n_a-1) + (var(b)/n_b)²/(n_b-1))   (Welch–Satterthwaite)
 * with the confidence interval of mean(a) - mean(b) from the t quantile
 * (one-sided alternatives give a one-sided interval, as scipy >= 1.11).
 */
import { checkAlternative, checkProbability, type Alternative, type Sample } from './check.ts';
import { tPpf, tSf } from './distributions.ts';
import { moments } from './moments.ts';

export interface WelchOptions {
  /** Default 'two-sided'. */
  alternative?: Alternative;
  /** Confidence level of the interval; default 0.95. */
  confidence?: number;
}

export interface WelchResult {
  t: number;
  df: number;
  pValue: number;
  alternative: Alternative;
  /** mean(a) - mean(b) */
  diff: number;
  /** Standard error of diff. */
  se: number;
  /** Interval for diff at `confidence`; -Infinity / Infinity on the open side of a one-sided test. */
  ci: [number, number];
  confidence: number;
  meanA: number;
  meanB: number;
  varianceA: number;
  varianceB: number;
  nA: number;
  nB: number;
}

export function welch(a: Sample, b: Sample, options: WelchOptions = {}): WelchResult {
  const alternative = checkAlternative('welch', options.alternative ?? 'two-sided');
  const confidence = checkProbability('welch', 'confidence', options.confidence ?? 0.95);
  const ma = moments('welch', 'a', a, 2);
  const mb = moments('welch', 'b', b, 2);
  const va = ma.variance / ma.n;
  const vb = mb.variance / mb.n;
  const se = Math.sqrt(va + vb);
  // both samples constant: scipy's df is 0/0 = NaN, which it replaces by 1
  const dfRaw = ((va + vb) * (va + vb)) / ((va * va) / (ma.n - 1) + (vb * vb) / (mb.n - 1));
  const df = Number.isNaN(dfRaw) ? 1 : dfRaw;
  const diff = ma.mean - mb.mean;
  const t = diff / se;
  const pValue = alternative === 'less' ? tSf(-t, df) : alternative === 'greater' ? tSf(t, df) : Math.min(1, 2 * tSf(Math.abs(t), df));
  let ci: [number, number];
  if (alternative === 'two-sided') {
    const q = tPpf((1 + confidence) / 2, df) * se;
    ci = [diff - q, diff + q];
  } else {
    const q = tPpf(confidence, df) * se;
    ci = alternative === 'less' ? [Number.NEGATIVE_INFINITY, diff + q] : [diff - q, Number.POSITIVE_INFINITY];
  }
  return { t, df, pValue, alternative, diff, se, ci, confidence, meanA: ma.mean, meanB: mb.mean, varianceA: ma.variance, varianceB: mb.variance, nA: ma.n, nB: mb.n };
}
