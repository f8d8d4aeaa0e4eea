/**
 * The distance component of the anomaly score (docs/QMPT.md §3.2): a raw
 * distance D̂(x) and its normalisation D̃(x) ∈ [0, 1], by mode:
 *   - mahalanobis: D̂² = min_k ‖(x − μ_k) P_k‖² over the density's Gaussians
 *     (Σ_k⁻¹ = P_k P_kᵀ), D̃ = F_{χ²_d}(D̂²) = P(d/2, D̂²/2);
 *   - euclidean: D̂ = the distance to the nearest component mean after
 *     z-scoring each column with the reference moments; D̃ its mid-rank ECDF
 *     among the reference points' D̂;
 *   - knn: D̂ = the mean z-scored distance to the k nearest reference points
 *     (a reference point leaves itself out when the reference is built);
 *     D̃ its mid-rank ECDF among the reference points' D̂.
 * z-scoring divides by the population standard deviation; a constant column
 * divides by 1 instead, so a departure from a value the reference never left
 * still counts (a z-score of 0 would hide it).
 * knn is brute force with a bounded max-heap and partial-distance pruning:
 * O(n d) per query, O(n² d) to build the leave-one-out reference. Measured
 * here (n = 5,000, d = 16, k = 10): the reference in ~0.8 s, ~0.15 ms per
 * query; fine for references of a few thousand points, quadratic beyond.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { chi2Cdf } from '../../operators/stats/distributions.ts';
import type { Matrix } from '../types.ts';
import { checkInteger, checkMatrix, configError } from './checks.ts';
import type { GaussianSet } from './density/density.ts';
import { MidRankEcdf, type EcdfState } from './ecdf.ts';
import { meanNeighbourDistances } from './knn.ts';

export type DistanceMode = 'mahalanobis' | 'euclidean' | 'knn';

interface Standardiser {
  /** Column means of the reference. */
  center: number[];
  /** Column standard deviations (1 for a constant column). */
  scale: number[];
}

export type DistanceState =
  | { mode: 'mahalanobis'; gaussians: GaussianSet }
  | ({ mode: 'euclidean'; k: number; /** K×d z-scored component means. */ means: number[]; reference: EcdfState } & Standardiser)
  | ({ mode: 'knn'; k: number; /** The z-scored reference points, n×d. */ points: { rows: number; cols: number; data: number[] }; reference: EcdfState } & Standardiser);

export interface DistanceFitOptions {
  mode: DistanceMode;
  /** Neighbours for `knn` (1..n−1). */
  knnK: number;
}

/** D̂ and D̃ per row. */
export interface DistanceScores {
  raw: Float64Array;
  normalised: Float64Array;
}

export abstract class DistanceScorer {
  abstract readonly mode: DistanceMode;
  constructor(readonly dim: number) {}

  /** Fits the mode's reference on X; `gaussians` are the density model's components. */
  static fit(X: Matrix, gaussians: GaussianSet, options: DistanceFitOptions): DistanceScorer {
    const fn = 'DistanceScorer.fit';
    checkMatrix(fn, 'X', X, { minRows: 2 });
    checkGaussians(fn, gaussians, X.cols);
    switch (options.mode) {
      case 'mahalanobis':
        return new MahalanobisDistance(gaussians);
      case 'euclidean':
        return EuclideanDistance.fitReference(X, gaussians);
      case 'knn':
        return KnnDistance.fitReference(X, checkInteger(fn, 'knn_k', options.knnK, 1, X.rows - 1));
      default:
        throw configError(fn, 'distance_mode', `= ${JSON.stringify(options.mode)} must be one of "mahalanobis", "euclidean", "knn"`);
    }
  }

