/**
 * The Manager: runs the self-learning cycles over a world (docs/CONTROL.md)
 * and is the control plane the HTTP API and dashboard use.
 *
 * - micro: traffic on the active version only; its figures, the degradation
 *   watch (an alert on the active version rolls it back through the Tuner).
 * - macro: an exploration experiment (explorer.ts), a confirmation when
 *   several moves won, the Teacher's verdicts, and the adoption of the best
 *   feasible version: activated through the Tuner, or left for a person's
 *   approval when it changes a factor the goal marks approval-required.
 * - deep: a macro cycle with doubled steps that also ranks each factor's
 *   sensitivity; the ranking orders the factors of later explorations.
 *
 * Everything acts through the Tuner (parameter store and file) and the
 * world's traffic; nothing reaches into the pipeline's operators.
 */
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import { withSensorDb } from '../../operators/sensor/history.ts';
import { acquireInstance, type InstanceLease } from '../../sinks/duckdb/instances.ts';
import type { ControlPlane, ExperimentInfo } from '../../server/control-plane.ts';
import { analyzeExperiment, type ExperimentResult } from '../teacher/analyze.ts';
import type { MetricName } from '../teacher/catalogue.ts';
import { parseExperimentSpec, type ExperimentSpec } from '../teacher/experiment-spec.ts';
import { aggregateMetrics, type AggregateRow, type RunFilter } from '../teacher/metrics.ts';
import { saveExperimentResult } from '../teacher/results-store.ts';
import { changedFactors } from '../tuner/guards.ts';
import type { StoredExperiment } from '../tuner/store.ts';
import { Tuner } from '../tuner/tuner.ts';
import type { Approval, ArmOutcome, CycleRecord, CycleType, DegradationAlert, Goal, Initiator, LiveMetrics, ParameterVersion, SensitivityRanking } from '../types.ts';
import type { TrafficResult, World } from '../world/world.ts';
import { combine, explorationArms, qToBeat, readExploration, type ArmPlan, type Steps } from './explorer.ts';
import { DEFAULT_GOAL, GoalStore, parseGoal } from './goals.ts';
import { ManagerStore } from './manager-store.ts';
import { evaluateObserved } from './objective.ts';
import { exportControlMetrics } from './metrics-source.ts';
import { readReport } from './report-files.ts';
import { writeCycleReport } from './report.ts';
import type { Factor } from './search-space.ts';
import { rankFromArms } from './sensitivity.ts';

export interface ManagerOptions {
  world: World;
  /** control.duckdb: versions, audit, experiments, goals, cycles, approvals, verdicts. */
  controlFile: string;
  /** Where cycle reports go (default: next to controlFile, reports/). */
  reportsDir?: string;
  /** The goal used when the control database has none yet (default DEFAULT_GOAL). */
  goal?: Omit<Goal, 'updated_at'>;
  /** Activate approval-required changes without waiting for a person (scripts, tests). */
  autoApprove?: boolean;
  /** Traffic per arm of an experiment and of a micro cycle, in the world's units (runs or dialogues). */
  runsPerArm?: number;
  microRuns?: number;
  /** Most variants an exploration tries (default 14: both moves of the default goal's 7 factors; the experiment spec allows 16). */
  maxVariants?: number;
  /** Smallest gain in Q that counts as better (default 0.005). */
  minGain?: number;
  /** A confirmed gain must also pass this many standard errors of the Q difference (default 0.5). */
  gainSe?: number;
  /** Bootstrap resamples of the Teacher's intervals (default 500). */
  resamples?: number;
  seed?: number;
  now?: () => number;
  /** One line per step of a cycle (progress on the terminal). */
  log?: (line: string) => void;
}

interface ExperimentRun {
  spec: ExperimentSpec;
  experiment: StoredExperiment;
  result: ExperimentResult;
  outcomes: Map<string, ArmOutcome>;
  traffic: TrafficResult;
}

