/**
 * The layer's update rule F (docs/QMPT.md §7) and the registry of models
 * keyed by `simulation.model_id`. A model is pure: the next state is a
 * function of (state, active patterns, params, dt, noise draw ξ); the runner
 * (core.ts) owns time, the generator and the interventions.
 *
 * Where §7 leaves a choice: the three updates are simultaneous (each reads
 * the state at t); τ is `params.tau` and a pattern counts as anomalous when
 * Â ≥ τ; R̄ = 0 for a layer without patterns and R̄_e = 0 when no pattern
 * exceeds τ (the load is 0 then anyway).
 */
import { MaasflowError } from '../../engine/errors.ts';
import { classifyRegime, type Regime } from '../metrics/layer-metrics.ts';

/** A simulation configuration error naming the field, e.g. `simulation.params.tau`. */
export function simulationError(field: string, problem: string): MaasflowError {
  return new MaasflowError('CONFIG', `${field} ${problem}`, { location: { path: field } });
}

/** The patterns acting on the layer, aligned by index. */
export interface ActivePatterns {
  readonly ids: readonly string[];
  /** Âᵢ ∈ [0, 1]. */
  readonly anomaly: Float64Array;
  /** R̂_normᵢ ∈ [0, 1]. */
  readonly reflexivity: Float64Array;
}

/** What the pattern set drives the layer with; it changes only when the set does. */
export interface PatternDrive {
  /** L_eff: the load after reflexive damping. */
  load: number;
  /** R̄: the mean R̂_norm of all active patterns (0 with none). */
  meanReflexivity: number;
  nPatterns: number;
  /** Patterns with Â ≥ τ (as §3.3 marks them anomalous). */
  nAnomalous: number;
}

/** The model's state variables. */
export interface ModelState {
  stress: number;
  protection: number;
  coherence: number;
}

/** S_k(t) as §7 lists it (the runner adds `interventions`). */
export interface ModelMacroState {
  regime: Regime;
  coherence: number;
  load: number;
  n_patterns: number;
  n_anomalous: number;
}

export type ModelParams = Readonly<Record<string, number>>;

export interface LayerModel {
  readonly id: string;
  /** Every parameter the model knows, with its default. */
  readonly defaults: ModelParams;
  /** Defaults overlaid with `params`; an unknown key or a value out of range is an error naming it. */
  resolveParams(params: Readonly<Record<string, unknown>> | undefined): ModelParams;
  initialState(params: ModelParams): ModelState;
  drive(patterns: ActivePatterns, params: ModelParams): PatternDrive;
  /** One step of length dt with the standard-normal draw xi. */
  update(state: ModelState, drive: PatternDrive, params: ModelParams, dt: number, xi: number): ModelState;
  macroState(state: ModelState, drive: PatternDrive, params: ModelParams): ModelMacroState;
}

// ---- stress_protection_v1 ----

/** A type alias (not an interface) so it is a ModelParams as it stands. */
export type StressProtectionParams = {
  k_load: number;
  k_relax: number;
  k_recover: number;
  /** P*: the protection the layer recovers towards. */
  protection_target: number;
  k_erode: number;
  k_coh: number;
  /** η: the noise amplitude of σ. */
  noise: number;
  /** γ: the largest excess one pattern contributes. */
  gamma: number;
  /** τ: the Â above which a pattern loads the layer. */
  tau: number;
  /** ρ: how much reflexivity damps the load. */
  rho: number;
  initial_stress: number;
  initial_protection: number;
  initial_coherence: number;
  strained: number;
  critical: number;
  breached: number;
};

export const STRESS_PROTECTION_DEFAULTS: Readonly<StressProtectionParams> = Object.freeze({
  k_load: 0.8,
  k_relax: 0.5,
  k_recover: 0.2,
  protection_target: 0.8,
  k_erode: 0.4,
  k_coh: 0.3,
  noise: 0.02,
  gamma: 0.6,
  tau: 0.8,
  rho: 0.5,
  initial_stress: 0.1,
  initial_protection: 0.8,
  initial_coherence: 0.5,
  strained: 0.4,
  critical: 0.7,
  breached: 0.5,
});

type ParamName = keyof StressProtectionParams;
type Range = 'rate' | 'unit' | 'unit_open';
const RANGES: Readonly<Record<ParamName, Range>> = {
  k_load: 'rate',
  k_relax: 'rate',
  k_recover: 'rate',
  k_erode: 'rate',
  k_coh: 'rate',
  noise: 'rate',
  protection_target: 'unit',
  gamma: 'unit',
  tau: 'unit_open',
  rho: 'unit',
  initial_stress: 'unit',
  initial_protection: 'unit',
  initial_coherence: 'unit',
  strained: 'unit',
  critical: 'unit',
  breached: 'unit',
};