  static fromState(state: DistanceState): DistanceScorer {
    const fn = 'DistanceScorer.fromState';
    switch (state?.mode) {
      case 'mahalanobis':
        checkGaussians(fn, state.gaussians, state.gaussians?.d);
        return new MahalanobisDistance(state.gaussians);
      case 'euclidean': {
        const dim = checkStandardiser(state);
        if (!Number.isInteger(state.k) || state.k < 1 || !Array.isArray(state.means) || state.means.length !== state.k * dim || !state.means.every(Number.isFinite)) {
          throw new MaasflowError('RUNTIME', `${fn}: euclidean means must be ${String(state.k)}×${dim} finite numbers`);
        }
        return new EuclideanDistance({ center: state.center, scale: state.scale }, state.k, Float64Array.from(state.means), MidRankEcdf.fromState(state.reference, 'distance.reference'));
      }
      case 'knn': {
        const { points } = state;
        const dim = checkStandardiser(state);
        if (points?.cols !== dim || !Array.isArray(points.data) || points.data.length !== points.rows * dim || !(state.k >= 1 && state.k <= points.rows)) {
          throw new MaasflowError('RUNTIME', `${fn}: knn points must be a ${points?.rows}×${dim} matrix and k in 1..${points?.rows}`);
        }
        return new KnnDistance(dim, state.k, { center: state.center, scale: state.scale }, Float64Array.from(points.data), MidRankEcdf.fromState(state.reference, 'distance.reference'));
      }
      default:
        throw new MaasflowError('RUNTIME', `${fn}: mode = ${JSON.stringify((state as { mode?: unknown } | null)?.mode)} is not a distance mode`);
    }
  }

  /** D̂ and D̃ for each row of X, into `out` when given (chunks may write into slices of larger columns). */
  score(X: Matrix, out: DistanceScores = { raw: new Float64Array(X.rows), normalised: new Float64Array(X.rows) }): DistanceScores {
    checkMatrix('DistanceScorer.score', 'X', X, { dim: this.dim });
    this.scoreRows(X, out.raw, out.normalised);
    return out;
  }

  protected abstract scoreRows(X: Matrix, raw: Float64Array, normalised: Float64Array): void;
  abstract toState(): DistanceState;
}

class MahalanobisDistance extends DistanceScorer {
  readonly mode = 'mahalanobis';
  private readonly means: Float64Array;
  private readonly chol: Float64Array;

  constructor(private readonly gaussians: GaussianSet) {
    super(gaussians.d);
    this.means = Float64Array.from(gaussians.means);
    this.chol = Float64Array.from(gaussians.precisionCholesky);
  }

  protected scoreRows(X: Matrix, raw: Float64Array, normalised: Float64Array): void {
    const { means, chol } = this;
    const d = this.dim;
    const k = this.gaussians.k;
    const data = X.data;
    const diff = new Float64Array(d);
    for (let r = 0; r < X.rows; r++) {
      const off = r * d;
      let best = Infinity;
      for (let c = 0; c < k; c++) {
        const mo = c * d;
        const po = c * d * d;
        for (let i = 0; i < d; i++) diff[i] = data[off + i]! - means[mo + i]!;
        // y_j = Σ_{i ≤ j} diff_i P_ij (P upper-triangular); stop once past the best component
        let d2 = 0;
        for (let j = 0; j < d && d2 < best; j++) {
          let y = 0;
          for (let i = 0; i <= j; i++) y += diff[i]! * chol[po + i * d + j]!;
          d2 += y * y;
        }
        if (d2 < best) best = d2;
      }
      raw[r] = Math.sqrt(best);
      normalised[r] = chi2Cdf(best, d);
    }
  }

  toState(): DistanceState {
    const g = this.gaussians;
    return { mode: 'mahalanobis', gaussians: { k: g.k, d: g.d, weights: [...g.weights], means: [...g.means], precisionCholesky: [...g.precisionCholesky], logDetPrecisionCholesky: [...g.logDetPrecisionCholesky] } };
  }
}

class EuclideanDistance extends DistanceScorer {
  readonly mode = 'euclidean';

  constructor(
    private readonly std: Standardiser,
    private readonly k: number,
    private readonly means: Float64Array,
    private readonly reference: MidRankEcdf,
  ) {
    super(std.center.length);
  }

  static fitReference(X: Matrix, gaussians: GaussianSet): EuclideanDistance {
    const std = standardiser(X);
    const means = Float64Array.from(gaussians.means);
    for (let i = 0; i < means.length; i++) means[i] = (means[i]! - std.center[i % X.cols]!) / std.scale[i % X.cols]!;
    const raw = nearestMeanDistances(X, std, means, gaussians.k, new Float64Array(X.rows));
    return new EuclideanDistance(std, gaussians.k, means, MidRankEcdf.fit(raw, 'reference distances'));
  }

  protected scoreRows(X: Matrix, raw: Float64Array, normalised: Float64Array): void {
    nearestMeanDistances(X, this.std, this.means, this.k, raw);
    for (let r = 0; r < X.rows; r++) normalised[r] = this.reference.value(raw[r]!);
  }

  toState(): DistanceState {
    return { mode: 'euclidean', k: this.k, center: [...this.std.center], scale: [...this.std.scale], means: Array.from(this.means), reference: this.reference.toState() };
  }
}

