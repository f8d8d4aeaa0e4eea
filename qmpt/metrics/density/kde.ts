/**
 * The kernel density (docs/QMPT.md §3.1), as scipy.stats.gaussian_kde: a
 * Gaussian kernel of covariance h² Σ̂ on each of the m reference points, Σ̂
 * their covariance (ddof 1), h Scott's m^(−1/(d+4)), Silverman's
 * (m(d+2)/4)^(−1/(d+4)) or a given number:
 *   log p̂(x) = logsumexp_i(−½ ‖(x − xᵢ) P‖²) − log m − ½ log det(2π h² Σ̂),
 * P the precision Cholesky factor of h² Σ̂. Beyond `max_points` rows the
 * reference is a seeded sample (kept in row order). The Mahalanobis Gaussian
 * (§3.2) is the reference points' mean and Σ̂.
 */
import { MaasflowError } from '../../../engine/errors.ts';
import { precisionCholesky } from '../../linalg/cholesky.ts';
import { Rng } from '../../random.ts';
import type { KdeConfig, Matrix } from '../../types.ts';
import type { DensityModel, DensityState, GaussianSet } from './density.ts';
import { inlineExecutor } from './executor.ts';
import { columnMoments } from './kmeans.ts';
import { checkKdeConfig, checkMatrix, checkSeed } from './validate.ts';

export type KdeState = Extract<DensityState, { kind: 'kde' }>;

export class KdeDensity implements DensityModel {
  readonly kind = 'kde';
  readonly dim: number;
  /** The reference points times P (m×d): the kernel is a unit Gaussian there. */
  private readonly whitened: Float64Array;
  private readonly kernel: Float64Array;

  constructor(private readonly state: KdeState) {
    const { rows, cols, data } = state.reference;
    this.dim = cols;
    this.kernel = Float64Array.from(state.kernelPrecisionCholesky);
    this.whitened = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) whiten(data, r * cols, this.kernel, cols, this.whitened, r * cols);
  }

  logDensity(X: Matrix): Float64Array {
    checkMatrix('kde.logDensity', X, 1);
    const d = this.dim;
    if (X.cols !== d) throw new MaasflowError('CONFIG', `kde.logDensity: X has ${X.cols} columns; the model was fitted on ${d}`, { location: { path: 'X' } });
    const m = this.state.reference.rows;
    const ref = this.whitened;
    const z = new Float64Array(d);
    const arg = new Float64Array(m);
    const out = new Float64Array(X.rows);
    for (let row = 0; row < X.rows; row++) {
      whiten(X.data, row * d, this.kernel, d, z, 0);
      let max = -Infinity;
      for (let i = 0; i < m; i++) {
        const ro = i * d;
        let q = 0;
        for (let j = 0; j < d; j++) {
          const t = z[j]! - ref[ro + j]!;
          q += t * t;
        }
        const a = -0.5 * q;
        arg[i] = a;
        if (a > max) max = a;
      }
      let sum = 0;
      for (let i = 0; i < m; i++) sum += Math.exp(arg[i]! - max);
      out[row] = max + Math.log(sum) + this.state.logNorm;
    }
    return out;
  }

  gaussians(): GaussianSet {
    return structuredClone(this.state.gaussian);
  }

  toState(): DensityState {
    return structuredClone(this.state);
  }
}

/** out[o..o+d) = x P for the row of `data` at `at` (P upper-triangular: z_j = Σ_{i≤j} x_i P_ij). */
function whiten(data: ArrayLike<number>, at: number, p: Float64Array, d: number, out: Float64Array, o: number): void {
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i <= j; i++) s += data[at + i]! * p[i * d + j]!;
    out[o + j] = s;
  }
}

/** The kernel factor h of m points in d dimensions. */
export function bandwidthFactor(bandwidth: KdeConfig['bandwidth'], m: number, d: number): number {
  if (bandwidth === 'scott') return m ** (-1 / (d + 4));
  if (bandwidth === 'silverman') return ((m * (d + 2)) / 4) ** (-1 / (d + 4));
  return bandwidth;
}

export async function fitKde(X: Matrix, config: KdeConfig, seed: number): Promise<KdeDensity> {
  checkMatrix('fitKde', X, 2);
  checkKdeConfig('fitKde', config);
  checkSeed('fitKde', seed);
  const reference = sampleRows(X, config.max_points, seed);
  const { rows: m, cols: d } = reference;
  const what = `fitKde: the covariance of the ${m} reference points`;
  if (m <= d) throw new MaasflowError('CONFIG', `${what} is singular: ${m} points in ${d} dimensions (at least ${d + 1} needed)`, { location: { path: 'X' } });
  const session = inlineExecutor.open(reference);
  const moments = await columnMoments(session, reference, 'full');
  session.close();
  const cov = moments.scatter.map((s) => s / (m - 1));
  const data = precisionCholesky(cov, d, what, 'a column is constant or a linear combination of others');
  const h = bandwidthFactor(config.bandwidth, m, d);
  const kernel = data.p.map((v) => v / h);
  const logDetKernel = data.logDet - d * Math.log(h);
  return new KdeDensity({
    kind: 'kde',
    bandwidth: h,
    reference: { rows: m, cols: d, data: Array.from(reference.data) },
    gaussian: { k: 1, d, weights: [1], means: Array.from(moments.mean), precisionCholesky: Array.from(data.p), logDetPrecisionCholesky: [data.logDet] },
    kernelPrecisionCholesky: Array.from(kernel),
    logNorm: -Math.log(m) - 0.5 * d * Math.log(2 * Math.PI) + logDetKernel,
  });
}

/** X itself, or `max` of its rows drawn without replacement by the seeded generator, in row order. */
function sampleRows(X: Matrix, max: number, seed: number): Matrix {
  if (X.rows <= max) return X;
  const idx = new Rng(seed).sample(X.rows, max).sort();
  const data = new Float64Array(max * X.cols);
  idx.forEach((r, i) => data.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), i * X.cols));
  return { rows: max, cols: X.cols, data };
}

export function kdeFromState(state: KdeState): KdeDensity {
  const bad = (field: string, problem: string): MaasflowError => new MaasflowError('CONFIG', `densityFromState: ${field} ${problem}`, { location: { path: field } });
  const ref = state.reference;
  if (ref === null || typeof ref !== 'object' || !Number.isInteger(ref.rows) || !Number.isInteger(ref.cols) || ref.rows < 1 || ref.cols < 1) throw bad('reference', 'must be { rows >= 1, cols >= 1, data }');
  const d = ref.cols;
  const arrays: [string, unknown, number][] = [
    ['reference.data', ref.data, ref.rows * d],
    ['kernelPrecisionCholesky', state.kernelPrecisionCholesky, d * d],
    ['gaussian.means', state.gaussian?.means, d],
    ['gaussian.precisionCholesky', state.gaussian?.precisionCholesky, d * d],
  ];
  for (const [field, v, length] of arrays) {
    if (!Array.isArray(v) || v.length !== length) throw bad(field, `must be an array of ${length} numbers`);
    const i = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (i >= 0) throw bad(`${field}[${i}]`, `= ${String(v[i])} must be a finite number`);
  }
  for (const [field, v] of [['bandwidth', state.bandwidth], ['logNorm', state.logNorm]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(field, `= ${String(v)} must be a finite number`);
  }
  return new KdeDensity(state);
}
