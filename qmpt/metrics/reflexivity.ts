/**
 * Reflexivity R̂_norm (docs/QMPT.md §4) over a pattern's observations:
 *   r_text = ρ / (ρ + h), ρ = (n_self + n_cog) / N over its text tokens;
 *   r_dyn  = (1/(m−1)) Σ_{i=2..m} max_{max(1,i−W) ≤ j < i} max(0, cos(vᵢ, vⱼ));
 *   R̂_norm = (β_text r_text + β_dyn r_dyn) / (β_text + β_dyn), over the parts
 * that are defined (a part with β = 0 is not used; an undefined part with
 * β > 0 is named in `missing` and the result is `degraded`).
 *
 * Observations are taken in (timestamp, obs_id) order (string order of the
 * ids by UTF-16 code units, so no locale decides it). The batch form folds
 * the incremental one over that order, so a streaming operator that calls
 * update() per observation in the same order gets the same numbers.
 *
 * Vectors vᵢ: rows given by the caller (feature rows of a fitted spec,
 * aligned with the observations as passed), else the built-in hashed
 * embedding of a text payload, or a numeric payload itself (a record by its
 * sorted keys). Vectors are compared only with vectors of the same kind
 * (text, or the same modality and shape): a text and an EEG row have no
 * cosine, so their similarity counts as 0.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { hashEmbed } from '../../models/builtin/embedder.ts';
import type { Matrix, Observation, ReflexivityConfig } from '../types.ts';
import { metricVersion } from '../version.ts';
import { checkInteger, checkPositive, checkWeights, configError, dataError } from './checks.ts';
import { buildLexicons, countLexiconTokens, type Lexicons } from './lexicon.ts';

export const REFLEXIVITY_REVISION = 1;
const CONFIG_PATH = 'metrics.reflexivity.';

export interface ReflexivityDetail {
  value: number | null;
  r_text: number | null;
  r_dyn: number | null;
  /** A part with weight > 0 was undefined; `missing` names it. */
  degraded: boolean;
  /** 'r_text' and/or 'r_dyn'. */
  missing: string[];
}

/** The running state of one pattern: plain JSON, for checkpoints. */
export interface ReflexivityState {
  pattern_id: string | null;
  /** Text tokens N, self-reference tokens, mental-state tokens. */
  tokens: number;
  self: number;
  cognitive: number;
  /** Observations with a vector so far (m). */
  observations: number;
  /** Σ over i ≥ 2 of the best similarity to the W observations before. */
  recurrence: number;
  /** The last W unit vectors, oldest first, and their kinds. */
  window: number[][];
  kinds: string[];
  /** The last observation taken: a later one must not sort before it. */
  last: { timestamp: number; obs_id: string } | null;
}

export type ObservationVectors = Matrix | readonly (Float64Array | readonly number[])[];

export class ReflexivityEstimator {
  readonly version: string;
  readonly config: ReflexivityConfig;
  private readonly lexicons: Lexicons;

  constructor(config: ReflexivityConfig) {
    const fn = 'ReflexivityEstimator';
    if (config === null || typeof config !== 'object') throw configError(fn, 'metrics.reflexivity', 'must be an object');
    checkWeights(fn, CONFIG_PATH, { beta_text: config.beta_text, beta_dyn: config.beta_dyn });
    checkPositive(fn, `${CONFIG_PATH}text_half_saturation`, config.text_half_saturation);
    checkInteger(fn, `${CONFIG_PATH}dyn_window`, config.dyn_window, 1);
    this.lexicons = buildLexicons(config.lexicon ?? {}, `${CONFIG_PATH}lexicon`);
    this.config = structuredClone(config);
    this.version = metricVersion('reflexivity', REFLEXIVITY_REVISION, this.config);
  }

  /** r_text of the observations, or null with no text token. */
  scoreText(obs: readonly Observation[]): number | null {
    const state = this.initialState();
    for (const i of timeOrder(obs, 'ReflexivityEstimator.scoreText')) this.addText(state, obs[i]!);
    return this.rText(state);
  }

  /** r_dyn of the observations, or null with fewer than 2. */
  scoreDyn(obs: readonly Observation[], vectors?: ObservationVectors): number | null {
    const state = this.initialState();
    const fn = 'ReflexivityEstimator.scoreDyn';
    const order = timeOrder(obs, fn);
    const rows = vectorRows(fn, obs, vectors);
    for (const i of order) this.addVector(state, obs[i]!, rows?.[i]);
    return this.rDyn(state);
  }

  score(obs: readonly Observation[], vectors?: ObservationVectors): number | null {
    return this.scoreDetailed(obs, vectors).value;
  }