class KnnDistance extends DistanceScorer {
  readonly mode = 'knn';
  private readonly rows: number;

  constructor(
    dim: number,
    private readonly k: number,
    private readonly std: Standardiser,
    /** z-scored reference points, rows×dim. */
    private readonly points: Float64Array,
    private readonly reference: MidRankEcdf,
  ) {
    super(dim);
    this.rows = points.length / dim;
  }

  static fitReference(X: Matrix, k: number): KnnDistance {
    const std = standardiser(X);
    const points = zScores(X, std);
    const loo = meanNeighbourDistances({ points, rows: X.rows, k, dim: X.cols }, points, X.rows, true, new Float64Array(X.rows));
    return new KnnDistance(X.cols, k, std, points, MidRankEcdf.fit(loo, 'reference distances'));
  }

  protected scoreRows(X: Matrix, raw: Float64Array, normalised: Float64Array): void {
    meanNeighbourDistances({ points: this.points, rows: this.rows, k: this.k, dim: this.dim }, zScores(X, this.std), X.rows, false, raw);
    for (let r = 0; r < X.rows; r++) normalised[r] = this.reference.value(raw[r]!);
  }

  toState(): DistanceState {
    return {
      mode: 'knn',
      k: this.k,
      center: [...this.std.center],
      scale: [...this.std.scale],
      points: { rows: this.rows, cols: this.dim, data: Array.from(this.points) },
      reference: this.reference.toState(),
    };
  }
}

/** Distance of each z-scored row of X to the nearest of the k z-scored `means`. */
function nearestMeanDistances(X: Matrix, std: Standardiser, means: Float64Array, k: number, out: Float64Array): Float64Array {
  const d = X.cols;
  const { center, scale } = std;
  const data = X.data;
  const z = new Float64Array(d);
  for (let r = 0; r < X.rows; r++) {
    for (let i = 0; i < d; i++) z[i] = (data[r * d + i]! - center[i]!) / scale[i]!;
    let best = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let i = 0; i < d; i++) {
        const t = z[i]! - means[c * d + i]!;
        s += t * t;
      }
      if (s < best) best = s;
    }
    out[r] = Math.sqrt(best);
  }
  return out;
}

function zScores(X: Matrix, std: Standardiser): Float64Array {
  const d = X.cols;
  const { center, scale } = std;
  const z = new Float64Array(X.rows * d);
  for (let i = 0; i < z.length; i++) z[i] = (X.data[i]! - center[i % d]!) / scale[i % d]!;
  return z;
}

/** Column means and population standard deviations of X (1 for a constant column). */
function standardiser(X: Matrix): Standardiser {
  const { rows, cols, data } = X;
  const center = new Array<number>(cols).fill(0);
  const scale = new Array<number>(cols).fill(0);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) center[c]! += data[r * cols + c]!;
  for (let c = 0; c < cols; c++) center[c] = center[c]! / rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = data[r * cols + c]! - center[c]!;
      scale[c]! += t * t;
    }
  }
  for (let c = 0; c < cols; c++) {
    const sd = Math.sqrt(scale[c]! / rows);
    scale[c] = sd > 0 ? sd : 1;
  }
  return { center, scale };
}

function checkStandardiser(state: Standardiser): number {
  const { center, scale } = state;
  const ok = Array.isArray(center) && Array.isArray(scale) && center.length > 0 && center.length === scale.length && center.every(Number.isFinite) && scale.every((s) => Number.isFinite(s) && s > 0);
  if (!ok) throw new MaasflowError('RUNTIME', 'DistanceScorer.fromState: center and scale must be arrays of one length of finite numbers (scale > 0)');
  return center.length;
}

function checkGaussians(fn: string, g: GaussianSet, dim: number): void {
  const ok =
    g !== null &&
    typeof g === 'object' &&
    Number.isInteger(g.k) &&
    g.k >= 1 &&
    g.d === dim &&
    Array.isArray(g.means) &&
    g.means.length === g.k * dim &&
    Array.isArray(g.precisionCholesky) &&
    g.precisionCholesky.length === g.k * dim * dim &&
    g.means.every(Number.isFinite) &&
    g.precisionCholesky.every(Number.isFinite);
  if (!ok) throw new MaasflowError('RUNTIME', `${fn}: gaussians must hold k ≥ 1 finite means (k×${dim}) and precision Cholesky factors (k×${dim}×${dim})`);
}
