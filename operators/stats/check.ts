/**
 * Argument checks shared by the statistics functions. Every failure is a
 * MaasflowError (code CONFIG, not retriable) whose message starts with the
 * function and the argument: `welch: a[17] is NaN`.
 */
import { MaasflowError } from '../../engine/errors.ts';

/** A sample: a Float64Array in hot paths and workers; any numeric array-like works on the main thread. */
export type Sample = ArrayLike<number>;

/** The alternative hypothesis, as scipy names it: 'less' means mean(a) < mean(b) (or a stochastically smaller). */
export type Alternative = 'two-sided' | 'less' | 'greater';

export function badArgument(fn: string, arg: string, problem: string): MaasflowError {
  return new MaasflowError('CONFIG', `${fn}: ${arg} ${problem}`, { location: { path: arg } });
}

/** Throws unless `x` holds at least `min` finite numbers; returns its length. */
export function checkSample(fn: string, arg: string, x: Sample | null | undefined, min: number): number {
  return checkedSum(fn, arg, x, min).n;
}

/** checkSample, also returning the sum it computed on the way (one pass; a non-finite sum triggers the search for the culprit). */
export function checkedSum(fn: string, arg: string, x: Sample | null | undefined, min: number): { n: number; sum: number } {
  if (x === null || x === undefined || typeof x !== 'object' || typeof x.length !== 'number') throw badArgument(fn, arg, 'must be an array of numbers');
  const n = x.length;
  if (n < min) throw badArgument(fn, arg, n === 0 ? 'is empty' : `has ${n} value${n === 1 ? '' : 's'}; at least ${min} needed`);
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  if (!Number.isFinite(s)) {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw badArgument(fn, `${arg}[${i}]`, `is ${typeof v === 'number' ? String(v) : typeof v}; every value must be a finite number`);
    }
    throw badArgument(fn, arg, 'has values so large that their sum overflows');
  }
  return { n, sum: s };
}

/** A probability strictly inside (0, 1): alpha, confidence, power. */
export function checkProbability(fn: string, arg: string, p: unknown): number {
  if (typeof p !== 'number' || !(p > 0 && p < 1)) throw badArgument(fn, arg, `= ${describe(p)} must be a number strictly between 0 and 1`);
  return p;
}

export function checkPositive(fn: string, arg: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || !(x > 0)) throw badArgument(fn, arg, `= ${describe(x)} must be a finite number > 0`);
  return x;
}

export function checkFinite(fn: string, arg: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw badArgument(fn, arg, `= ${describe(x)} must be a finite number`);
  return x;
}

/** An integer in [min, max]. */
export function checkInteger(fn: string, arg: string, x: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) throw badArgument(fn, arg, `= ${describe(x)} must be an integer in ${min}..${max}`);
  return x;
}

export function checkAlternative(fn: string, alt: unknown): Alternative {
  if (alt === 'two-sided' || alt === 'less' || alt === 'greater') return alt;
  throw badArgument(fn, 'alternative', `= ${describe(alt)} must be one of "two-sided", "less", "greater"`);
}

function describe(x: unknown): string {
  return typeof x === 'number' ? String(x) : JSON.stringify(x) ?? String(x);
}
