/**
 * Sample ratio mismatch: Pearson's chi-square goodness of fit of the arms'
 * observed counts against the split the experiment intended, as
 * scipy.stats.chisquare(observed, total · ratios / Σratios):
 *   χ² = Σ (O_i - E_i)² / E_i,   df = k - 1,   p = Q(df/2, χ²/2)
 * A small p (the usual threshold is 0.001) means the assignment is broken
 * and the experiment's other statistics cannot be trusted.
 */
import { badArgument, checkProbability } from './check.ts';
import { chi2Sf } from './distributions.ts';

export interface SrmOptions {
  /** Intended share of each arm (any positive scale); default equal shares. */
  ratios?: ArrayLike<number>;
  /** Threshold for `mismatch`; default 0.001. */
  alpha?: number;
}

export interface SrmResult {
  chi2: number;
  df: number;
  pValue: number;
  /** Expected counts under the intended split. */
  expected: number[];
  /** pValue < alpha */
  mismatch: boolean;
  alpha: number;
}

export function srm(observed: ArrayLike<number>, options: SrmOptions = {}): SrmResult {
  const fn = 'srm';
  const alpha = checkProbability(fn, 'alpha', options.alpha ?? 0.001);
  if (observed === null || typeof observed !== 'object' || typeof observed.length !== 'number') throw badArgument(fn, 'observed', 'must be an array of counts');
  const k = observed.length;
  if (k < 2) throw badArgument(fn, 'observed', `has ${k} arm${k === 1 ? '' : 's'}; at least 2 needed`);
  let total = 0;
  for (let i = 0; i < k; i++) {
    const o = observed[i];
    if (typeof o !== 'number' || !Number.isFinite(o) || o < 0) throw badArgument(fn, `observed[${i}]`, `= ${String(o)} must be a finite count >= 0`);
    total += o;
  }
  if (total <= 0) throw badArgument(fn, 'observed', 'has no observations (all counts are 0)');
  const ratios = options.ratios ?? new Array<number>(k).fill(1);
  if (ratios.length !== k) throw badArgument(fn, 'ratios', `has ${ratios.length} entries for ${k} arms`);
  let ratioSum = 0;
  for (let i = 0; i < k; i++) {
    const r = ratios[i];
    if (typeof r !== 'number' || !Number.isFinite(r) || !(r > 0)) throw badArgument(fn, `ratios[${i}]`, `= ${String(r)} must be a finite number > 0`);
    ratioSum += r;
  }
  const expected: number[] = [];
  let chi2 = 0;
  for (let i = 0; i < k; i++) {
    const e = (total * ratios[i]!) / ratioSum;
    expected.push(e);
    const d = observed[i]! - e;
    chi2 += (d * d) / e;
  }
  const df = k - 1;
  const pValue = chi2Sf(chi2, df);
  return { chi2, df, pValue, expected, mismatch: pValue < alpha, alpha };
}