  scoreDetailed(obs: readonly Observation[], vectors?: ObservationVectors): ReflexivityDetail {
    const fn = 'ReflexivityEstimator.score';
    const order = timeOrder(obs, fn);
    const rows = vectorRows(fn, obs, vectors);
    const state = this.initialState();
    for (const i of order) this.update(state, obs[i]!, rows?.[i]);
    return this.detail(state);
  }

  // ---- incremental form ----

  initialState(): ReflexivityState {
    return { pattern_id: null, tokens: 0, self: 0, cognitive: 0, observations: 0, recurrence: 0, window: [], kinds: [], last: null };
  }

  /**
   * Takes one more observation of the state's pattern (and its vector, else
   * the one derived from its payload); mutates and returns `state`. The
   * observations must come in (timestamp, obs_id) order.
   */
  update(state: ReflexivityState, o: Observation, vector?: Float64Array | readonly number[]): ReflexivityState {
    accept(state, o);
    this.addText(state, o);
    this.addVector(state, o, vector);
    return state;
  }

  value(state: ReflexivityState): number | null {
    return this.detail(state).value;
  }

  detail(state: ReflexivityState): ReflexivityDetail {
    const rText = this.rText(state);
    const rDyn = this.rDyn(state);
    const { beta_text: bText, beta_dyn: bDyn } = this.config;
    const missing: string[] = [];
    if (bText > 0 && rText === null) missing.push('r_text');
    if (bDyn > 0 && rDyn === null) missing.push('r_dyn');
    const useText = bText > 0 && rText !== null;
    const useDyn = bDyn > 0 && rDyn !== null;
    // one part alone is taken as it is (β r / β can be an ulp off r)
    const value = useText && useDyn ? (bText * rText + bDyn * rDyn) / (bText + bDyn) : useText ? rText : useDyn ? rDyn : null;
    return { value, r_text: rText, r_dyn: rDyn, degraded: missing.length > 0, missing };
  }

  private rText(state: ReflexivityState): number | null {
    if (state.tokens === 0) return null;
    const rho = (state.self + state.cognitive) / state.tokens;
    return rho / (rho + this.config.text_half_saturation);
  }

  private rDyn(state: ReflexivityState): number | null {
    return state.observations < 2 ? null : state.recurrence / (state.observations - 1);
  }

  private addText(state: ReflexivityState, o: Observation): void {
    if (typeof o.payload === 'string') countLexiconTokens(o.payload, this.lexicons, state);
    else if (o.modality === 'text') throw notText(o);
  }

  private addVector(state: ReflexivityState, o: Observation, given: Float64Array | readonly number[] | undefined): void {
    const { values, kind } = given === undefined ? payloadVector(o) : { values: given, kind: `row[${given.length}]` };
    const v = unitVector(values, o.obs_id);
    if (state.window.length > 0) {
      let best = 0;
      for (let j = 0; j < state.window.length; j++) {
        if (state.kinds[j] !== kind) continue;
        const s = dot(v, state.window[j]!);
        if (s > best) best = s;
      }
      state.recurrence += Math.min(best, 1); // cos ≤ 1; a rounding excess of unit vectors is clipped
    }
    state.window.push(v);
    state.kinds.push(kind);
    if (state.window.length > this.config.dyn_window) {
      state.window.shift();
      state.kinds.shift();
    }
    state.observations++;
  }
}

/** Checks that `o` belongs to the state's pattern and does not sort before the last observation taken; records it. */
function accept(state: ReflexivityState, o: Observation): void {
  const fn = 'ReflexivityEstimator.update';
  if (o === null || typeof o !== 'object' || typeof o.obs_id !== 'string' || typeof o.pattern_id !== 'string' || typeof o.timestamp !== 'number' || !Number.isFinite(o.timestamp)) {
    throw dataError(fn, 'observation', 'must have a string obs_id and pattern_id and a finite timestamp');
  }
  if (state.pattern_id === null) state.pattern_id = o.pattern_id;
  else if (o.pattern_id !== state.pattern_id) {
    throw dataError(fn, `observation ${o.obs_id} /pattern_id`, `= ${JSON.stringify(o.pattern_id)} is not the state's pattern ${JSON.stringify(state.pattern_id)}`, '/pattern_id');
  }
  const last = state.last;
  if (last !== null && compareTime(o.timestamp, o.obs_id, last.timestamp, last.obs_id) < 0) {
    throw new MaasflowError('RUNTIME', `${fn}: observation ${o.obs_id} (t = ${o.timestamp}) sorts before ${last.obs_id} (t = ${last.timestamp}), already taken; observations must come in (timestamp, obs_id) order`);
  }
  state.last = { timestamp: o.timestamp, obs_id: o.obs_id };
}

