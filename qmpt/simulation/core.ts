/**
 * The layer simulation (seed 000 §6.1, docs/QMPT.md §7):
 * S_k(t + Δt) = F(S_k(t), {Ψ}, interventions), stepped from 0 to t_end by
 * dt. The model (model.ts) is pure; this runner owns the time grid, the
 * noise generator, the pattern set and the intervention schedule.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { Rng } from '../random.ts';
import type { Intervention, Layer, LayerState, Pattern, SimulationConfig } from '../types.ts';
import { ActivePatternSet, applyInterventions, roundTime, scheduleInterventions, type InterventionRecord, type ScheduledIntervention } from './interventions.ts';
import { layerModel, simulationError, type ActivePatterns, type LayerModel, type ModelParams, type ModelState, type PatternDrive } from './model.ts';
import { buildScenario } from './scenarios.ts';

/** round(t_end/dt) above this is a configuration mistake. */
const MAX_STEPS = 1_000_000;

export interface SimulationRunnerOptions {
  config: SimulationConfig;
  /** Its `patterns` are the ids acting at t = 0; run() stores the trajectory in it. */
  layer: Layer;
  /** Every pattern of the layer, scored (anomaly_score and reflexivity set). */
  patterns: ReadonlyMap<string, Pattern>;
  /** Default: config.interventions. */
  interventions?: readonly Intervention[];
}

/** t_i = i·dt, computed (not accumulated) and rounded to 1e-9. */
export function gridTime(i: number, dt: number): number {
  return roundTime(i * dt);
}

export class SimulationRunner {
  readonly config: SimulationConfig;
  readonly layer: Layer;
  readonly model: LayerModel;
  readonly params: ModelParams;
  /** round(t_end / dt): the trajectory has steps + 1 states. */
  readonly steps: number;
  private readonly initialPatterns: { id: string; anomaly: number; reflexivity: number }[];
  private readonly schedule: ScheduledIntervention[];
  private rng!: Rng;
  private patterns!: ActivePatternSet;
  private nextIntervention = 0;
  private drivenBy: ActivePatterns | null = null;
  private drive!: PatternDrive;

  constructor(options: SimulationRunnerOptions) {
    const { config, layer, patterns } = options;
    if (config === null || typeof config !== 'object') throw simulationError('simulation', 'must be a simulation configuration');
    this.config = config;
    this.layer = layer;
    const { dt, t_end: tEnd } = config;
    if (typeof dt !== 'number' || !Number.isFinite(dt) || !(dt > 0)) throw simulationError('simulation.dt', `= ${String(dt)} must be a finite number > 0`);
    if (typeof tEnd !== 'number' || !Number.isFinite(tEnd) || !(tEnd > 0)) throw simulationError('simulation.t_end', `= ${String(tEnd)} must be a finite number > 0`);
    this.steps = Math.round(tEnd / dt);
    if (this.steps < 1) throw simulationError('simulation.t_end', `= ${tEnd} is shorter than half a step (dt = ${dt}); no step would run`);
    if (this.steps > MAX_STEPS) throw simulationError('simulation.t_end', `= ${tEnd} over dt = ${dt} gives ${this.steps} steps; at most ${MAX_STEPS}`);
    if (typeof config.seed !== 'number' || !Number.isFinite(config.seed)) throw simulationError('simulation.seed', `= ${String(config.seed)} must be a finite number`);
    this.model = layerModel(config.model_id);
    this.params = this.model.resolveParams(config.params);
    if (layer === null || typeof layer !== 'object' || !Array.isArray(layer.patterns)) throw simulationError('layer', 'must be a Layer { layer_id, patterns, ... }');
    if (layer.layer_id !== config.layer_id) throw simulationError('simulation.layer_id', `= ${JSON.stringify(config.layer_id)} differs from the layer's layer_id ${JSON.stringify(layer.layer_id)}`);
    this.initialPatterns = scoredPatterns(layer, patterns);
    this.schedule = scheduleInterventions(options.interventions ?? config.interventions ?? [], {
      initialPatternIds: this.initialPatterns.map((p) => p.id),
      lastStepTime: gridTime(this.steps - 1, dt),
    });
    this.reset();
  }

  /** The state at t = 0: the model's initial σ, P, c under the layer's own patterns (no intervention yet). */
  initialState(): LayerState {
    const state = this.model.initialState(this.params);
    const drive = this.model.drive(new ActivePatternSet(this.initialPatterns).active(), this.params);
    return { t: 0, stress: state.stress, protection: state.protection, macro_state: { ...this.model.macroState(state, drive, this.params) } };
  }

