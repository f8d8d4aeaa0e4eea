/** Test inputs of the anomaly metrics: Gaussian sets with known parameters, seeded samples, a one-Gaussian density. */
import { precisionCholesky } from '../../../qmpt/linalg/cholesky.ts';
import { matrix } from '../../../qmpt/matrix.ts';
import type { DensityModel, DensityState, GaussianSet } from '../../../qmpt/metrics/density/density.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { AnomalyConfig, Matrix } from '../../../qmpt/types.ts';
import { DEFAULT_CONFIG } from '../../../qmpt/config/loader.ts';

/** K Gaussians of the given means and full covariances, in the density models' convention. */
export function gaussianSet(means: number[][], covs: number[][][]): GaussianSet {
  const d = means[0]!.length;
  const chol = covs.map((c, k) => precisionCholesky(Float64Array.from(c.flat()), d, `test covariance ${k}`));
  return {
    k: means.length,
    d,
    weights: means.map(() => 1 / means.length),
    means: means.flat(),
    precisionCholesky: chol.flatMap((c) => Array.from(c.p)),
    logDetPrecisionCholesky: chol.map((c) => c.logDet),
  };
}

/** n rows of N(mean, cov) (cov by its lower Cholesky factor, computed here for 1–3 dimensions). */
export function sampleGaussian(rng: Rng, n: number, mean: number[], cov: number[][]): Matrix {
  const d = mean.length;
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = cov[j]![j]!;
    for (let p = 0; p < j; p++) s -= l[j * d + p]! ** 2;
    l[j * d + j] = Math.sqrt(s);
    for (let i = j + 1; i < d; i++) {
      let t = cov[i]![j]!;
      for (let p = 0; p < j; p++) t -= l[i * d + p]! * l[j * d + p]!;
      l[i * d + j] = t / l[j * d + j]!;
    }
  }
  const X = matrix(n, d);
  const z = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) z[i] = rng.normal();
    for (let i = 0; i < d; i++) {
      let v = mean[i]!;
      for (let p = 0; p <= i; p++) v += l[i * d + p]! * z[p]!;
      X.data[r * d + i] = v;
    }
  }
  return X;
}

/** Rows of several matrices stacked. */
export function stack(...parts: Matrix[]): Matrix {
  const cols = parts[0]!.cols;
  const out = matrix(parts.reduce((s, p) => s + p.rows, 0), cols);
  let at = 0;
  for (const p of parts) {
    out.data.set(p.data, at);
    at += p.data.length;
  }
  return out;
}

/**
 * A density of one Gaussian N(mean, diag(variances)), computed by the
 * textbook formula here: lets a test check rarity and Mahalanobis by hand
 * without the mixture code.
 */
export class DiagonalGaussianDensity implements DensityModel {
  readonly kind = 'gmm';
  readonly dim: number;
  constructor(
    private readonly mean: number[],
    private readonly variances: number[],
  ) {
    this.dim = mean.length;
  }

  logDensity(X: Matrix): Float64Array {
    const out = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) {
      let q = 0;
      let logDet = 0;
      for (let i = 0; i < this.dim; i++) {
        q += (X.data[r * this.dim + i]! - this.mean[i]!) ** 2 / this.variances[i]!;
        logDet += Math.log(this.variances[i]!);
      }
      out[r] = -0.5 * (this.dim * Math.log(2 * Math.PI) + logDet + q);
    }
    return out;
  }

  gaussians(): GaussianSet {
    const cov = this.variances.map((v, i) => this.variances.map((_, j) => (i === j ? v : 0)));
    return gaussianSet([this.mean], [cov]);
  }

  toState(): DensityState {
    return { kind: 'gmm', covariance: 'diag', gaussians: this.gaussians() };
  }
}

/** The default anomaly config (config/metrics_default.yaml) with at most 4 components and τ = 0.8, then `overrides`. */
export function anomalyConfig(overrides: Partial<AnomalyConfig> = {}): AnomalyConfig {
  const base = DEFAULT_CONFIG.metrics.anomaly;
  return { ...base, gmm: { ...base.gmm, components: { min: 1, max: 4 } }, threshold: 0.8, ...overrides };
}

/** Seeded 2-D data: two Gaussian clusters and `outliers` planted points far from both (the last rows). */
export function clustersWithOutliers(seed: number, perCluster: number): { X: Matrix; outliers: number[] } {
  const rng = new Rng(seed);
  const a = sampleGaussian(rng, perCluster, [0, 0], [[1, 0.5], [0.5, 1]]);
  const b = sampleGaussian(rng, perCluster, [6, 1], [[0.5, 0], [0, 2]]);
  const planted = matrix(5, 2, Float64Array.from([3, 8, -6, -5, 12, -4, 3, -7, -7, 6]));
  const X = stack(a, b, planted);
  return { X, outliers: [0, 1, 2, 3, 4].map((i) => 2 * perCluster + i) };
}