/** Defaults overlaid with `params`, checked: rates and η ≥ 0, τ ∈ [0, 1), the rest in [0, 1], strained ≤ critical. */
export function resolveStressProtectionParams(params: Readonly<Record<string, unknown>> | undefined, modelId = 'stress_protection_v1'): StressProtectionParams {
  const out: StressProtectionParams = { ...STRESS_PROTECTION_DEFAULTS };
  if (params === undefined) return out;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw simulationError('simulation.params', 'must be an object of numbers');
  const known = Object.keys(RANGES);
  for (const [key, value] of Object.entries(params)) {
    const field = `simulation.params.${key}`;
    if (!Object.hasOwn(RANGES, key)) throw simulationError(field, `is not a parameter of model ${modelId}; known: ${known.join(', ')}`);
    const range = RANGES[key as ParamName];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw simulationError(field, `= ${String(value)} must be a finite number`);
    if (range === 'rate' && value < 0) throw simulationError(field, `= ${value} must be >= 0`);
    if (range === 'unit' && !(value >= 0 && value <= 1)) throw simulationError(field, `= ${value} must be in [0, 1]`);
    if (range === 'unit_open' && !(value >= 0 && value < 1)) throw simulationError(field, `= ${value} must be in [0, 1)`);
    out[key as ParamName] = value;
  }
  if (out.strained > out.critical) throw simulationError('simulation.params.strained', `= ${out.strained} must not exceed simulation.params.critical = ${out.critical}`);
  return out;
}

/** Load L_eff, R̄ and the counts of §7 for the active patterns. */
export function stressProtectionDrive(patterns: ActivePatterns, p: StressProtectionParams): PatternDrive {
  const { anomaly, reflexivity } = patterns;
  const n = anomaly.length;
  let survive = 1; // Πᵢ (1 − eᵢ)
  let eSum = 0;
  let eReflexSum = 0;
  let reflexSum = 0;
  let nAnomalous = 0;
  for (let i = 0; i < n; i++) {
    const a = anomaly[i]!;
    const r = reflexivity[i]!;
    reflexSum += r;
    if (a >= p.tau) nAnomalous++;
    const e = (p.gamma * Math.max(0, a - p.tau)) / (1 - p.tau);
    survive *= 1 - e;
    eSum += e;
    eReflexSum += e * r;
  }
  const load = 1 - survive;
  const reflexiveAnomaly = eSum > 0 ? eReflexSum / eSum : 0; // R̄_e
  return { load: load * (1 - p.rho * reflexiveAnomaly), meanReflexivity: n > 0 ? reflexSum / n : 0, nPatterns: n, nAnomalous };
}

/**
 * One Euler–Maruyama step of §7. Every right-hand side reads the state at t
 * (a simultaneous update), so the order of the three lines does not matter.
 */
export function stressProtectionUpdate(state: ModelState, drive: PatternDrive, p: StressProtectionParams, dt: number, xi: number): ModelState {
  const { stress: s, protection: P, coherence: c } = state;
  const stress = clip01(s + (p.k_load * drive.load * (1 - s) - p.k_relax * P * s) * dt + p.noise * Math.sqrt(dt) * xi);
  const protection = clip01(P + (p.k_recover * (p.protection_target - P) - p.k_erode * s * P) * dt);
  const coherence = clip01(c + p.k_coh * ((1 - s) * (0.5 + 0.5 * drive.meanReflexivity) - c) * dt);
  return { stress, protection, coherence };
}

export function clip01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** The registry hands a model back the params its own resolveParams made: here a StressProtectionParams. */
function asStressProtection(params: ModelParams): StressProtectionParams {
  return params as StressProtectionParams;
}

export const stressProtectionV1: LayerModel = {
  id: 'stress_protection_v1',
  defaults: STRESS_PROTECTION_DEFAULTS,
  resolveParams: (params) => resolveStressProtectionParams(params),
  initialState: (params) => {
    const p = asStressProtection(params);
    return { stress: p.initial_stress, protection: p.initial_protection, coherence: p.initial_coherence };
  },
  drive: (patterns, params) => stressProtectionDrive(patterns, asStressProtection(params)),
  update: (state, drive, params, dt, xi) => stressProtectionUpdate(state, drive, asStressProtection(params), dt, xi),
  macroState: (state, drive, params) => ({
    regime: classifyRegime(state.stress, state.protection, asStressProtection(params)),
    coherence: state.coherence,
    load: drive.load,
    n_patterns: drive.nPatterns,
    n_anomalous: drive.nAnomalous,
  }),
};

// ---- registry ----

const MODELS = new Map<string, LayerModel>([[stressProtectionV1.id, stressProtectionV1]]);

/** Adds a model under its id; an id already taken is an error. */
export function registerLayerModel(model: LayerModel): void {
  if (MODELS.has(model.id)) throw new MaasflowError('CONFIG', `registerLayerModel: model_id ${JSON.stringify(model.id)} is already registered`);
  MODELS.set(model.id, model);
}

export function layerModel(modelId: string): LayerModel {
  const model = MODELS.get(modelId);
  if (model === undefined) throw simulationError('simulation.model_id', `= ${JSON.stringify(modelId)} is not a known model; known: ${layerModelIds().join(', ')}`);
  return model;
}

export function layerModelIds(): string[] {
  return [...MODELS.keys()].sort();
}
