/**
 * Mann–Whitney U test, as scipy.stats.mannwhitneyu(a, b, method='asymptotic',
 * use_continuity=True, alternative=...):
 *   U1 = R1 - n_a(n_a+1)/2   (R1: sum of a's ranks in the pooled sample, ties get average ranks)
 *   z  = (U - n_a n_b/2 - 1/2) / sqrt(n_a n_b/12 · ((n+1) - Σ(t³-t)/(n(n-1))))
 * with U = U1 ('greater'), U2 = n_a n_b - U1 ('less') or max(U1, U2)
 * ('two-sided', p doubled), p = 1 - Φ(z) clipped to [0, 1].
 * Ranks come from sorting each sample once and merging, so there is no
 * comparator sort: O(n log n) on typed arrays.
 */
import { checkAlternative, checkSample, type Alternative, type Sample } from './check.ts';
import { normalSf } from './distributions.ts';

export interface MannWhitneyOptions {
  /** Default 'two-sided'. */
  alternative?: Alternative;
}

export interface MannWhitneyResult {
  /** U statistic of sample a (scipy's `statistic`). */
  u1: number;
  /** n_a n_b - u1 */
  u2: number;
  z: number;
  pValue: number;
  alternative: Alternative;
  nA: number;
  nB: number;
  /** Σ(t³ - t) over groups of tied values. */
  tieTerm: number;
}

export function mannWhitney(a: Sample, b: Sample, options: MannWhitneyOptions = {}): MannWhitneyResult {
  const alternative = checkAlternative('mannWhitney', options.alternative ?? 'two-sided');
  const na = checkSample('mannWhitney', 'a', a, 1);
  const nb = checkSample('mannWhitney', 'b', b, 1);
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();
  // walk both sorted samples together, one group of equal values at a time
  let i = 0;
  let j = 0;
  let rank = 0; // ranks used so far
  let r1 = 0;
  let tieTerm = 0;
  while (i < na || j < nb) {
    const v = i < na && (j >= nb || sa[i]! <= sb[j]!) ? sa[i]! : sb[j]!;
    let ca = 0;
    while (i < na && sa[i] === v) {
      i++;
      ca++;
    }
    let cb = 0;
    while (j < nb && sb[j] === v) {
      j++;
      cb++;
    }
    const t = ca + cb;
    r1 += ca * (rank + (t + 1) / 2);
    rank += t;
    if (t > 1) tieTerm += t * t * t - t;
  }
  const u1 = r1 - (na * (na + 1)) / 2;
  const u2 = na * nb - u1;
  const u = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);
  const n = na + nb;
  const s = Math.sqrt(((na * nb) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  // all values tied: s = 0 and z = -inf, so p = 1, as in scipy
  const z = (u - (na * nb) / 2 - 0.5) / s;
  const p = (alternative === 'two-sided' ? 2 : 1) * normalSf(z);
  return { u1, u2, z, pValue: Math.min(1, Math.max(0, p)), alternative, nA: na, nB: nb, tieTerm };
}
