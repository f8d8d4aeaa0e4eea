/**
 * The state of the qmpt-score operator (operators/qmpt/score.ts), all of it
 * in engine stores so that a checkpoint taken between two batches restores
 * to exactly the scores an uninterrupted run gives:
 * - `model`: the fitted feature spec and anomaly estimator as their plain
 *   JSON states, the model version and the counters the schedule reads;
 * - `waiting`: the valid observations that arrived before the first fit;
 * - `reservoir`: the uniform sample of feature rows refits use;
 * - `patterns`: per pattern_id, the incremental reflexivity state and the
 *   running sum of its feature rows (x_Ψ = sum / count).
 */
import type { OperatorContext } from '../../engine/operator.ts';
import type { StateStore } from '../../engine/state.ts';
import type { FeatureSpecState } from '../../qmpt/features/base.ts';
import { matrix } from '../../qmpt/matrix.ts';
import { AnomalyEstimator, type AnomalyState } from '../../qmpt/metrics/anomaly.ts';
import type { ChunkExecutor } from '../../qmpt/metrics/density/executor.ts';
import type { ReflexivityState } from '../../qmpt/metrics/reflexivity.ts';
import { Rng } from '../../qmpt/random.ts';
import type { AnomalyConfig, Matrix, Observation } from '../../qmpt/types.ts';

export interface ModelState {
  /** Null until the first fit. */
  spec: FeatureSpecState | null;
  anomaly: AnomalyState | null;
  /** The pattern reference: fitted on the patterns' mean rows at each fit; null while there were too few. */
  pattern_anomaly: AnomalyState | null;
  /** 0 before the first fit, 1 after it, +1 per refit. */
  model_version: number;
  /** Rows offered to the reservoir so far (Algorithm R's index). */
  seen: number;
  /** Observations scored since the last fit, the warmup set not counted. */
  since_fit: number;
  /** Observations put in `waiting` so far: their keys. */
  arrivals: number;
}

/** A valid observation and its event time in the engine (epoch ms). */
export interface TimedObservation {
  obs: Observation;
  ts: number;
}

/** Algorithm R over feature rows: `rows` holds `filled` rows of `dim` values, room for `capacity`. */
export interface ReservoirState {
  capacity: number;
  dim: number;
  filled: number;
  rows: Float64Array;
}

export interface PatternState {
  reflexivity: ReflexivityState;
  /** Σ φ(o) over the pattern's scored observations. */
  sum: Float64Array;
  count: number;
  /** The first layer_id its observations named (a later one without a layer_id inherits it). */
  layer_id: string | null;
}

export interface ScoreStores {
  model: StateStore<'model', ModelState>;
  waiting: StateStore<number, TimedObservation>;
  reservoir: StateStore<'rows', ReservoirState>;
  patterns: StateStore<string, PatternState>;
}

export function scoreStores(ctx: OperatorContext): ScoreStores {
  return { model: ctx.store('model'), waiting: ctx.store('waiting'), reservoir: ctx.store('reservoir'), patterns: ctx.store('patterns') };
}

/** The model entry, created empty on first use (a store entry is the live object: checkpoints snapshot it as it is). */
export function modelState(stores: ScoreStores): ModelState {
  let m = stores.model.get('model');
  if (!m) stores.model.set('model', (m = { spec: null, anomaly: null, pattern_anomaly: null, model_version: 0, seen: 0, since_fit: 0, arrivals: 0 }));
  return m;
}

export function newReservoir(capacity: number, dim: number): ReservoirState {
  return { capacity, dim, filled: 0, rows: new Float64Array(capacity * dim) };
}

/**
 * Offers row number `index` (0-based, in scoring order) to the reservoir
 * (Vitter's Algorithm R): the first `capacity` rows fill it, row i > capacity
 * replaces slot j when j = uniform{0..i} < capacity. The draw comes from a
 * generator keyed by (seed, i), so the state needs no generator position.
 */
export function offerRow(r: ReservoirState, row: Float64Array, index: number, seeds: Rng): void {
  let slot = index;
  if (index >= r.capacity) {
    slot = seeds.fork(index).int(index + 1);
    if (slot >= r.capacity) return;
  } else r.filled = index + 1;
  r.rows.set(row, slot * r.dim);
}

/** The reservoir's rows as a matrix of their own (a copy: the reservoir keeps changing, a model fitted on it must not). */
export function reservoirMatrix(r: ReservoirState): Matrix {
  return matrix(r.filled, r.dim, r.rows.slice(0, r.filled * r.dim));
}

/**
 * The patterns' mean rows x_Ψ = sum / count, in pattern_id order (a function
 * of the state alone, so a restored run refits on the same matrix).
 */
export function patternMeans(patterns: Iterable<[string, Pick<PatternState, 'sum' | 'count'>]>, dim: number): Matrix {
  const sorted = [...patterns].filter(([, p]) => p.count > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const X = matrix(sorted.length, dim);
  sorted.forEach(([, p], i) => {
    for (let j = 0; j < dim; j++) X.data[i * dim + j] = p.sum[j]! / p.count;
  });
  return X;
}

/**
 * The pattern reference on the patterns' mean rows (docs/QMPT.md §3.3), or
 * null with fewer patterns than columns + 2 (a covariance of full rank and
 * one row to spare); a few dozen patterns try no more components than rows.
 */
export async function fitPatternReference(means: Matrix, config: AnomalyConfig, options: { executor?: ChunkExecutor }): Promise<AnomalyEstimator | null> {
  if (means.rows < means.cols + 2) return null;
  const components = { min: config.gmm.components.min, max: Math.min(config.gmm.components.max, means.rows) };
  return AnomalyEstimator.fit(means, { ...config, gmm: { ...config.gmm, components } }, options);
}

/** (timestamp, obs_id) order, obs_ids by UTF-16 code units (as ReflexivityEstimator takes them). */
function compareTime(ta: number, ia: string, tb: number, ib: string): number {
  return ta - tb || (ia < ib ? -1 : ia > ib ? 1 : 0);
}

/**
 * Why `o` cannot join its pattern's state, or null: a pattern's observations
 * are taken in (timestamp, obs_id) order (the incremental reflexivity equals
 * the batch one only then), so one that sorts before the last taken is late,
 * and one equal to it is a repeat.
 */
export function orderProblem(p: PatternState, o: Observation): string | null {
  const last = p.reflexivity.last;
  if (last === null) return null;
  const c = compareTime(o.timestamp, o.obs_id, last.timestamp, last.obs_id);
  if (c > 0) return null;
  if (c === 0) return `/obs_id: ${JSON.stringify(o.obs_id)} at timestamp ${o.timestamp} repeats the last observation of pattern ${JSON.stringify(o.pattern_id)}; not scored twice`;
  return `/timestamp: ${o.timestamp} sorts before observation ${JSON.stringify(last.obs_id)} (timestamp ${last.timestamp}), already scored for pattern ${JSON.stringify(o.pattern_id)}; a pattern's observations must arrive in (timestamp, obs_id) order`;
}