  /**
   * The state at t + dt from `state` at t: first the interventions due (the
   * first step with t ≥ their time), then F with one normal draw. step()
   * advances the runner's generator (one draw per step, even with η = 0, so
   * runs that differ only in η share their ξ) and its intervention schedule:
   * given the runner's position it is deterministic.
   */
  step(state: LayerState, t: number): LayerState {
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new MaasflowError('RUNTIME', `SimulationRunner.step: t = ${String(t)} must be a finite number`);
    let current = modelState(state);
    const due: ScheduledIntervention[] = [];
    const now = roundTime(t);
    while (this.nextIntervention < this.schedule.length && this.schedule[this.nextIntervention]!.t <= now) due.push(this.schedule[this.nextIntervention++]!);
    let records: InterventionRecord[] = [];
    if (due.length > 0) ({ state: current, records } = applyInterventions(current, due, this.patterns));
    const active = this.patterns.active();
    if (active !== this.drivenBy) {
      this.drive = this.model.drive(active, this.params);
      this.drivenBy = active;
    }
    const xi = this.rng.normal();
    const next = this.model.update(current, this.drive, this.params, this.config.dt, xi);
    const macro: Record<string, unknown> = { ...this.model.macroState(next, this.drive, this.params) };
    if (records.length > 0) macro.interventions = records;
    return { t: this.nextTime(t), stress: next.stress, protection: next.protection, macro_state: macro };
  }

  /** The whole trajectory from a fresh generator and pattern set (so run() twice gives the same); also stored as layer.state_trajectory. */
  run(): LayerState[] {
    this.reset();
    const trajectory = new Array<LayerState>(this.steps + 1);
    let state = this.initialState();
    trajectory[0] = state;
    for (let i = 0; i < this.steps; i++) {
      state = this.step(state, gridTime(i, this.config.dt));
      trajectory[i + 1] = state;
    }
    this.layer.state_trajectory = trajectory;
    return trajectory;
  }

  private reset(): void {
    this.rng = new Rng(this.config.seed);
    this.patterns = new ActivePatternSet(this.initialPatterns);
    this.nextIntervention = 0;
    this.drivenBy = null;
  }

  /** The grid time after t when t is on the grid (no drift), else t + dt rounded. */
  private nextTime(t: number): number {
    const { dt } = this.config;
    const i = Math.round(t / dt);
    return Math.abs(gridTime(i, dt) - t) < 1e-9 ? gridTime(i + 1, dt) : roundTime(t + dt);
  }
}

/** The layer's patterns with their Â and R̂_norm; a missing or unscored one is an error naming it. */
function scoredPatterns(layer: Layer, patterns: ReadonlyMap<string, Pattern>): { id: string; anomaly: number; reflexivity: number }[] {
  const seen = new Set<string>();
  return layer.patterns.map((id, i) => {
    if (seen.has(id)) throw simulationError(`layer.patterns[${i}]`, `= ${JSON.stringify(id)} is listed twice`);
    seen.add(id);
    const p = patterns.get(id);
    if (p === undefined) throw simulationError(`layer.patterns[${i}]`, `= ${JSON.stringify(id)} is not among the ${patterns.size} given patterns`);
    for (const key of ['anomaly_score', 'reflexivity'] as const) {
      const v = p[key];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new MaasflowError('RECORD_VALIDATE', `pattern ${JSON.stringify(id)}: ${key} = ${String(v)} must be a number in [0, 1]; the simulation needs every pattern scored`, { location: { path: `/patterns/${id}/${key}` } });
      }
    }
    return { id, anomaly: p.anomaly_score!, reflexivity: p.reflexivity! };
  });
}

function modelState(state: LayerState): ModelState {
  if (state === null || typeof state !== 'object') throw new MaasflowError('RUNTIME', 'SimulationRunner.step: state must be a LayerState');
  const coherence = state.macro_state?.coherence;
  const check = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new MaasflowError('RUNTIME', `SimulationRunner.step: state.${field} = ${String(v)} must be a number in [0, 1]`);
    return v;
  };
  return { stress: check('stress', state.stress), protection: check('protection', state.protection), coherence: check('macro_state.coherence', coherence) };
}

export interface SimulationResult {
  layer: Layer;
  patterns: Map<string, Pattern>;
  trajectory: LayerState[];
}

/**
 * Runs `config`: on `given.patterns` (the ones of config.layer_id, or
 * `given.layer`'s) when given, else on the layer config.scenario builds.
 */
export function simulate(config: SimulationConfig, given: { layer?: Layer; patterns?: ReadonlyMap<string, Pattern> } = {}): SimulationResult {
  let layer: Layer;
  let patterns: Map<string, Pattern>;
  if (given.patterns !== undefined) {
    patterns = new Map(given.patterns);
    layer = given.layer ?? layerOf(config.layer_id, patterns);
  } else if (given.layer !== undefined) {
    throw simulationError('patterns', `are required with a given layer (${JSON.stringify(given.layer.layer_id)})`);
  } else if (config.scenario !== undefined) {
    ({ layer, patterns } = buildScenario(config.scenario, config.layer_id));
  } else {
    throw simulationError('simulation.scenario', 'is required when no patterns are given');
  }
  const trajectory = new SimulationRunner({ config, layer, patterns }).run();
  return { layer, patterns, trajectory };
}

function layerOf(layerId: string, patterns: ReadonlyMap<string, Pattern>): Layer {
  const ids = [...patterns].filter(([, p]) => p.layer_id === layerId).map(([id]) => id);
  if (ids.length === 0 && patterns.size > 0) throw simulationError('simulation.layer_id', `= ${JSON.stringify(layerId)}: none of the ${patterns.size} given patterns belongs to this layer`);
  return { layer_id: layerId, description: '', patterns: ids, state_trajectory: [] };
}