function compareTime(ta: number, ia: string, tb: number, ib: string): number {
  return ta - tb || (ia < ib ? -1 : ia > ib ? 1 : 0);
}

/** Indices of `obs` in (timestamp, obs_id) order, ties kept in input order; all of one pattern. */
function timeOrder(obs: readonly Observation[], fn: string): number[] {
  if (!Array.isArray(obs)) throw dataError(fn, 'observations', 'must be an array');
  obs.forEach((o, i) => {
    if (o === null || typeof o !== 'object' || typeof o.obs_id !== 'string' || typeof o.timestamp !== 'number' || !Number.isFinite(o.timestamp)) {
      throw dataError(fn, `observations[${i}]`, 'must have a string obs_id and a finite timestamp', `/${i}`);
    }
    if (o.pattern_id !== obs[0]!.pattern_id) {
      throw dataError(fn, `observations[${i}].pattern_id`, `= ${JSON.stringify(o.pattern_id)} differs from observations[0].pattern_id ${JSON.stringify(obs[0]!.pattern_id)}; score one pattern at a time`, `/${i}/pattern_id`);
    }
  });
  return obs.map((_, i) => i).sort((a, b) => compareTime(obs[a]!.timestamp, obs[a]!.obs_id, obs[b]!.timestamp, obs[b]!.obs_id) || a - b);
}

/** The caller's vectors as rows aligned with `obs`, checked; undefined when none were given. */
function vectorRows(fn: string, obs: readonly Observation[], vectors: ObservationVectors | undefined): (Float64Array | readonly number[])[] | undefined {
  if (vectors === undefined) return undefined;
  let rows: (Float64Array | readonly number[])[];
  if (Array.isArray(vectors)) rows = vectors as (Float64Array | readonly number[])[];
  else {
    const m = vectors as Matrix;
    if (!(m?.data instanceof Float64Array)) throw dataError(fn, 'vectors', 'must be a Matrix or an array of rows');
    rows = Array.from({ length: m.rows }, (_, i) => m.data.subarray(i * m.cols, (i + 1) * m.cols));
  }
  if (rows.length !== obs.length) throw dataError(fn, 'vectors', `has ${rows.length} rows for ${obs.length} observations; they must be aligned`);
  rows.forEach((r, i) => {
    for (let c = 0; c < r.length; c++) {
      if (typeof r[c] !== 'number' || !Number.isFinite(r[c]!)) throw dataError(fn, `vectors row ${i}, column ${c}`, `is ${String(r[c])}; every value must be a finite number`, `vectors/${i}/${c}`);
    }
  });
  return rows;
}

/** The vector of an observation without a given one, and its kind (vectors of different kinds are not compared). */
function payloadVector(o: Observation): { values: ArrayLike<number>; kind: string } {
  const p = o.payload;
  const where = `observation ${o.obs_id} /payload`;
  if (typeof p === 'string') return { values: hashEmbed(p), kind: 'text' };
  if (o.modality === 'text') throw notText(o);
  if (Array.isArray(p)) {
    p.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw dataError('ReflexivityEstimator', `${where}/${i}`, `is ${JSON.stringify(x)}; must be a finite number`, `/payload/${i}`);
    });
    return { values: p as number[], kind: `${o.modality}[${p.length}]` };
  }
  if (p !== null && typeof p === 'object') {
    const keys = Object.keys(p).sort();
    const values = keys.map((k) => {
      const x = (p as Record<string, unknown>)[k];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw dataError('ReflexivityEstimator', `${where}/${k}`, `is ${JSON.stringify(x)}; must be a finite number`, `/payload/${k}`);
      return x;
    });
    return { values, kind: `${o.modality}{${keys.join(',')}}` };
  }
  throw dataError('ReflexivityEstimator', where, 'must be a string, a number[] or a { name: number } record', '/payload');
}

function notText(o: Observation): MaasflowError {
  return dataError('ReflexivityEstimator', `observation ${o.obs_id} /payload`, 'of a text observation must be a string', '/payload');
}

/** v / ‖v‖ as a plain array (the zero vector stays zero: similarity 0 with anything). */
function unitVector(values: ArrayLike<number>, obsId: string): number[] {
  let norm = 0;
  for (let i = 0; i < values.length; i++) norm += values[i]! * values[i]!;
  // scale first if squaring overflowed, so huge payloads still normalise
  let scale = 1;
  if (!Number.isFinite(norm)) {
    let max = 0;
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]!));
    scale = 1 / max;
    norm = 0;
    for (let i = 0; i < values.length; i++) norm += (values[i]! * scale) ** 2;
  }
  if (!Number.isFinite(norm)) throw dataError('ReflexivityEstimator', `observation ${obsId} vector`, 'has a non-finite value');
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * scale * inv;
  return out;
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
