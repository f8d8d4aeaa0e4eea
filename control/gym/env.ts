/**
 * A gym-style environment over the Tuner: the state is the active parameter
 * version, an action changes it through the Tuner (the one way parameters
 * change), and the reward is Q(θ) as the Teacher measures it on the synthetic
 * world's traffic under that version, not the closed form. Each episode runs
 * in its own folder (control DB, sensor DB, parameter file) under `dir`, so
 * the same seed replays the same episode bit for bit.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { MaasflowError } from '../../engine/errors.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import { withSensorDb } from '../../operators/sensor/history.ts';
import { acquireInstance, type InstanceLease } from '../../sinks/duckdb/instances.ts';
import { DEFAULT_GOAL } from '../manager/goals.ts';
import { evaluateObserved, type Evaluation, type Figures } from '../manager/objective.ts';
import { LADDERS, move, type Factor } from '../manager/search-space.ts';
import { aggregateMetrics } from '../teacher/metrics.ts';
import type { MetricName } from '../teacher/catalogue.ts';
import { Tuner, type ChangeContext } from '../tuner/tuner.ts';
import type { Goal } from '../types.ts';
import { expectedEvaluation, poorParams } from '../world/closed-form.ts';
import { SyntheticWorld } from '../world/synthetic.ts';

/** The deliberately poor start of `npm start` (config/params-poor.json): feasible, Q ≈ 0.12 of ≈ 0.89 reachable. */
export const GYM_START: MaasParams = Object.freeze(poorParams());

export type GymGoal = Omit<Goal, 'updated_at'>;

export interface TunerEnvOptions {
  /** Episodes live in fresh sub-folders of this one (each removed when the next starts or the env closes). */
  dir: string;
  /** What Q means and which factors the Tuner lets the env touch (default DEFAULT_GOAL). */
  goal?: GymGoal;
  /** Simulated runs measured after each change (default 200). */
  runsPerStep?: number;
  /** The factors `{ factor, steps }` actions may move (default: the goal's allowed factors). */
  factors?: readonly Factor[];
  /** Parameters an episode starts from (default GYM_START). */
  start?: MaasParams;
  /** Steps after which `done` is true (default 30). */
  maxSteps?: number;
}

/** Move a factor along its ladder, set parameters directly, or undo the last activation (Tuner.rollback). */
export type Action = { factor: Factor; steps: number } | { params: Partial<MaasParams> } | { rollback: true };

/** What the env shows after a reset: the start version and its measured reward. */
export interface Observation {
  state: MaasParams;
  version: string;
  /** Q of the Teacher's figures for this version's traffic (0 when a primary metric had no data; see violations). */
  reward: number;
  feasible: boolean;
  metrics: Figures;
  step: number;
}

export interface StepInfo {
  step: number;
  /** The active parameter version after the step. */
  version: string;
  /** Runs measured in this step (0 when refused). */
  runs: number;
  violations: string[];
  /** The sensor's ended_at range of this step's traffic (epoch ms, [from, to)); null when refused. */
  traffic: { from: number; to: number } | null;
}

export interface StepResult {
  state: MaasParams;
  reward: number;
  feasible: boolean;
  metrics: Figures;
  done: boolean;
  /** Why the action changed nothing (guard error, move past a ladder end, nothing to roll back); null when applied. */
  refused: string | null;
  info: StepInfo;
}

interface Measured {
  reward: number;
  feasible: boolean;
  metrics: Figures;
  violations: string[];
}

/** One episode's resources: its own control DB, sensor DB and parameter file. */
interface Episode {
  dir: string;
  seed: number;
  step: number;
  lease: InstanceLease;
  conn: DuckDBConnection;
  tuner: Tuner;
  world: SyntheticWorld;
  last: Measured;
}

const INITIATOR = 'gym';

export class TunerEnv {
  readonly goal: Goal;
  readonly factors: readonly Factor[];
  readonly runsPerStep: number;
  readonly maxSteps: number;
  private readonly start: MaasParams;
  private episode: Episode | null = null;

