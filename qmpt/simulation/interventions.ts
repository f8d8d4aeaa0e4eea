/**
 * Interventions on a simulated layer (docs/QMPT.md §7): add or remove a
 * pattern, set or change the protection P, a stress shock on σ. The runner
 * applies each at the first step with t ≥ its time, before the update, and
 * records it in the state that step produces. Everything that can be known
 * before the run (fields, ranges, which pattern ids exist when) is checked
 * up front, so a bad intervention fails at construction, not halfway.
 */
import type { Intervention, InterventionKind } from '../types.ts';
import { clip01, simulationError, type ActivePatterns, type ModelState } from './model.ts';

const KINDS: readonly InterventionKind[] = ['add_pattern', 'remove_pattern', 'set_protection', 'change_protection', 'stress_shock'];

/** What `macro_state.interventions` holds: the kind, its scheduled time and its argument. */
export interface InterventionRecord {
  kind: InterventionKind;
  t: number;
  pattern_id?: string;
  value?: number;
}

/** A checked intervention: its position in the configuration, its time on the 1e-9 grid, its argument. */
export interface ScheduledIntervention {
  index: number;
  t: number;
  kind: InterventionKind;
  /** add_pattern / remove_pattern */
  patternId?: string;
  /** add_pattern */
  anomaly?: number;
  reflexivity?: number;
  /** set_protection / change_protection / stress_shock */
  value?: number;
}

/** Rounds a time to 1e-9 so grid times and intervention times compare without drift. */
export function roundTime(t: number): number {
  return Math.round(t * 1e9) / 1e9;
}

/**
 * Checks `interventions` and returns them in the order they apply (by time,
 * then as given). `initialPatternIds` are the layer's patterns at t = 0;
 * `lastStepTime` the time of the run's last step (a later intervention would
 * never apply).
 */
export function scheduleInterventions(interventions: readonly Intervention[], options: { initialPatternIds: Iterable<string>; lastStepTime: number; field?: string }): ScheduledIntervention[] {
  const base = options.field ?? 'simulation.interventions';
  if (!Array.isArray(interventions)) throw simulationError(base, 'must be an array of interventions');
  const checked = interventions.map((iv, i) => checkIntervention(iv, `${base}[${i}]`, i, options.lastStepTime));
  checked.sort((a, b) => a.t - b.t || a.index - b.index);
  // replay the pattern set in application order: remove needs a present id, add a new one
  const present = new Set(options.initialPatternIds);
  for (const s of checked) {
    const field = `${base}[${s.index}]`;
    if (s.kind === 'add_pattern') {
      if (present.has(s.patternId!)) throw simulationError(`${field}.pattern.pattern_id`, `= ${JSON.stringify(s.patternId)} is already in the layer at t = ${s.t}`);
      present.add(s.patternId!);
    } else if (s.kind === 'remove_pattern') {
      if (!present.has(s.patternId!)) throw simulationError(`${field}.pattern_id`, `= ${JSON.stringify(s.patternId)} is not in the layer at t = ${s.t}; present: ${listIds(present)}`);
      present.delete(s.patternId!);
    }
  }
  return checked;
}

