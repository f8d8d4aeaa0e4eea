/**
 * Measured layer metrics (docs/QMPT.md §6): stress σ_k(t), protection P_k(t)
 * and the macro state S_k(t) of one layer, from its scored observations, on
 * the grid t = t₀ + j·step, each over the window (t − window, t].
 *
 * Cost: one sort by timestamp (skipped when the input is already in order),
 * then two pointers that only move forward, so O(n log n + grid points) in
 * all. σ comes from prefix sums of Â; the distinct-pattern figures from
 * per-pattern counters updated as observations enter and leave the window.
 *
 * Where §6 leaves a choice: n_patterns counts the distinct patterns with an
 * observation in the window, n_anomalous_patterns those with at least one
 * observation Â_o ≥ τ there; coherence is the mean R̂_norm over the window's
 * patterns that have one in `patternReflexivity` (null when none has).
 */
import { MaasflowError } from '../../engine/errors.ts';
import type { LayerMetricsConfig, LayerState } from '../types.ts';

/** One observation of the layer with its anomaly score Â_o. */
export interface ScoredObservation {
  obs_id: string;
  pattern_id: string;
  /** Seconds, the same clock as the grid. */
  timestamp: number;
  /** Â_o ∈ [0, 1]. */
  anomaly: number;
}

export type Regime = 'stable' | 'strained' | 'critical' | 'breached' | 'empty';

export interface RegimeThresholds {
  strained: number;
  critical: number;
  breached: number;
}

/** §6: `breached` whenever P < breached; otherwise `stable` for σ < strained, `strained` for σ < critical, else `critical`. */
export function classifyRegime(stress: number, protection: number, thresholds: RegimeThresholds): Regime {
  if (protection < thresholds.breached) return 'breached';
  if (stress < thresholds.strained) return 'stable';
  if (stress < thresholds.critical) return 'strained';
  return 'critical';
}

export interface LayerMetricsInput {
  /** The scored observations of ONE layer, in any order. */
  scores: readonly ScoredObservation[];
  /** pattern_id → R̂_norm; patterns missing here are left out of the coherence. */
  patternReflexivity: ReadonlyMap<string, number>;
  config: LayerMetricsConfig;
  /** τ = metrics.anomaly.threshold: Â_o ≥ τ breaches the layer. */
  threshold: number;
  /** First grid point; default the first multiple of `step` at or after the first timestamp. */
  from?: number;
  /** Last grid point at most this; default the first multiple of `step` at or after the last timestamp. */
  to?: number;
}

/** Grids longer than this are a configuration mistake (a step far too small for the span). */
const MAX_GRID_POINTS = 10_000_000;

/**
 * The layer's state at every grid point. Grid defaults: points sit on
 * multiples of `step` (so layers measured apart share their grid points),
 * from the first one whose window can hold the first observation to the
 * first one at or after the last observation (so every observation is at
 * the right edge of some window when window ≥ step). No scores without
 * both from and to give [].
 */
export function layerMetrics(input: LayerMetricsInput): LayerState[] {
  const { scores, patternReflexivity, config, threshold } = input;
  checkLayerConfig(config, threshold);
  const n = checkScores(scores);
  const { ts, anomaly, patternIdx, reflexivity } = columnsByTime(scores, n, patternReflexivity);
  if (n === 0 && (input.from === undefined || input.to === undefined)) return [];
  const from = input.from ?? Math.ceil(ts[0]! / config.step) * config.step;
  const to = input.to ?? Math.ceil(ts[n - 1]! / config.step) * config.step;
  checkFinite('from', from);
  checkFinite('to', to);
  if (to < from) throw bad('to', `= ${to} is before from = ${from}`);
  const points = Math.floor((to - from) / config.step + 1e-9) + 1;
  if (points > MAX_GRID_POINTS) throw bad('config.step', `= ${config.step} gives ${points} grid points over [${from}, ${to}]; at most ${MAX_GRID_POINTS}`);

  const patterns = reflexivity.length;
  const inWindow = new Int32Array(patterns);
  const breachedInWindow = new Int32Array(patterns);
  const prefix = new Float64Array(n + 1);
  const breachedPrefix = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    prefix[i + 1] = prefix[i]! + anomaly[i]!;
    breachedPrefix[i + 1] = breachedPrefix[i]! + (anomaly[i]! >= threshold ? 1 : 0);
  }

  let lo = 0; // first index with ts > t − window
  let hi = 0; // first index with ts > t
  let distinct = 0;
  let anomalousPatterns = 0;
  let reflexSum = 0;
  let reflexCount = 0;
  const out: LayerState[] = new Array<LayerState>(points);
  for (let j = 0; j < points; j++) {
    const t = from + j * config.step;
    while (hi < n && ts[hi]! <= t) {
      const p = patternIdx[hi]!;
      if (inWindow[p]++ === 0) {
        distinct++;
        const r = reflexivity[p]!;
        if (r === r) {
          reflexSum += r;
          reflexCount++;
        }
      }
      if (anomaly[hi]! >= threshold && breachedInWindow[p]++ === 0) anomalousPatterns++;
      hi++;
    }
    const start = t - config.window;
    while (lo < hi && ts[lo]! <= start) {
      const p = patternIdx[lo]!;
      if (--inWindow[p] === 0) {
        distinct--;
        const r = reflexivity[p]!;
        if (r === r) {
          reflexSum -= r;
          reflexCount--;
        }
      }
      if (anomaly[lo]! >= threshold && --breachedInWindow[p] === 0) anomalousPatterns--;
      lo++;
    }
    const count = hi - lo;
    if (reflexCount === 0) reflexSum = 0; // drop the rounding residue of the running sum
    if (count === 0) {
      out[j] = { t, stress: null, protection: null, macro_state: { regime: 'empty', coherence: null, n_obs: 0, n_patterns: 0, n_anomalous_patterns: 0 } };
      continue;
    }
    const stress = (prefix[hi]! - prefix[lo]!) / count;
    const protection = 1 - (breachedPrefix[hi]! - breachedPrefix[lo]!) / count;
    out[j] = {
      t,
      stress,
      protection,
      macro_state: {
        regime: classifyRegime(stress, protection, config),
        coherence: reflexCount > 0 ? reflexSum / reflexCount : null,
        n_obs: count,
        n_patterns: distinct,
        n_anomalous_patterns: anomalousPatterns,
      },
    };
  }
  return out;
}