  private constructor(
    private readonly dir: string,
    o: TunerEnvOptions,
  ) {
    this.goal = { ...(o.goal ?? DEFAULT_GOAL), updated_at: 0 };
    this.factors = o.factors ?? this.goal.allowed_factors;
    this.runsPerStep = o.runsPerStep ?? 200;
    this.maxSteps = o.maxSteps ?? 30;
    this.start = o.start ?? GYM_START;
  }

  static async open(o: TunerEnvOptions): Promise<TunerEnv> {
    const unknown = (o.factors ?? []).filter((f) => !Object.hasOwn(LADDERS, f));
    if (unknown.length > 0) throw new MaasflowError('CONFIG', `gym: unknown factor(s) ${unknown.join(', ')} (known: ${Object.keys(LADDERS).join(', ')})`);
    for (const [name, v, min] of [['runsPerStep', o.runsPerStep, 1], ['maxSteps', o.maxSteps, 1]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new MaasflowError('CONFIG', `gym: ${name} must be an integer ≥ ${min}, got ${v}`);
    }
    fs.mkdirSync(o.dir, { recursive: true });
    return new TunerEnv(path.resolve(o.dir), o);
  }

  /** A fresh episode from `start` (default: the env's start): new stores, the start version measured as step 0. */
  async reset(seed: number, start: MaasParams = this.start): Promise<Observation> {
    if (!Number.isInteger(seed)) throw new MaasflowError('CONFIG', `gym: seed must be an integer, got ${seed}`);
    await this.closeEpisode();
    const dir = fs.mkdtempSync(path.join(this.dir, 'episode-'));
    const paramsFile = path.join(dir, 'params.json');
    fs.writeFileSync(paramsFile, JSON.stringify({ version: 'start', params: start }));
    const lease = await acquireInstance(path.join(dir, 'control.duckdb'), 'gym');
    const conn = await lease.instance.connect();
    // a virtual clock: the Tuner's timestamps are part of the episode, not of the wall
    let clock = Date.UTC(2026, 0, 1);
    const tuner = await Tuner.open(conn, { paramsFile, now: () => (clock += 1000) });
    const world = await SyntheticWorld.open({ sensorFile: path.join(dir, 'sensor.duckdb'), paramsFile });
    const ep: Episode = { dir, seed, step: 0, lease, conn, tuner, world, last: { reward: 0, feasible: false, metrics: {}, violations: [] } };
    this.episode = ep;
    const { measured } = await this.measure(ep);
    const active = await tuner.active();
    return { state: active.params, version: active.version, reward: measured.reward, feasible: measured.feasible, metrics: measured.metrics, step: 0 };
  }

  /** Applies the action through the Tuner and measures the new version; a refused action changes nothing and repeats the last reward. */
  async step(action: Action): Promise<StepResult> {
    const ep = this.episode;
    if (!ep) throw new MaasflowError('RUNTIME', 'gym: step before reset');
    ep.step++;
    const refused = await this.apply(ep, action);
    const active = await ep.tuner.active();
    const done = ep.step >= this.maxSteps;
    if (refused !== null) {
      const l = ep.last;
      return { state: active.params, reward: l.reward, feasible: l.feasible, metrics: l.metrics, done, refused, info: { step: ep.step, version: active.version, runs: 0, violations: l.violations, traffic: null } };
    }
    const { measured, runs, traffic } = await this.measure(ep);
    return { state: active.params, reward: measured.reward, feasible: measured.feasible, metrics: measured.metrics, done, refused: null, info: { step: ep.step, version: active.version, runs, violations: measured.violations, traffic } };
  }

  /** The episode's Tuner (versions, audit) for inspection; acting on it directly bypasses the env's bookkeeping. */
  get tuner(): Tuner {
    if (!this.episode) throw new MaasflowError('RUNTIME', 'gym: no episode (call reset first)');
    return this.episode.tuner;
  }

  /** Q and feasibility of `params` in closed form (the surface's expectations): for analysis, never the reward. */
  expectedReward(params: MaasParams): Evaluation {
    return expectedReward(this.goal, params);
  }

  async close(): Promise<void> {
    await this.closeEpisode();
  }

  /** Runs the action through the Tuner; the reason when it was refused, else null. */
  private async apply(ep: Episode, action: Action): Promise<string | null> {
    const ctx: ChangeContext = { initiator: INITIATOR, reason: `gym step ${ep.step}: ${describeAction(action)}`, allowed: this.goal.allowed_factors };
    try {
      if ('rollback' in action) {
        await ep.tuner.rollback(ctx);
        return null;
      }
      const active = (await ep.tuner.active()).params;
      let changes: Partial<MaasParams>;
      if ('factor' in action) {
        if (!this.factors.includes(action.factor)) return `${action.factor} is not in the action space (${this.factors.join(', ')})`;
        if (!Number.isInteger(action.steps) || action.steps === 0) return `steps must be a non-zero integer, got ${action.steps}`;
        const to = move(action.factor, active[action.factor], action.steps);
        if (to === null) return `${action.factor} ${JSON.stringify(active[action.factor])} moved ${action.steps} step(s) is past the end of its ladder [${LADDERS[action.factor].join(', ')}]`;
        changes = { [action.factor]: to };
      } else {
        changes = action.params;
      }
      if (Object.entries(changes).every(([k, v]) => (active as unknown as Record<string, unknown>)[k] === v)) return 'no change: the parameters are already active';
      const v = await ep.tuner.createVersion(changes, ctx);
      await ep.tuner.activate(v.version, ctx);
      return null;
    } catch (err) {
      // guard refusals and "nothing to roll back to" are the env's refused actions; anything else is a fault
      if (err instanceof MaasflowError && (err.code === 'PARAM_GUARD' || err.code === 'CONFLICT')) return err.message;
      throw err;
    }
  }

  /** Sends this step's traffic under the active version and reads the Teacher's figures of exactly those runs. */
  private async measure(ep: Episode): Promise<{ measured: Measured; runs: number; traffic: { from: number; to: number } }> {
    const active = await ep.tuner.active();
    const t = await ep.world.run({ cycle: ep.step, cycleType: 'micro', runs: this.runsPerStep, seed: ep.seed });
    const [row] = await withSensorDb(ep.world.sensorFile, (conn) => aggregateMetrics(conn, { from: t.from, to: t.to, paramVersion: active.version }));
    const observed = row?.metrics ?? {};
    const e = evaluateObserved(this.goal, observed);
    const metrics: Figures = {};
    for (const [m, v] of Object.entries(observed)) metrics[m as MetricName] = v?.value ?? null;
    const violations = e.q === null ? [...e.violations, 'Q: a primary metric has no data'] : e.violations;
    ep.last = { reward: e.q ?? 0, feasible: e.feasible && e.q !== null, metrics, violations };
    return { measured: ep.last, runs: row?.runs ?? 0, traffic: { from: t.from, to: t.to } };
  }

  private async closeEpisode(): Promise<void> {
    const ep = this.episode;
    if (!ep) return;
    this.episode = null;
    await ep.world.close();
    ep.conn.closeSync();
    ep.lease.release();
    fs.rmSync(ep.dir, { recursive: true, force: true });
  }
}

/** Q and feasibility of `params` under the synthetic surface's expected metrics. */
/** Q of a version under the surface's expected metrics (closed form, for analysis). */
export const expectedReward = (goal: GymGoal, params: MaasParams): Evaluation => expectedEvaluation(goal, params);

export function describeAction(a: Action): string {
  if ('rollback' in a) return 'rollback';
  if ('factor' in a) return `${a.factor} ${a.steps > 0 ? '+' : ''}${a.steps}`;
  return `set ${Object.entries(a.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`;
}
