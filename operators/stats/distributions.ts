/**
 * Distribution functions. Normal, Student t and chi-square come from @stdlib
 * (ports of Boost / Cephes, agreeing with scipy to ~1e-15 in the tests); the
 * noncentral t CDF, which @stdlib lacks, is AS 243 (Lenth 1989) on @stdlib's
 * incomplete beta. Upper tails are computed as upper tails (not 1 - cdf), so
 * tiny p-values keep their relative precision.
 */
import betainc from '@stdlib/math-base-special-betainc';
import erfcinv from '@stdlib/math-base-special-erfcinv';
import gammainc from '@stdlib/math-base-special-gammainc';
import gammaln from '@stdlib/math-base-special-gammaln';
import normalCdfRaw from '@stdlib/stats-base-dists-normal-cdf';
import tCdfRaw from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return normalCdfRaw(x, 0, 1);
}

/** Standard normal survival function 1 - Φ(x), computed as Φ(-x). */
export function normalSf(x: number): number {
  return normalCdfRaw(-x, 0, 1);
}

/** Standard normal quantile Φ⁻¹(p) = -√2 erfc⁻¹(2p). */
export function normalPpf(p: number): number {
  return -Math.SQRT2 * erfcinv(2 * p);
}

/** Student t CDF with `df` (> 0, not necessarily integer) degrees of freedom. */
export function tCdf(x: number, df: number): number {
  return tCdfRaw(x, df);
}

/** Student t survival function, computed as cdf(-x) (the distribution is symmetric). */
export function tSf(x: number, df: number): number {
  return tCdfRaw(-x, df);
}

/**
 * Student t quantile: @stdlib's (relative error up to ~1e-9) polished by
 * Newton steps on the lower tail, which the CDF computes to full relative
 * precision; the upper half by symmetry (1 - p is exact for p >= 0.5).
 */
export function tPpf(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return tQuantile(p, df);
  if (p === 0.5) return 0;
  if (p > 0.5) return -tPpf(1 - p, df);
  let x = tQuantile(p, df);
  const logNorm = gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * Math.log(df * Math.PI);
  for (let step = 0; step < 3; step++) {
    const pdf = Math.exp(logNorm - ((df + 1) / 2) * Math.log1p((x * x) / df));
    const next = x - (tCdfRaw(x, df) - p) / pdf;
    if (!Number.isFinite(next) || next === x) break;
    x = next;
  }
  return x;
}

/** Chi-square CDF: the regularized lower incomplete gamma P(df/2, x/2). */
export function chi2Cdf(x: number, df: number): number {
  return x <= 0 ? 0 : gammainc(x / 2, df / 2, true, false);
}

/** Chi-square survival function: the regularized upper incomplete gamma Q(df/2, x/2). */
export function chi2Sf(x: number, df: number): number {
  return x <= 0 ? 1 : gammainc(x / 2, df / 2, true, true);
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Noncentral t CDF P(T <= t) with `df` degrees of freedom and noncentrality
 * `nc`: AS 243 (Guenther's twin series), error bound 1e-13. Where
 * exp(-nc²/2) underflows (|nc| > 37) the series cannot start; there the
 * normal approximation of Abramowitz & Stegun 26.7.10 is used, whose result
 * is 0 or 1 to many digits anywhere power calculations look.
 */
export function nctCdf(t: number, df: number, nc: number): number {
  if (nc === 0) return tCdfRaw(t, df);
  if (nc * nc > 1400) return normalCdf((t * (1 - 1 / (4 * df)) - nc) / Math.sqrt(1 + (t * t) / (2 * df)));
  const negative = t < 0;
  const del = negative ? -nc : nc;
  let tnc = 0;
  const x = (t * t) / (t * t + df);
  if (x > 0) {
    const lambda = del * del;
    let p = 0.5 * Math.exp(-0.5 * lambda);
    let q = SQRT_2_OVER_PI * p * del;
    let s = 0.5 - p;
    let a = 0.5;
    const b = 0.5 * df;
    const rxb = Math.pow(1 - x, b);
    const albeta = LOG_SQRT_PI + gammaln(b) - gammaln(a + b);
    let xodd = betainc(x, a, b, true, false);
    let godd = 2 * rxb * Math.exp(a * Math.log(x) - albeta);
    let xeven = 1 - rxb;
    let geven = b * x * rxb;
    tnc = p * xodd + q * xeven;
    for (let en = 1; en <= 5000; en++) {
      a += 1;
      xodd -= godd;
      xeven -= geven;
      godd *= (x * (a + b - 1)) / a;
      geven *= (x * (a + b - 0.5)) / (a + 0.5);
      p *= lambda / (2 * en);
      q *= lambda / (2 * en + 1);
      s -= p;
      tnc += p * xodd + q * xeven;
      if (2 * s * (xodd - godd) <= 1e-13) break;
    }
  }
  tnc += normalCdf(-del);
  const cdf = negative ? 1 - tnc : tnc;
  return cdf < 0 ? 0 : cdf > 1 ? 1 : cdf;
}

/** Noncentral t survival function 1 - nctCdf. */
export function nctSf(t: number, df: number, nc: number): number {
  return 1 - nctCdf(t, df, nc);
}
