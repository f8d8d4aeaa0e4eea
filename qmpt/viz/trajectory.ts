/**
 * A layer's state trajectory read for plots and reports (docs/QMPT.md §6–§7):
 * each state checked once (t finite and non-decreasing; σ, P and coherence
 * in [0, 1] or null), its regime and the interventions recorded in its
 * macro_state, then the figures drawn from it: regime spans and time per
 * regime, the extremes of each series and each intervention's effect.
 * A state holds from its t until the next state's t (step-after), so the
 * times per regime add up to t_last − t_first. The simulation records an
 * intervention in the state it produces (the step from t applies it, then
 * updates): its effect is that state against the one before.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { formatQ, formatQDelta } from '../../control/manager/format.ts';
import type { Layer, LayerState } from '../types.ts';

/** The regimes of §6 in the order reports list them; any other regime follows, alphabetically. */
export const REGIME_ORDER = ['stable', 'strained', 'critical', 'breached', 'empty'] as const;
/** A state whose macro_state names no regime. */
export const UNKNOWN_REGIME = 'unknown';

export interface TrajectoryIntervention {
  /** When it was due (the record's own t); null when the record has none: then the state's t stands in. */
  t: number | null;
  kind: string;
  /** `stress_shock Δσ +0.300`, `remove_pattern anom-1`, ... */
  label: string;
}

export interface TrajectoryPoint {
  t: number;
  stress: number | null;
  protection: number | null;
  coherence: number | null;
  regime: string;
  interventions: TrajectoryIntervention[];
}

export type SeriesKey = 'stress' | 'protection' | 'coherence';

/** `/state_trajectory/3/stress` → `state_trajectory[3].stress`. */
function fieldName(pointer: string): string {
  return pointer.slice(1).replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
}

function invalid(layer: Layer, pointer: string, problem: string): MaasflowError {
  return new MaasflowError('RECORD_VALIDATE', `layer ${JSON.stringify(layer.layer_id)} ${fieldName(pointer)}: ${problem}`, { location: { path: pointer } });
}

function unit(layer: Layer, where: string, v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw invalid(layer, where, `must be a number in [0, 1] or null, got ${typeof v === 'number' ? String(v) : typeof v}`);
  return v;
}

/** The label of one recorded intervention: an Intervention-like object or a plain string. */
function readIntervention(layer: Layer, where: string, entry: unknown): TrajectoryIntervention {
  if (typeof entry === 'string' && entry !== '') return { t: null, kind: entry, label: entry };
  if (entry === null || typeof entry !== 'object' || typeof (entry as { kind?: unknown }).kind !== 'string') {
    throw invalid(layer, where, 'must be a string or an object with a string `kind`');
  }
  const e = entry as { kind: string; t?: unknown; value?: unknown; pattern_id?: unknown; pattern?: { pattern_id?: unknown } };
  const t = typeof e.t === 'number' && Number.isFinite(e.t) ? e.t : null;
  const value = typeof e.value === 'number' && Number.isFinite(e.value) ? e.value : null;
  const target = typeof e.pattern_id === 'string' ? e.pattern_id : typeof e.pattern?.pattern_id === 'string' ? e.pattern.pattern_id : null;
  let detail: string | null;
  if (e.kind === 'set_protection' && value !== null) detail = `P := ${formatQ(value)}`;
  else if (e.kind === 'change_protection' && value !== null) detail = `ΔP ${formatQDelta(value)}`;
  else if (e.kind === 'stress_shock' && value !== null) detail = `Δσ ${formatQDelta(value)}`;
  else detail = target ?? (value === null ? null : formatQ(value));
  return { t, kind: e.kind, label: detail === null ? e.kind : `${e.kind} ${detail}` };
}

function readState(layer: Layer, j: number, s: LayerState, prevT: number | null): TrajectoryPoint {
  const at = `/state_trajectory/${j}`;
  if (s === null || typeof s !== 'object') throw invalid(layer, at, 'must be an object');
  if (typeof s.t !== 'number' || !Number.isFinite(s.t)) throw invalid(layer, `${at}/t`, `must be a finite number, got ${String(s.t)}`);
  if (prevT !== null && s.t < prevT) throw invalid(layer, `${at}/t`, `must not be less than the previous state's t (${prevT}), got ${s.t}`);
  const macro = s.macro_state ?? {};
  const regime = macro['regime'];
  if (regime !== undefined && regime !== null && typeof regime !== 'string') throw invalid(layer, `${at}/macro_state/regime`, `must be a string, got ${typeof regime}`);
  const recorded = macro['interventions'];
  if (recorded !== undefined && recorded !== null && !Array.isArray(recorded)) throw invalid(layer, `${at}/macro_state/interventions`, 'must be an array');
  return {
    t: s.t,
    stress: unit(layer, `${at}/stress`, s.stress),
    protection: unit(layer, `${at}/protection`, s.protection),
    coherence: unit(layer, `${at}/macro_state/coherence`, macro['coherence']),
    regime: typeof regime === 'string' && regime !== '' ? regime : UNKNOWN_REGIME,
    interventions: (recorded ?? []).map((e: unknown, k: number) => readIntervention(layer, `${at}/macro_state/interventions/${k}`, e)),
  };
}