export class Manager implements ControlPlane {
  private steps: Steps = {};
  /** Factors the last exploration could not improve: the next one tries them in pairs. */
  private stuck: Factor[] = [];
  /** Factors the last exploration moved: with fewer variants than moves, the others go first next time. */
  private explored = new Set<Factor>();
  /** Factor order of explorations: the latest sensitivity ranking of Q (allowed-factor order until a deep cycle ran). */
  private order: Factor[] | null = null;
  private running: Promise<CycleRecord> | null = null;
  /** The running cycle's number and the switch that stops its traffic. */
  private current: { cycle: number; abort: AbortController } | null = null;
  private readonly listeners = new Set<(m: LiveMetrics) => void>();
  private latest: LiveMetrics | null = null;
  private readonly o: Required<Omit<ManagerOptions, 'goal' | 'log' | 'now'>> & Pick<ManagerOptions, 'log'>;
  private readonly now: () => number;
  private readonly unexport: () => void;

  private constructor(
    private readonly world: World,
    private readonly lease: InstanceLease,
    private readonly conn: DuckDBConnection,
    readonly tuner: Tuner,
    private readonly goalStore: GoalStore,
    private readonly store: ManagerStore,
    o: ManagerOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.o = {
      world: o.world,
      controlFile: o.controlFile,
      reportsDir: o.reportsDir ?? path.join(path.dirname(o.controlFile), 'reports'),
      autoApprove: o.autoApprove ?? false,
      runsPerArm: o.runsPerArm ?? 600,
      microRuns: o.microRuns ?? 600,
      maxVariants: Math.min(16, o.maxVariants ?? 14),
      minGain: o.minGain ?? 0.005,
      gainSe: o.gainSe ?? 0.5,
      resamples: o.resamples ?? 500,
      seed: o.seed ?? 1,
      log: o.log,
    };
    this.unexport = exportControlMetrics(this);
  }

