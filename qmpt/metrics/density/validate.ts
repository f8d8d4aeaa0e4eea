/**
 * Input checks of the density models. Every failure is a MaasflowError
 * (code CONFIG) naming the function and the field, row or column:
 * `fitDensity: X row 12, column 3 is NaN`, `fitGmm: gmm.n_init = 0 must be ...`.
 */
import { MaasflowError } from '../../../engine/errors.ts';
import { badArgument, checkInteger, checkPositive } from '../../../operators/stats/check.ts';
import type { GmmConfig, KdeConfig, Matrix } from '../../types.ts';

/** X is a well-formed Matrix of at least `minRows` rows and one column, every value finite. */
export function checkMatrix(fn: string, X: Matrix, minRows: number, what = 'X'): void {
  if (X === null || typeof X !== 'object' || !(X.data instanceof Float64Array)) throw badArgument(fn, what, 'must be a Matrix { rows, cols, data: Float64Array }');
  const { rows, cols, data } = X;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || data.length !== rows * cols) {
    throw badArgument(fn, what, `has shape ${String(rows)}×${String(cols)} but ${data.length} values`);
  }
  if (rows === 0) throw badArgument(fn, what, 'is empty (0 rows)');
  if (cols === 0) throw badArgument(fn, what, 'has no columns');
  if (rows < minRows) throw badArgument(fn, what, `has ${rows} row${rows === 1 ? '' : 's'}; at least ${minRows} needed`);
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i]!;
  if (Number.isFinite(s)) return;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const r = Math.floor(i / cols);
      const c = i % cols;
      throw new MaasflowError('CONFIG', `${fn}: ${what} row ${r}, column ${c} is ${data[i]}; every value must be a finite number`, { location: { path: `${what}[${r}][${c}]` } });
    }
  }
  throw badArgument(fn, what, 'has values so large that their sum overflows');
}

/** The GMM section, against X's `rows`. */
export function checkGmmConfig(fn: string, config: GmmConfig, rows: number): void {
  if (config === null || typeof config !== 'object') throw badArgument(fn, 'gmm', 'must be an object');
  const { components } = config;
  if (components === null || typeof components !== 'object') throw badArgument(fn, 'gmm.components', 'must be { min, max }');
  const min = checkInteger(fn, 'gmm.components.min', components.min, 1);
  checkInteger(fn, 'gmm.components.max', components.max, min);
  if (components.max > rows) throw badArgument(fn, 'gmm.components.max', `= ${components.max} exceeds the ${rows} rows of X (each component needs a row)`);
  if (config.covariance !== 'full' && config.covariance !== 'diag') throw badArgument(fn, 'gmm.covariance', `= ${JSON.stringify(config.covariance)} must be "full" or "diag"`);
  if (typeof config.reg_covar !== 'number' || !Number.isFinite(config.reg_covar) || config.reg_covar < 0) {
    throw badArgument(fn, 'gmm.reg_covar', `= ${String(config.reg_covar)} must be a finite number >= 0`);
  }
  const share = config.min_component_share;
  if (typeof share !== 'number' || !(share >= 0 && share <= 0.5)) throw badArgument(fn, 'gmm.min_component_share', `= ${String(share)} must be a number in [0, 0.5]`);
  checkPositive(fn, 'gmm.tol', config.tol);
  checkInteger(fn, 'gmm.max_iter', config.max_iter, 1);
  checkInteger(fn, 'gmm.n_init', config.n_init, 1);
}

export function checkKdeConfig(fn: string, config: KdeConfig): void {
  if (config === null || typeof config !== 'object') throw badArgument(fn, 'kde', 'must be an object');
  const bw = config.bandwidth;
  if (bw !== 'scott' && bw !== 'silverman' && !(typeof bw === 'number' && Number.isFinite(bw) && bw > 0)) {
    throw badArgument(fn, 'kde.bandwidth', `= ${JSON.stringify(bw)} must be "scott", "silverman" or a finite number > 0`);
  }
  checkInteger(fn, 'kde.max_points', config.max_points, 2);
}

export function checkSeed(fn: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw badArgument(fn, 'seed', `= ${String(seed)} must be a finite number`);
  return seed;
}
