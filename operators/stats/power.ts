/**
 * Power and sample size of a two-sample test of means with standardized
 * effect d = (μ_a - μ_b) / σ, n_a = nobs1 and n_b = ratio · nobs1:
 *   'normal' (statsmodels NormalIndPower):  nobs = 1 / (1/n_a + 1/n_b),
 *     power = 1 - Φ(z_{1-α'} - d √nobs) [greater] + Φ(z_{α'} - d √nobs) [less],
 *   't' (statsmodels TTestIndPower): the same with Student t critical values
 *     (df = n_a + n_b - 2) and the noncentral t with noncentrality d √nobs,
 * α' = α/2 for 'two-sided' (both tails counted), α otherwise. `sampleSize`
 * solves power(nobs1) = target with Brent's method to 1e-10 relative.
 */
import { badArgument, checkAlternative, checkFinite, checkPositive, checkProbability, type Alternative } from './check.ts';
import { nctCdf, nctSf, normalCdf, normalPpf, normalSf, tPpf } from './distributions.ts';

export type PowerTest = 'normal' | 't';

export interface PowerOptions {
  /** Default 't'. */
  test?: PowerTest;
  /** Standardized effect (Cohen's d); negative for 'less'. */
  effectSize: number;
  /** Observations in arm a. */
  nobs1: number;
  /** Default 0.05. */
  alpha?: number;
  /** n_b / n_a; default 1. */
  ratio?: number;
  /** Default 'two-sided'. */
  alternative?: Alternative;
}

export function power(options: PowerOptions): number {
  const o = checkCommon('power', options);
  const nobs1 = checkPositive('power', 'nobs1', options.nobs1);
  if (o.test === 't' && !(nobs1 * (1 + o.ratio) > 2)) throw badArgument('power', 'nobs1', `= ${nobs1} leaves no degrees of freedom (n_a + n_b must exceed 2)`);
  return powerAt(o, nobs1);
}

export interface SampleSizeOptions {
  test?: PowerTest;
  effectSize: number;
  /** Target power; default 0.8. */
  power?: number;
  alpha?: number;
  ratio?: number;
  alternative?: Alternative;
}

export interface SampleSizeResult {
  /** The exact (real) solution for arm a. */
  nobs1: number;
  /** ceil(nobs1): the observations to plan for in arm a. */
  n1: number;
  /** ceil(ratio · nobs1) for arm b. */
  n2: number;
  /** The power reached at n1, n2 (>= the target). */
  achievedPower: number;
}

/** nobs1 (arm a) at which the test reaches `power`. The 't' search starts at nobs1 = 2 and returns 2 when that already suffices. */
export function sampleSize(options: SampleSizeOptions): SampleSizeResult {
  const fn = 'sampleSize';
  const o = checkCommon(fn, options);
  const target = checkProbability(fn, 'power', options.power ?? 0.8);
  if (o.effectSize === 0) throw badArgument(fn, 'effectSize', '= 0: no sample size detects a zero effect');
  if (o.alternative === 'greater' && o.effectSize < 0) throw badArgument(fn, 'effectSize', `= ${o.effectSize} is negative, but alternative "greater" detects positive effects`);
  if (o.alternative === 'less' && o.effectSize > 0) throw badArgument(fn, 'effectSize', `= ${o.effectSize} is positive, but alternative "less" detects negative effects`);
  if (!(target > o.alpha)) throw badArgument(fn, 'power', `= ${target} must exceed alpha = ${o.alpha}`);
  const f = (n: number): number => powerAt(o, n) - target;
  let lo = o.test === 't' ? 2 : 1e-6;
  if (f(lo) >= 0) return finish(o, lo);
  let hi = 8;
  while (f(hi) < 0) {
    lo = hi;
    hi *= 2;
    if (hi > 1e13) throw badArgument(fn, 'effectSize', `= ${o.effectSize} is too small to reach power ${target} with fewer than 1e13 observations`);
  }
  return finish(o, brent(f, lo, hi));
}

interface Common {
  test: PowerTest;
  effectSize: number;
  alpha: number;
  ratio: number;
  alternative: Alternative;
}

function checkCommon(fn: string, options: Omit<PowerOptions, 'nobs1'>): Common {
  if (options === null || typeof options !== 'object') throw badArgument(fn, 'options', 'must be an object');
  const test = options.test ?? 't';
  if (test !== 'normal' && test !== 't') throw badArgument(fn, 'test', `= ${JSON.stringify(test)} must be "normal" or "t"`);
  return {
    test,
    effectSize: checkFinite(fn, 'effectSize', options.effectSize),
    alpha: checkProbability(fn, 'alpha', options.alpha ?? 0.05),
    ratio: checkPositive(fn, 'ratio', options.ratio ?? 1),
    alternative: checkAlternative(fn, options.alternative ?? 'two-sided'),
  };
}

function powerAt(o: Common, nobs1: number): number {
  const nobs2 = nobs1 * o.ratio;
  const nobs = 1 / (1 / nobs1 + 1 / nobs2);
  const alpha = o.alternative === 'two-sided' ? o.alpha / 2 : o.alpha;
  const shift = o.effectSize * Math.sqrt(nobs);
  let p = 0;
  if (o.test === 'normal') {
    if (o.alternative !== 'less') p += normalSf(-normalPpf(alpha) - shift);
    if (o.alternative !== 'greater') p += normalCdf(normalPpf(alpha) - shift);
  } else {
    const df = nobs1 + nobs2 - 2;
    if (o.alternative !== 'less') p += nctSf(-tPpf(alpha, df), df, shift);
    if (o.alternative !== 'greater') p += nctCdf(tPpf(alpha, df), df, shift);
  }
  return p;
}

function finish(o: Common, nobs1: number): SampleSizeResult {
  const n1 = Math.ceil(nobs1 - 1e-9);
  const n2 = Math.ceil(n1 * o.ratio - 1e-9);
  return { nobs1, n1, n2, achievedPower: powerAt({ ...o, ratio: n2 / n1 }, n1) };
}

/** Brent's root finder (as scipy.optimize.brentq) on a bracket with f(lo) < 0 <= f(hi). */
function brent(f: (x: number) => number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  let fa = f(a);
  let fb = f(b);
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iter = 0; iter < 200; iter++) {
    if (fb * fc > 0) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 2 * Number.EPSILON * Math.abs(b) + 1e-10 * Math.abs(b) * 0.5;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) return b;
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(tol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = d;
      }
    } else {
      d = m;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
  }
  return b;
}