function checkIntervention(iv: Intervention, field: string, index: number, lastStepTime: number): ScheduledIntervention {
  if (iv === null || typeof iv !== 'object') throw simulationError(field, 'must be an object { t, kind, ... }');
  if (!KINDS.includes(iv.kind)) throw simulationError(`${field}.kind`, `= ${JSON.stringify(iv.kind)} must be one of ${KINDS.join(', ')}`);
  if (typeof iv.t !== 'number' || !Number.isFinite(iv.t) || iv.t < 0) throw simulationError(`${field}.t`, `= ${String(iv.t)} must be a finite number >= 0`);
  const t = roundTime(iv.t);
  if (t > lastStepTime) throw simulationError(`${field}.t`, `= ${iv.t} is after the last step (t = ${lastStepTime}); it would never apply`);
  const s: ScheduledIntervention = { index, t, kind: iv.kind };
  switch (iv.kind) {
    case 'add_pattern': {
      const p = iv.pattern;
      if (p === null || typeof p !== 'object') throw simulationError(`${field}.pattern`, 'is required for add_pattern: { pattern_id, anomaly_score, reflexivity }');
      s.patternId = checkId(`${field}.pattern.pattern_id`, p.pattern_id);
      if (iv.pattern_id !== undefined && iv.pattern_id !== s.patternId) throw simulationError(`${field}.pattern_id`, `= ${JSON.stringify(iv.pattern_id)} differs from pattern.pattern_id = ${JSON.stringify(s.patternId)}`);
      s.anomaly = checkUnit(`${field}.pattern.anomaly_score`, p.anomaly_score);
      s.reflexivity = checkUnit(`${field}.pattern.reflexivity`, p.reflexivity);
      break;
    }
    case 'remove_pattern':
      s.patternId = checkId(`${field}.pattern_id`, iv.pattern_id ?? iv.pattern?.pattern_id);
      break;
    case 'set_protection':
      s.value = checkUnit(`${field}.value`, iv.value);
      break;
    case 'change_protection':
    case 'stress_shock':
      if (typeof iv.value !== 'number' || !Number.isFinite(iv.value)) throw simulationError(`${field}.value`, `= ${String(iv.value)} must be a finite number`);
      s.value = iv.value;
      break;
  }
  return s;
}

function checkId(field: string, id: unknown): string {
  if (typeof id !== 'string' || id === '') throw simulationError(field, `= ${JSON.stringify(id) ?? String(id)} must be a non-empty pattern id`);
  return id;
}

function checkUnit(field: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw simulationError(field, `= ${String(v)} must be a number in [0, 1]`);
  return v;
}

function listIds(ids: Set<string>): string {
  const all = [...ids];
  return all.length <= 10 ? all.join(', ') || '(none)' : `${all.slice(0, 10).join(', ')}, ... (${all.length})`;
}

/** The mutable set of patterns acting on the layer; `active()` rebuilds the typed arrays only after a change (a new object then, the same one otherwise). */
export class ActivePatternSet {
  private readonly scores = new Map<string, { anomaly: number; reflexivity: number }>();
  private cached: ActivePatterns | null = null;

  constructor(patterns: Iterable<{ id: string; anomaly: number; reflexivity: number }> = []) {
    for (const p of patterns) this.add(p.id, p.anomaly, p.reflexivity);
  }

  has(id: string): boolean {
    return this.scores.has(id);
  }

  add(id: string, anomaly: number, reflexivity: number): void {
    this.scores.set(id, { anomaly, reflexivity });
    this.cached = null;
  }

  remove(id: string): void {
    this.scores.delete(id);
    this.cached = null;
  }

  active(): ActivePatterns {
    if (this.cached !== null) return this.cached;
    const ids = [...this.scores.keys()];
    const anomaly = new Float64Array(ids.length);
    const reflexivity = new Float64Array(ids.length);
    ids.forEach((id, i) => {
      const s = this.scores.get(id)!;
      anomaly[i] = s.anomaly;
      reflexivity[i] = s.reflexivity;
    });
    return (this.cached = { ids, anomaly, reflexivity });
  }
}

/**
 * Applies `due` (already checked, in order) to `state` and `patterns`;
 * σ and P are clipped to [0, 1] after each. Returns the new state and the
 * records for `macro_state.interventions`.
 */
export function applyInterventions(state: ModelState, due: readonly ScheduledIntervention[], patterns: ActivePatternSet): { state: ModelState; records: InterventionRecord[] } {
  let { stress, protection } = state;
  const records: InterventionRecord[] = [];
  for (const s of due) {
    switch (s.kind) {
      case 'add_pattern':
        patterns.add(s.patternId!, s.anomaly!, s.reflexivity!);
        records.push({ kind: s.kind, t: s.t, pattern_id: s.patternId! });
        continue;
      case 'remove_pattern':
        patterns.remove(s.patternId!);
        records.push({ kind: s.kind, t: s.t, pattern_id: s.patternId! });
        continue;
      case 'set_protection':
        protection = clip01(s.value!);
        break;
      case 'change_protection':
        protection = clip01(protection + s.value!);
        break;
      case 'stress_shock':
        stress = clip01(stress + s.value!);
        break;
    }
    records.push({ kind: s.kind, t: s.t, value: s.value! });
  }
  return { state: { stress, protection, coherence: state.coherence }, records };
}