  static async open(o: ManagerOptions): Promise<Manager> {
    const lease = await acquireInstance(o.controlFile, 'manager');
    const conn = await lease.instance.connect();
    try {
      const now = (o.now ?? Date.now)();
      const tuner = await Tuner.open(conn, { paramsFile: o.world.paramsFile, now: o.now });
      const goals = await GoalStore.open(conn, o.goal ?? DEFAULT_GOAL, now);
      return new Manager(o.world, lease, conn, tuner, goals, await ManagerStore.open(conn), o);
    } catch (err) {
      conn.closeSync();
      lease.release();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    this.unexport();
    this.conn.closeSync();
    this.lease.release();
  }

  /** Runs the cycles in order (a schedule), each after the previous one finished. */
  async runSchedule(types: readonly CycleType[], by: Initiator = 'manager'): Promise<CycleRecord[]> {
    const out: CycleRecord[] = [];
    for (const t of types) out.push(await this.cycles.run(t, by));
    return out;
  }

  // ---- ControlPlane ----

  readonly experiments: ControlPlane['experiments'] = {
    list: async () => (await this.tuner.experiments()).map(info),
    create: async (raw, by) => {
      const spec = parseSpec(raw);
      return info(await this.tuner.prepareExperiment(spec, { initiator: by, reason: `created by ${by}` }));
    },
    start: async (id, by) => info(await this.tuner.startExperiment(id, { initiator: by, reason: `started by ${by}` })),
    stop: async (id, by, reason) => info(await this.tuner.stopExperiment(id, { initiator: by, reason })),
    results: async (id) => {
      const e = await this.tuner.experiment(id);
      return this.analyze({ ...e.spec, file: `experiment ${id}` }, (await this.tuner.version(e.arm_versions[e.spec.baseline.name]!)).params);
    },
  };

  readonly parameters: ControlPlane['parameters'] = {
    list: () => this.tuner.versions(),
    activate: (version, by, reason) => this.tuner.activate(version, { initiator: by, reason }),
    rollback: (by, reason) => this.tuner.rollback({ initiator: by, reason }),
    audit: () => this.tuner.audit(),
  };

  readonly goals: ControlPlane['goals'] = {
    get: () => this.goalStore.current(),
    set: async (raw, by) => this.goalStore.set(parseGoal(raw, 'goal', this.now()), by),
  };

  readonly approvals: ControlPlane['approvals'] = {
    list: () => this.store.approvals(),
    decide: async (id, decision, by, comment) => {
      const a = await this.store.approval(id);
      if (!a) throw new MaasflowError('NOT_FOUND', `no approval "${id}"`);
      if (a.status !== 'pending') throw new MaasflowError('CONFLICT', `approval ${id} is already ${a.status}`);
      if (decision === 'approve') {
        const active = await this.tuner.active();
        if (active.version !== a.from_version) throw new MaasflowError('CONFLICT', `approval ${id} changes ${a.from_version}, but ${active.version} is active now; reject it and let the next cycle propose again`);
        await this.tuner.activate(a.version, { initiator: by, reason: `approval ${id}: ${a.reason}` });
      }
      const decided: Approval = { ...a, status: decision === 'approve' ? 'approved' : 'rejected', decided_at: this.now(), decided_by: by, comment };
      await this.store.saveApproval(decided);
      return decided;
    },
  };

  readonly reports: ControlPlane['reports'] = {
    list: () => this.store.reports(),
    get: async (cycle) => {
      const found = (await this.store.reports()).find((r) => r.cycle === cycle);
      if (!found) throw new MaasflowError('NOT_FOUND', `no report for cycle ${cycle}`);
      return { info: found, ...readReport(found) };
    },
  };

  readonly cycles: ControlPlane['cycles'] = {
    list: () => this.store.cycles(),
    run: (type, by) => {
      if (this.running) return Promise.reject(new MaasflowError('CONFLICT', 'a cycle is already running; wait for it to finish'));
      // set before the cycle's first await, so a stop right after run() is not lost
      this.current = { cycle: 0, abort: new AbortController() };
      const run = this.cycle(type, by).finally(() => {
        this.running = null;
        this.current = null;
      });
      this.running = run;
      return run;
    },
    stop: async (by, reason) => {
      const current = this.current;
      if (!current || current.abort.signal.aborted) throw new MaasflowError('CONFLICT', 'no cycle is running');
      current.abort.abort(new CycleStopped(`stopped by ${by}: ${reason}`));
      return { cycle: current.cycle };
    },
  };

  readonly live: ControlPlane['live'] = {
    snapshot: async () => this.latest ?? { at: this.now(), cycle: 0, active_version: (await this.tuner.active()).version, runs: 0, metrics: {}, q: null },
    subscribe: (listener) => {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    },
  };

  // ---- cycles ----

  private async cycle(type: CycleType, by: Initiator): Promise<CycleRecord> {
    const cycle = await this.store.nextCycle();
    const goal = await this.goalStore.current();
    const before = await this.tuner.active();
    const record: CycleRecord = { cycle, type, started_at: this.now(), ended_at: 0, active_before: before.version, active_after: before.version, experiment_id: null, arms: [], verdict: null, decisions: [], alerts: [], approvals_opened: [], sensitivity: null };
    this.say(`cycle ${cycle} (${type}, by ${by}): active ${before.version}`);
    this.current!.cycle = cycle;
    try {
      if (type === 'micro') await this.micro(record, goal, before);
      else await this.explore(record, goal, before, type === 'deep');
    } catch (err) {
      if (!(err instanceof CycleStopped)) throw err;
      record.decisions.push(`${err.message}; the cycle ended without adopting anything`);
    }
    record.active_after = (await this.tuner.active()).version;
    record.ended_at = this.now();
    await this.store.saveCycle(record);
    await this.report(record, goal);
    for (const d of record.decisions) this.say(`  ${d}`);
    return record;
  }

  private async micro(record: CycleRecord, goal: Goal, active: ParameterVersion): Promise<void> {
    const traffic = await this.traffic(record, this.o.microRuns);
    const [row] = await this.figures({ from: traffic.from, to: traffic.to, paramVersion: active.version }, []);
    const outcome = this.outcome('active', active.version, row, goal);
    record.arms.push(outcome);
    record.decisions.push(`active ${active.version}: Q ${fmtQ(outcome.q)} over ${outcome.runs} runs${outcome.feasible ? '' : `; constraints broken: ${outcome.violations.join('; ')}`}`);
    await this.publish(record.cycle, active.version, outcome);
    await this.handleAlerts(record, traffic.alerts);
  }

  private async explore(record: CycleRecord, goal: Goal, active: ParameterVersion, deep: boolean): Promise<void> {
    const factors = this.factorOrder(goal);
    const arms = explorationArms(active.params, factors, this.steps, this.o.maxVariants, deep ? 2 : 1, this.stuck);
    this.explored = new Set(arms.flatMap((a) => a.factors));
    if (arms.length === 0) {
      record.decisions.push('no factor can move: every allowed factor is at the end of its ladder');
      return;
    }
    const ex = await this.experiment(record, 'explore', arms, active);
    record.experiment_id = ex.spec.id;
    record.verdict = ex.result.verdict;
    record.arms.push(...ex.outcomes.values());
    const baseline = ex.outcomes.get('control')!;
    await this.publish(record.cycle, active.version, baseline);
    if (await this.handleAlerts(record, ex.traffic.alerts)) return;
    if (deep) {
      record.sensitivity = rankFromArms(arms, ex.outcomes, baseline, ['q', ...goal.primary.map((p) => p.metric)]);
      const byQ = record.sensitivity[0]!.factors.map((f) => f.factor as Factor);
      this.order = [...byQ, ...factors.filter((f) => !byQ.includes(f))];
      record.decisions.push(`sensitivity of Q: ${record.sensitivity[0]!.factors.map((f) => `${f.factor} ${(100 * f.share).toFixed(0)}%`).join(', ')}`);
    }
    const read = readExploration(arms, ex.outcomes, baseline, this.steps, this.o.minGain);
    this.steps = read.steps;
    this.stuck = read.stuck;
    if (!baseline.feasible) record.decisions.push(`${active.version} breaks the goal's constraints (${baseline.violations.join('; ')}): any feasible arm counts as better`);
    if (read.moves.length === 0) {
      record.decisions.push(`no move beat ${active.version} (Q ${fmtQ(baseline.q)}) by more than ${this.o.minGain}${baseline.feasible ? '' : ' or was feasible'}; steps now ${JSON.stringify(this.steps)}`);
      return;
    }
    // the winning moves (combined when several factors won) must hold their gain, and stay feasible, on fresh traffic
    const best = read.moves.map((m) => ({ arm: m, outcome: ex.outcomes.get(m.name)! })).sort((x, y) => y.outcome.q! - x.outcome.q!)[0]!;
    const single: ArmPlan = { ...best.arm, name: 'best-single' };
    const confirmArms = read.moves.length > 1 ? [{ name: 'combined', changes: combine(read.moves), factors: read.moves.flatMap((m) => m.factors), steps: 0 }, single] : [single];
    // fewer arms than the exploration: twice the traffic per arm for the same cost, so the gain must show against half the noise
    const confirm = await this.experiment(record, 'confirm', confirmArms, active, 2);
    record.arms.push(...[...confirm.outcomes.values()].map((o) => ({ ...o, arm: `confirm:${o.arm}` })));
    if (await this.handleAlerts(record, confirm.traffic.alerts)) return;
    const control = confirm.outcomes.get('control')!;
    const pick = confirmArms
      .map((a) => ({ a, o: confirm.outcomes.get(a.name)! }))
      .filter((c) => c.o.feasible && c.o.q !== null && c.o.q > qToBeat(control, this.requiredGain(c.o, control)))
      .sort((x, y) => y.o.q! - x.o.q!)[0];
    record.decisions.push(`confirmation ${confirm.spec.id} (a gain must pass max(${this.o.minGain}, ${this.o.gainSe} standard errors)): control Q ${fmtQ(control.q)}, ${confirmArms.map((a) => `${a.name === 'best-single' ? `best single (${best.arm.name})` : a.name} ${fmtQ(confirm.outcomes.get(a.name)!.q)}`).join(', ')}`);
    if (!pick) {
      record.decisions.push('no candidate held its gain and stayed feasible on fresh traffic: nothing adopted');
      return;
    }
    const chosen = { arm: pick.a, outcome: pick.o, baselineQ: control.q, version: confirm.experiment.arm_versions[pick.a.name]!, experiment: confirm.spec.id, result: confirm.result };
    await this.adopt(record, goal, active, chosen);
  }

  /** Activates the chosen version, or opens an approval for it; notes conflicts with the Teacher's recommendation and with pending approvals. */
  private async adopt(record: CycleRecord, goal: Goal, active: ParameterVersion, chosen: { arm: ArmPlan; outcome: ArmOutcome; baselineQ: number | null; version: string; experiment: string; result: ExperimentResult }): Promise<void> {
    const candidate = await this.tuner.version(chosen.version);
    const changes = changedFactors(active.params, candidate.params);
    const what = changes.map((c) => `${c.param} ${c.from} → ${c.to}`).join(', ');
    const reason = `cycle ${record.cycle}: ${what} (Q ${fmtQ(chosen.baselineQ)} → ${fmtQ(chosen.outcome.q)}, experiment ${chosen.experiment})`;
    const teacher = chosen.result.recommendation;
    const verdictOf = chosen.result.variants.find((v) => v.variant === chosen.arm.name);
    if (teacher.action === 'update_params' && teacher.variant !== chosen.arm.name) {
      record.decisions.push(`conflict: the Teacher recommends "${teacher.variant}" by per-metric significance; Q (the goal's weights) prefers "${chosen.arm.name}"; Q decides`);
    } else if (verdictOf?.verdict === 'loser') {
      record.decisions.push(`conflict: the Teacher's verdict on "${chosen.arm.name}" is loser (${verdictOf.reasons.join('; ')}); its Q still rises, so the trade-off the goal's weights accept is taken`);
    }
    for (const p of (await this.store.approvals()).filter((a) => a.status === 'pending')) {
      const clash = p.changes.filter((c) => changes.some((n) => n.param === c.param && n.to !== c.to));
      if (clash.length > 0 || p.from_version !== active.version) {
        await this.store.saveApproval({ ...p, status: 'rejected', decided_at: this.now(), decided_by: 'manager', comment: `superseded by cycle ${record.cycle}` });
        record.decisions.push(`conflict: pending approval ${p.id} (${p.changes.map((c) => `${c.param} → ${c.to}`).join(', ')}) is superseded by cycle ${record.cycle}`);
      }
    }
    const critical = changes.filter((c) => goal.approval_required.includes(c.param));
    if (critical.length > 0 && !this.o.autoApprove) {
      const approval: Approval = { id: `a${record.cycle}`, created_at: this.now(), cycle: record.cycle, version: candidate.version, from_version: active.version, changes, reason, status: 'pending', decided_at: null, decided_by: null, comment: null };
      await this.store.saveApproval(approval);
      record.approvals_opened.push(approval.id);
      record.decisions.push(`waits for approval ${approval.id}: ${critical.map((c) => c.param).join(', ')} ${critical.length > 1 ? 'need' : 'needs'} a person's approval (${reason})`);
      return;
    }
    await this.tuner.activate(candidate.version, { initiator: 'manager', reason, experimentId: chosen.experiment, allowed: goal.allowed_factors });
    record.decisions.push(`activated ${candidate.version}: ${reason}`);
  }

  /** Prepares, starts, feeds, stops and analyses one experiment; its arms' figures and Q. */
  private async experiment(record: CycleRecord, stage: string, arms: readonly ArmPlan[], active: ParameterVersion, trafficFactor = 1): Promise<ExperimentRun> {
    const goal = await this.goalStore.current();
    const names = ['control', ...arms.map((a) => a.name)];
    const id = `c${String(record.cycle).padStart(4, '0')}-${stage}`;
    const ratio = 1 / names.length;
    const spec: ExperimentSpec = {
      file: `manager cycle ${record.cycle}`,
      id,
      goal: `${stage} for goal ${goal.id} around ${active.version}`,
      baseline: { name: 'control', params: {} },
      variants: arms.map((a) => ({ name: a.name, params: a.changes })),
      assignment: { unit: 'user_id', split: Object.fromEntries(names.map((n, i) => [n, i === 0 ? 1 - ratio * (names.length - 1) : ratio])), salt: id },
      primary_metrics: goal.primary.map((p) => p.metric),
      guardrails: [],
      success: { mde: 0.05, alpha: 0.05, power: 0.8 },
      design: 'fixed_horizon',
      test: 'welch',
      correction: 'holm',
    };
    const ctx = { initiator: 'manager', reason: `cycle ${record.cycle} ${stage}`, allowed: goal.allowed_factors };
    const experiment = await this.tuner.prepareExperiment(spec, ctx);
    await this.tuner.startExperiment(id, ctx);
    let traffic: TrafficResult;
    try {
      this.say(`  ${id}: ${names.length} arms (${arms.map((a) => a.name).join(', ')})`);
      traffic = await this.traffic(record, this.o.runsPerArm * names.length * trafficFactor);
    } finally {
      if ((await this.tuner.experiment(id)).status === 'running') await this.tuner.stopExperiment(id, { ...ctx, reason: `cycle ${record.cycle} ${stage} done` });
    }
    const result = await this.analyze(spec, active.params);
    const rows = await this.figures({ experimentId: id }, ['variant']);
    const outcomes = new Map<string, ArmOutcome>();
    for (const n of names) outcomes.set(n, this.outcome(n, experiment.arm_versions[n]!, rows.find((r) => r.group.variant === n), goal));
    return { spec, experiment, result, outcomes, traffic };
  }

  private async analyze(spec: ExperimentSpec, activeParams: MaasParams): Promise<ExperimentResult> {
    const result = await withSensorDb(this.world.sensorFile, (conn) => analyzeExperiment(conn, spec, { activeParams, seed: this.o.seed, resamples: this.o.resamples, now: this.now() }));
    await saveExperimentResult(this.conn, result);
    await this.tuner.recordVerdict(spec.id, result.verdict);
    return result;
  }

  private async traffic(record: CycleRecord, runs: number): Promise<TrafficResult> {
    const signal = this.current?.abort.signal;
    const traffic = await this.world.run({ cycle: record.cycle, cycleType: record.type, runs, seed: this.o.seed, signal });
    record.alerts.push(...traffic.alerts);
    if (signal?.aborted) throw signal.reason instanceof CycleStopped ? signal.reason : new CycleStopped('stopped');
    return traffic;
  }

  /** Rolls the active version back when an alert names it; true when it did. */
  private async handleAlerts(record: CycleRecord, alerts: readonly DegradationAlert[]): Promise<boolean> {
    const active = await this.tuner.active();
    const alert = alerts.find((a) => a.version === active.version);
    if (!alert) return false;
    try {
      const back = await this.tuner.rollback({ initiator: `rule:${alert.rule}`, reason: alert.reason });
      record.decisions.push(`rolled back ${active.version} → ${back.version}: ${alert.reason}`);
      return true;
    } catch (err) {
      // the first version has nothing before it: the alert stands, the cycles will move away from it
      if (!(err instanceof MaasflowError && err.code === 'CONFLICT')) throw err;
      record.decisions.push(`alert on ${active.version}, not rolled back (${err.message}): ${alert.reason}`);
      return false;
    }
  }

  private async figures(filter: RunFilter, groupBy: string[]): Promise<AggregateRow[]> {
    return withSensorDb(this.world.sensorFile, (conn) => aggregateMetrics(conn, { ...filter, groupBy }));
  }

  private outcome(arm: string, version: string, row: AggregateRow | undefined, goal: Goal): ArmOutcome {
    const observed = row?.metrics ?? {};
    const e = evaluateObserved(goal, observed);
    const metrics: ArmOutcome['metrics'] = {};
    for (const [m, v] of Object.entries(observed)) metrics[m as MetricName] = v?.value ?? null;
    return { arm, version, runs: row?.runs ?? 0, metrics, q: e.q, q_se: e.qSe, feasible: e.feasible, violations: e.violations };
  }

  /** A confirmed gain must pass minGain and gainSe standard errors of the difference (noise must not move the version). */
  private requiredGain(candidate: ArmOutcome, control: ArmOutcome): number {
    const se = candidate.q_se !== null && control.q_se !== null ? Math.sqrt(candidate.q_se ** 2 + control.q_se ** 2) : 0;
    return Math.max(this.o.minGain, this.o.gainSe * se);
  }

  /** The sensitivity ranking (allowed-factor order before a deep cycle), factors the last exploration left out first. */
  private factorOrder(goal: Goal): Factor[] {
    const allowed = goal.allowed_factors as Factor[];
    const ranked = this.order ? [...this.order.filter((f) => allowed.includes(f)), ...allowed.filter((f) => !this.order!.includes(f))] : allowed;
    return [...ranked.filter((f) => !this.explored.has(f)), ...ranked.filter((f) => this.explored.has(f))];
  }

  private async publish(cycle: number, version: string, outcome: ArmOutcome): Promise<void> {
    const runs = await withSensorDb(this.world.sensorFile, async (conn) => Number((await conn.runAndReadAll('SELECT count(*) AS n FROM sensor_runs')).getRowObjectsJS()[0]!.n));
    this.latest = { at: this.now(), cycle, active_version: version, runs, metrics: outcome.metrics, q: outcome.q };
    for (const l of this.listeners) l(this.latest);
  }

  private async report(record: CycleRecord, goal: Goal): Promise<void> {
    const info = await writeCycleReport(this.o.reportsDir, { record, history: await this.store.cycles(), versions: await this.tuner.versions(), audit: await this.tuner.audit(), goal, approvals: await this.store.approvals() });
    await this.store.saveReport(info);
    this.say(`  report ${path.relative(process.cwd(), info.path)}`);
  }

  private say(line: string): void {
    this.o.log?.(line);
  }
}

/** A cycle stopped on command (ControlPlane.cycles.stop): its traffic ended early and nothing is adopted. */
class CycleStopped extends Error {}

function info(e: StoredExperiment): ExperimentInfo {
  const { arm_versions: _arms, ...rest } = e;
  return rest;
}

/** An experiment spec from a JSON body: every problem in one REQUEST_INVALID. */
function parseSpec(raw: unknown): ExperimentSpec {
  try {
    return parseExperimentSpec('experiment spec', JSON.stringify(raw ?? null));
  } catch (err) {
    if (err instanceof ValidationErrors) throw new MaasflowError('REQUEST_INVALID', err.errors.map((e) => e.format()).join('; '));
    throw err;
  }
}

const fmtQ = (q: number | null): string => (q === null ? 'n/a' : q.toFixed(3));