/** The scores as columns in time order; pattern ids as dense indices with their R̂_norm (NaN when unknown). */
interface ScoreColumns {
  ts: Float64Array;
  anomaly: Float64Array;
  patternIdx: Int32Array;
  reflexivity: Float64Array;
}

/** Stable by timestamp (ties keep the input order); no sort when the input is already in order. */
function columnsByTime(scores: readonly ScoredObservation[], n: number, known: ReadonlyMap<string, number>): ScoreColumns {
  const inputTs = new Float64Array(n);
  let ordered = true;
  for (let i = 0; i < n; i++) {
    inputTs[i] = scores[i]!.timestamp;
    if (i > 0 && inputTs[i]! < inputTs[i - 1]!) ordered = false;
  }
  let order: Uint32Array | null = null;
  if (!ordered) {
    // argsort on a typed index array with typed keys: ~3× faster than sorting the objects
    order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => inputTs[a]! - inputTs[b]! || a - b);
  }
  const ts = order === null ? inputTs : new Float64Array(n);
  const anomaly = new Float64Array(n);
  const patternIdx = new Int32Array(n);
  const ids = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = order === null ? i : order[i]!;
    const s = scores[k]!;
    ts[i] = inputTs[k]!;
    anomaly[i] = s.anomaly;
    let p = ids.get(s.pattern_id);
    if (p === undefined) ids.set(s.pattern_id, (p = ids.size));
    patternIdx[i] = p;
  }
  const reflexivity = new Float64Array(ids.size).fill(Number.NaN);
  for (const [id, p] of ids) {
    const r = known.get(id);
    if (r === undefined) continue;
    if (typeof r !== 'number' || !(r >= 0 && r <= 1)) throw bad(`patternReflexivity[${JSON.stringify(id)}]`, `= ${String(r)} must be a number in [0, 1]`);
    reflexivity[p] = r;
  }
  return { ts, anomaly, patternIdx, reflexivity };
}

function checkScores(scores: readonly ScoredObservation[]): number {
  if (!Array.isArray(scores)) throw bad('scores', 'must be an array of scored observations');
  const n = scores.length;
  for (let i = 0; i < n; i++) {
    const s = scores[i] as ScoredObservation | null | undefined;
    if (s === null || typeof s !== 'object') throw bad(`scores[${i}]`, 'must be an object { obs_id, pattern_id, timestamp, anomaly }');
    if (typeof s.pattern_id !== 'string' || s.pattern_id === '') throw bad(`scores[${i}].pattern_id`, `= ${JSON.stringify(s.pattern_id)} must be a non-empty string`);
    if (typeof s.timestamp !== 'number' || !Number.isFinite(s.timestamp)) throw bad(`scores[${i}].timestamp`, `= ${String(s.timestamp)} must be a finite number (obs_id ${JSON.stringify(s.obs_id)})`);
    if (typeof s.anomaly !== 'number' || !(s.anomaly >= 0 && s.anomaly <= 1)) throw bad(`scores[${i}].anomaly`, `= ${String(s.anomaly)} must be a number in [0, 1] (obs_id ${JSON.stringify(s.obs_id)})`);
  }
  return n;
}

/** Checks the §6 configuration and τ; errors name the field. */
export function checkLayerConfig(config: LayerMetricsConfig, threshold: number): void {
  if (config === null || typeof config !== 'object') throw bad('config', 'must be the metrics.layer section { window, step, strained, critical, breached }');
  for (const key of ['window', 'step'] as const) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw bad(`config.${key}`, `= ${String(v)} must be a finite number > 0`);
  }
  for (const key of ['strained', 'critical', 'breached'] as const) checkUnit(`config.${key}`, config[key]);
  if (config.strained > config.critical) throw bad('config.strained', `= ${config.strained} must not exceed config.critical = ${config.critical}`);
  checkUnit('threshold', threshold);
}

function checkUnit(field: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw bad(field, `= ${String(v)} must be a number in [0, 1]`);
}

function checkFinite(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(field, `= ${String(v)} must be a finite number`);
}

function bad(field: string, problem: string): MaasflowError {
  return new MaasflowError('CONFIG', `layerMetrics: ${field} ${problem}`, { location: { path: field } });
}
