/**
 * The density model behind the anomaly score (docs/QMPT.md §3.1): a Gaussian
 * mixture (gmm.ts) or a kernel density (kde.ts). Both expose their Gaussian
 * components for the Mahalanobis distance (§3.2) and serialise to plain JSON
 * state, so a fitted model travels to worker threads and into checkpoints.
 */
import type { Matrix } from '../../types.ts';

/**
 * K Gaussians in d dimensions, scikit-learn's convention for the precision
 * Cholesky factor: Σ_k⁻¹ = P_k P_kᵀ with P_k upper-triangular, so the
 * squared Mahalanobis distance is ‖(x − μ_k) P_k‖².
 */
export interface GaussianSet {
  k: number;
  d: number;
  /** K mixture weights (KDE: [1]). */
  weights: number[];
  /** K×d, row-major. */
  means: number[];
  /** K blocks of d×d, row-major, upper-triangular. */
  precisionCholesky: number[];
  /** log det P_k per component (= −½ log det Σ_k). */
  logDetPrecisionCholesky: number[];
}

export type DensityState =
  | { kind: 'gmm'; covariance: 'full' | 'diag'; gaussians: GaussianSet }
  | { kind: 'kde'; bandwidth: number; reference: { rows: number; cols: number; data: number[] }; gaussian: GaussianSet; kernelPrecisionCholesky: number[]; logNorm: number };

export interface DensityModel {
  readonly kind: 'gmm' | 'kde';
  readonly dim: number;
  /** log p̂(x) for every row of X (X.cols must equal dim). */
  logDensity(X: Matrix): Float64Array;
  /** The mixture's components (KDE: one Gaussian of the reference mean and covariance). */
  gaussians(): GaussianSet;
  toState(): DensityState;
}
