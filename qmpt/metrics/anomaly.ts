/**
 * The anomaly score Â (docs/QMPT.md §3): fit a density model, the distance
 * reference and an isolation forest on a reference set X, then score
 *   Â(x) = (w₁ R̃(x) + w₂ D̃(x) + w₃ Ĩ(x)) / (w₁ + w₂ + w₃) ∈ [0, 1],
 * R̃ the mid-rank ECDF of the rarity −log p̂(x) among the reference's, D̃ the
 * normalised distance (distance.ts), Ĩ the isolation score.
 *
 * Scoring is a pure function of (state, rows): every row is scored on its
 * own, so scoring X chunk by chunk (in piscina workers, from
 * AnomalyEstimator.fromState(state)) gives === the numbers of scoring it
 * whole.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { matrix } from '../matrix.ts';
import { Rng } from '../random.ts';
import type { AnomalyConfig, Matrix } from '../types.ts';
import { metricVersion } from '../version.ts';
import { checkFiniteRows, checkInteger, checkMatrix, checkShape, checkWeights, configError, dataError, describeValue } from './checks.ts';
import type { DensityModel, DensityState } from './density/density.ts';
import type { ChunkExecutor } from './density/executor.ts';
import { densityFromState, fitDensity } from './density/index.ts';
import { DistanceScorer, type DistanceState } from './distance.ts';
import { MidRankEcdf, type EcdfState } from './ecdf.ts';
import { IsolationForest, type IsolationForestState } from './isolation-forest.ts';

/** The formula's revision in docs/QMPT.md (§8). */
export const ANOMALY_REVISION = 1;
/** Sub-stream of config.seed the isolation forest draws from, apart from the density fit's. */
const ISOLATION_STREAM = 0x150f;
const CONFIG_PATH = 'metrics.anomaly.';

/** Â of one row with its components. */
export interface AnomalyScore {
  /** Â ∈ [0, 1]. */
  anomaly: number;
  /** R̃ ∈ (0, 1). */
  rarity: number;
  /** D̃ ∈ [0, 1]. */
  distance: number;
  /** Ĩ ∈ (0, 1]. */
  isolation: number;
  /** R̂ = −log p̂(x). */
  rarityRaw: number;
  /** D̂ (Mahalanobis, z-scored Euclidean or mean kNN distance, by mode). */
  distanceRaw: number;
}

/** The same per row, as columns. */
export interface AnomalyScores {
  rows: number;
  anomaly: Float64Array;
  rarity: Float64Array;
  distance: Float64Array;
  isolation: Float64Array;
  rarityRaw: Float64Array;
  distanceRaw: Float64Array;
}

/** Everything scoring needs, as plain JSON (checkpoints, worker tasks). */
export interface AnomalyState {
  kind: 'anomaly';
  version: string;
  config: AnomalyConfig;
  dim: number;
  density: DensityState;
  rarity: EcdfState;
  distance: DistanceState;
  isolation: IsolationForestState;
}

export interface AnomalyFitOptions {
  /** Where the density fit's chunks run (default: the main thread). */
  executor?: ChunkExecutor;
  /** A density model fitted elsewhere on X, used instead of fitting one. */
  density?: DensityModel;
}

/** Rows [from, to) of X (default all). */
export interface RowRange {
  from?: number;
  to?: number;
}

export class AnomalyEstimator {
  readonly version: string;
  private readonly weightSum: number;

  private constructor(
    readonly config: AnomalyConfig,
    readonly dim: number,
    private readonly density: DensityModel,
    private readonly rarityReference: MidRankEcdf,
    private readonly distance: DistanceScorer,
    private readonly isolation: IsolationForest,
  ) {
    this.version = metricVersion('anomaly', ANOMALY_REVISION, config);
    this.weightSum = config.w1 + config.w2 + config.w3;
  }

  static async fit(X: Matrix, config: AnomalyConfig, options: AnomalyFitOptions = {}): Promise<AnomalyEstimator> {
    const fn = 'AnomalyEstimator.fit';
    checkAnomalyConfig(fn, config);
    checkMatrix(fn, 'X', X, { minRows: 2 });
    const own = structuredClone(config);
    const density = options.density ?? (await fitDensity(X, own, { seed: own.seed, executor: options.executor }));
    if (density.dim !== X.cols) throw configError(fn, 'density', `has ${density.dim} dimensions; X has ${X.cols} columns`);
    const rarityRaw = density.logDensity(X);
    for (let i = 0; i < X.rows; i++) {
      rarityRaw[i] = -rarityRaw[i]!;
      if (!Number.isFinite(rarityRaw[i]!)) throw new MaasflowError('RUNTIME', `${fn}: the density of reference row ${i} is ${Math.exp(-rarityRaw[i]!)} (log ${-rarityRaw[i]!}); a reference point must have a finite log-density`);
    }
    const rarity = MidRankEcdf.fit(rarityRaw, 'reference rarities');
    const distance = DistanceScorer.fit(X, density.gaussians(), { mode: own.distance_mode, knnK: own.knn_k });
    const isolationSeed = new Rng(own.seed).fork(ISOLATION_STREAM).seed;
    const isolation = IsolationForest.fit(X, { trees: own.isolation.trees, sampleSize: own.isolation.sample_size, seed: isolationSeed });
    return new AnomalyEstimator(own, X.cols, density, rarity, distance, isolation);
  }

