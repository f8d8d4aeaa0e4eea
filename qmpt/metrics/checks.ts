/**
 * Input checks shared by the QMPT metrics. Configuration problems are
 * MaasflowError CONFIG, bad data (a NaN in a row, a self-report out of
 * range) RECORD_VALIDATE; every message starts with the function and names
 * the field, row or column, and `location.path` holds the field.
 */
import { MaasflowError } from '../../engine/errors.ts';
import type { Matrix } from '../types.ts';

export function configError(fn: string, field: string, problem: string): MaasflowError {
  return new MaasflowError('CONFIG', `${fn}: ${field} ${problem}`, { location: { path: field } });
}

export function dataError(fn: string, field: string, problem: string, path = field): MaasflowError {
  return new MaasflowError('RECORD_VALIDATE', `${fn}: ${field} ${problem}`, { location: { path } });
}

export function describeValue(x: unknown): string {
  return typeof x === 'number' ? String(x) : (JSON.stringify(x) ?? String(x));
}

/** An integer in [min, max]. */
export function checkInteger(fn: string, field: string, x: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
    throw configError(fn, field, `= ${describeValue(x)} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`}`);
  }
  return x;
}

/** A finite number > 0. */
export function checkPositive(fn: string, field: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || !(x > 0)) throw configError(fn, field, `= ${describeValue(x)} must be a finite number > 0`);
  return x;
}

/**
 * A weight group (w1..w3, beta_*, alpha_*): each a finite number ≥ 0, not all
 * 0. `prefix` is the config path of the group, e.g. "metrics.anomaly.".
 * Returns the weights' sum.
 */
export function checkWeights(fn: string, prefix: string, weights: Readonly<Record<string, unknown>>): number {
  let sum = 0;
  for (const [name, w] of Object.entries(weights)) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw configError(fn, `${prefix}${name}`, `= ${describeValue(w)} must be a finite number ≥ 0`);
    sum += w;
  }
  if (!(sum > 0)) throw configError(fn, prefix.replace(/\.$/, '') || 'weights', `has ${Object.keys(weights).join(', ')} all 0; at least one must be > 0`);
  return sum;
}

/**
 * A matrix of finite values with `dim` columns (when given) and at least
 * `minRows` rows. `what` names it in errors: "X row 3, column 1 is NaN".
 */
export function checkMatrix(fn: string, what: string, X: Matrix, options: { dim?: number; minRows?: number } = {}): void {
  checkShape(fn, what, X, options);
  checkFiniteRows(fn, what, X);
}

/** A Matrix { rows, cols, data } with `dim` columns (when given) and at least `minRows` rows. */
export function checkShape(fn: string, what: string, X: Matrix, options: { dim?: number; minRows?: number } = {}): void {
  if (X === null || typeof X !== 'object' || !(X.data instanceof Float64Array) || !Number.isInteger(X.rows) || !Number.isInteger(X.cols) || X.data.length < X.rows * X.cols) {
    throw dataError(fn, what, 'must be a Matrix { rows, cols, data: Float64Array }');
  }
  if (options.dim !== undefined && X.cols !== options.dim) throw dataError(fn, `${what}.cols`, `= ${X.cols}, but the model was fitted on ${options.dim} columns`);
  const minRows = options.minRows ?? 0;
  if (X.rows < minRows) throw dataError(fn, what, `has ${X.rows} row${X.rows === 1 ? '' : 's'}; at least ${minRows} needed`);
}

/** Every value of X finite; the row named is offset by `rowOffset` (X a slice of a larger matrix). */
export function checkFiniteRows(fn: string, what: string, X: Matrix, rowOffset = 0): void {
  const d = X.data;
  const n = X.rows * X.cols;
  // one cheap pass; the search for the culprit only runs when something is wrong
  let s = 0;
  for (let i = 0; i < n; i++) s += d[i]! * 0;
  if (s === 0) return;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(d[i]!)) continue;
    const r = Math.floor(i / X.cols) + rowOffset;
    const c = i % X.cols;
    throw dataError(fn, `${what} row ${r}, column ${c}`, `is ${d[i]}; every value must be a finite number`, `${what}[${r}][${c}]`);
  }
}