/** The layer's states, checked; an error names the layer and the field (`state_trajectory[3].stress`). */
export function readTrajectory(layer: Layer): TrajectoryPoint[] {
  if (!Array.isArray(layer.state_trajectory)) throw invalid(layer, '/state_trajectory', 'must be an array');
  let prevT: number | null = null;
  return layer.state_trajectory.map((s, j) => {
    const point = readState(layer, j, s, prevT);
    prevT = point.t;
    return point;
  });
}

/** Regimes in report order: those of §6 first, then the rest alphabetically. */
export function orderRegimes(regimes: Iterable<string>): string[] {
  const known: readonly string[] = REGIME_ORDER;
  const rank = (r: string): number => (known.includes(r) ? known.indexOf(r) : known.length);
  return [...new Set(regimes)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export interface RegimeSpan {
  regime: string;
  start: number;
  end: number;
}

/** Runs of consecutive states in one regime; each lasts until the next run starts (the last until the last state's t). */
export function regimeSpans(points: readonly TrajectoryPoint[]): RegimeSpan[] {
  const spans: RegimeSpan[] = [];
  for (let j = 0; j < points.length; j++) {
    const p = points[j]!;
    const last = spans[spans.length - 1];
    if (last && last.regime === p.regime) continue;
    if (last) last.end = p.t;
    spans.push({ regime: p.regime, start: p.t, end: p.t });
  }
  const last = spans[spans.length - 1];
  if (last) last.end = points[points.length - 1]!.t;
  return spans;
}

export interface RegimeTime {
  regime: string;
  /** States in the regime. */
  states: number;
  /** Σ (t_{j+1} − t_j) over its states j (the last state holds for no time). */
  time: number;
  /** time / (t_last − t_first); null for a trajectory that spans no time. */
  share: number | null;
}

export function regimeTimes(points: readonly TrajectoryPoint[]): RegimeTime[] {
  const states = new Map<string, number>();
  const time = new Map<string, number>();
  for (let j = 0; j < points.length; j++) {
    const p = points[j]!;
    states.set(p.regime, (states.get(p.regime) ?? 0) + 1);
    const next = points[j + 1];
    time.set(p.regime, (time.get(p.regime) ?? 0) + (next ? next.t - p.t : 0));
  }
  const total = points.length === 0 ? 0 : points[points.length - 1]!.t - points[0]!.t;
  return orderRegimes(states.keys()).map((regime) => {
    const spent = time.get(regime)!;
    return { regime, states: states.get(regime)!, time: spent, share: total > 0 ? spent / total : null };
  });
}

export interface SeriesExtremes {
  initial: number | null;
  final: number | null;
  min: number;
  tMin: number;
  max: number;
  tMax: number;
}

/** First and last value and the extremes (at their first t) of a series; null when it has no value at all. */
export function seriesExtremes(points: readonly TrajectoryPoint[], key: SeriesKey): SeriesExtremes | null {
  let out: SeriesExtremes | null = null;
  for (const p of points) {
    const v = p[key];
    if (v === null) continue;
    if (out === null) out = { initial: null, final: null, min: v, tMin: p.t, max: v, tMax: p.t };
    if (v < out.min) {
      out.min = v;
      out.tMin = p.t;
    }
    if (v > out.max) {
      out.max = v;
      out.tMax = p.t;
    }
  }
  if (out === null) return null;
  out.initial = points[0]![key];
  out.final = points[points.length - 1]![key];
  return out;
}

export interface InterventionEffect {
  /** When it was due; the recording state's t when the record has none. */
  t: number;
  kind: string;
  label: string;
  /** σ and P of the state before the one that records the intervention; null for the first state. */
  before: { stress: number | null; protection: number | null } | null;
  /** σ and P of the state that records it (the intervention applied, then one update). */
  after: { stress: number | null; protection: number | null };
}

/** Each recorded intervention with σ and P just before and after it, in trajectory order. */
export function interventionEffects(points: readonly TrajectoryPoint[]): InterventionEffect[] {
  return points.flatMap((p, j) => {
    const prev = j > 0 ? points[j - 1]! : null;
    return p.interventions.map((iv) => ({
      t: iv.t ?? p.t,
      kind: iv.kind,
      label: iv.label,
      before: prev === null ? null : { stress: prev.stress, protection: prev.protection },
      after: { stress: p.stress, protection: p.protection },
    }));
  });
}