  /** Restores a fitted estimator: identical scores to the one `toState()` was called on. */
  static fromState(state: AnomalyState): AnomalyEstimator {
    const fn = 'AnomalyEstimator.fromState';
    if (state === null || typeof state !== 'object' || state.kind !== 'anomaly') throw new MaasflowError('RUNTIME', `${fn}: state.kind must be "anomaly"`);
    checkAnomalyConfig(fn, state.config);
    const config = structuredClone(state.config);
    const density = densityFromState(state.density);
    const distance = DistanceScorer.fromState(state.distance);
    const isolation = IsolationForest.fromState(state.isolation);
    for (const [part, dim] of [['density', density.dim], ['distance', distance.dim], ['isolation', isolation.dim]] as const) {
      if (dim !== state.dim) throw new MaasflowError('RUNTIME', `${fn}: ${part} has ${dim} dimensions, state.dim is ${state.dim}`);
    }
    const restored = new AnomalyEstimator(config, state.dim, density, MidRankEcdf.fromState(state.rarity, 'rarity'), distance, isolation);
    if (state.version !== restored.version) throw new MaasflowError('RUNTIME', `${fn}: state.version ${state.version} does not match its config (${restored.version})`);
    return restored;
  }

  /** Â and its components for one row. */
  score(x: Float64Array | number[]): AnomalyScore {
    const fn = 'AnomalyEstimator.score';
    if (x === null || typeof x !== 'object' || typeof x.length !== 'number') throw dataError(fn, 'x', 'must be an array of numbers');
    if (x.length !== this.dim) throw dataError(fn, 'x', `has ${x.length} values; the model was fitted on ${this.dim} columns`);
    for (let i = 0; i < x.length; i++) {
      if (typeof x[i] !== 'number' || !Number.isFinite(x[i]!)) throw dataError(fn, `x[${i}]`, `is ${describeValue(x[i])}; every value must be a finite number`, `x/${i}`);
    }
    const s = this.batchScore(matrix(1, this.dim, Float64Array.from(x)));
    return { anomaly: s.anomaly[0]!, rarity: s.rarity[0]!, distance: s.distance[0]!, isolation: s.isolation[0]!, rarityRaw: s.rarityRaw[0]!, distanceRaw: s.distanceRaw[0]! };
  }

  /** Â and its components for rows [from, to) of X (default all), as columns; rows are scored independently. */
  batchScore(X: Matrix, range: RowRange = {}): AnomalyScores {
    const fn = 'AnomalyEstimator.batchScore';
    checkShape(fn, 'X', X, { dim: this.dim });
    const from = checkInteger(fn, 'range.from', range.from ?? 0, 0, X.rows);
    const to = checkInteger(fn, 'range.to', range.to ?? X.rows, from, X.rows);
    const rows = to - from;
    // a view of the rows, no copy (X may live in shared memory and be scored chunk by chunk)
    const part = from === 0 && to === X.rows ? X : matrix(rows, X.cols, X.data.subarray(from * X.cols, to * X.cols));
    checkFiniteRows(fn, 'X', part, from);
    if (rows === 0) {
      const none = (): Float64Array => new Float64Array(0);
      return { rows, anomaly: none(), rarity: none(), distance: none(), isolation: none(), rarityRaw: none(), distanceRaw: none() };
    }
    const rarityRaw = this.density.logDensity(part);
    const rarity = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      rarityRaw[i] = -rarityRaw[i]!;
      rarity[i] = this.rarityReference.value(rarityRaw[i]!);
    }
    const { raw: distanceRaw, normalised: distance } = this.distance.score(part);
    const isolation = this.isolation.score(part);
    const anomaly = new Float64Array(rows);
    const { w1, w2, w3 } = this.config;
    const W = this.weightSum;
    for (let i = 0; i < rows; i++) anomaly[i] = (w1 * rarity[i]! + w2 * distance[i]! + w3 * isolation[i]!) / W;
    return { rows, anomaly, rarity, distance, isolation, rarityRaw, distanceRaw };
  }

  /** Whether Â reaches the configured threshold. */
  isAnomalous(anomaly: number): boolean {
    return anomaly >= this.config.threshold;
  }

  toState(): AnomalyState {
    return {
      kind: 'anomaly',
      version: this.version,
      config: structuredClone(this.config),
      dim: this.dim,
      density: this.density.toState(),
      rarity: this.rarityReference.toState(),
      distance: this.distance.toState(),
      isolation: this.isolation.toState(),
    };
  }
}

/** The parts of an AnomalyConfig this module reads (the density model checks its own sections). */
export function checkAnomalyConfig(fn: string, config: AnomalyConfig): void {
  if (config === null || typeof config !== 'object') throw configError(fn, 'metrics.anomaly', 'must be an object');
  checkWeights(fn, CONFIG_PATH, { w1: config.w1, w2: config.w2, w3: config.w3 });
  const t = config.threshold;
  if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw configError(fn, `${CONFIG_PATH}threshold`, `= ${describeValue(t)} must be a number in [0, 1]`);
  if (typeof config.seed !== 'number' || !Number.isFinite(config.seed)) throw configError(fn, `${CONFIG_PATH}seed`, `= ${describeValue(config.seed)} must be a finite number`);
  const modes = ['mahalanobis', 'euclidean', 'knn'];
  if (!modes.includes(config.distance_mode)) throw configError(fn, `${CONFIG_PATH}distance_mode`, `= ${describeValue(config.distance_mode)} must be one of ${modes.map((m) => `"${m}"`).join(', ')}`);
  checkInteger(fn, `${CONFIG_PATH}knn_k`, config.knn_k, 1);
  if (config.isolation === null || typeof config.isolation !== 'object') throw configError(fn, `${CONFIG_PATH}isolation`, 'must be an object { trees, sample_size }');
  checkInteger(fn, `${CONFIG_PATH}isolation.trees`, config.isolation.trees, 1);
  checkInteger(fn, `${CONFIG_PATH}isolation.sample_size`, config.isolation.sample_size, 2);
}
