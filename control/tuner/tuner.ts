/**
 * The Tuner: parameter versions and the one way they reach the MaaS. Code, no
 * LLM. Every version is stored in `experiment_parameters` (control.duckdb);
 * activating one, rolling back, or starting and stopping an experiment
 * rewrites the parameter file the pipeline reads (operators/maas/param-source.ts)
 * in the same transaction as the tables, and appends to the audit log.
 *
 * Guards (guards.ts) run before anything is written: a version with an
 * unknown or out-of-range factor, or a change to a factor the caller does not
 * allow, is refused with PARAM_GUARD and changes nothing. Operations run one
 * at a time, in call order.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { MaasflowError } from '../../engine/errors.ts';
import { DEFAULT_PARAMS } from '../../operators/maas/params.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import type { ExperimentSpec } from '../teacher/experiment-spec.ts';
import type { AuditEntry, Initiator, ParameterVersion } from '../types.ts';
import { changedFactors, guardAllowed, guardParams } from './guards.ts';
import { TunerStore, type StoredExperiment } from './store.ts';

export interface TunerOptions {
  /** The parameter file the MaaS pipeline reads; rewritten on every change. */
  paramsFile: string;
  now?: () => number;
}

/** Who asks for a change and why; `allowed` limits the factors it may touch (the goal's allowed factors). */
export interface ChangeContext {
  initiator: Initiator;
  reason: string;
  experimentId?: string | null;
  allowed?: readonly string[];
}

export class Tuner {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: TunerStore,
    private readonly paramsFile: string,
    private readonly now: () => number,
  ) {}

  /**
   * Opens the Tuner's tables. The first time, the parameter file's version
   * (or the defaults) becomes version one; afterwards the file is rewritten
   * from the tables, which are the truth.
   */
  static async open(conn: DuckDBConnection, o: TunerOptions): Promise<Tuner> {
    const tuner = new Tuner(await TunerStore.open(conn), o.paramsFile, o.now ?? Date.now);
    await tuner.serial(async () => {
      if ((await tuner.store.versions()).length === 0) await tuner.bootstrap();
      await tuner.writeParamFile();
    });
    return tuner;
  }

  versions(): Promise<ParameterVersion[]> {
    return this.store.versions();
  }

  async version(id: string): Promise<ParameterVersion> {
    const v = await this.store.version(id);
    if (!v) throw new MaasflowError('NOT_FOUND', `no parameter version "${id}"`);
    return v;
  }

  async active(): Promise<ParameterVersion> {
    const active = (await this.store.versions()).find((v) => v.active);
    if (!active) throw new MaasflowError('RUNTIME', 'no active parameter version (experiment_parameters is inconsistent)');
    return active;
  }

  audit(): Promise<AuditEntry[]> {
    return this.store.audit();
  }

  experiments(): Promise<StoredExperiment[]> {
    return this.store.experiments();
  }

  async experiment(id: string): Promise<StoredExperiment> {
    const e = await this.store.experiment(id);
    if (!e) throw new MaasflowError('NOT_FOUND', `no experiment "${id}"`);
    return e;
  }

  /** A candidate version: `changes` applied to `parent` (default: the active version). Not active until activated. */
  createVersion(changes: Partial<MaasParams>, ctx: ChangeContext & { parent?: string }): Promise<ParameterVersion> {
    return this.serial(async () => {
      const base = ctx.parent === undefined ? await this.active() : await this.version(ctx.parent);
      const params = this.guard(base.params, { ...base.params, ...changes }, ctx, 'new version');
      return this.store.transaction(() => this.insertCandidate(base, params, ctx));
    });
  }

  /** Makes `id` the active version (PARAM_GUARD when its parameters break a guard; CONFLICT while an experiment runs). */
  activate(id: string, ctx: ChangeContext): Promise<ParameterVersion> {
    return this.serial(async () => {
      const target = await this.version(id);
      const active = await this.active();
      this.guard(active.params, target.params, ctx, `activate ${id}`);
      if (target.active) throw new MaasflowError('CONFLICT', `version ${id} is already active`);
      const running = (await this.store.experiments()).find((e) => e.status === 'running');
      if (running) throw new MaasflowError('CONFLICT', `experiment "${running.id}" is running on ${active.version}; stop it before activating another version`);
      await this.store.transaction(async () => {
        const at = this.now();
        await this.store.setStatus(active.version, 'retired');
        await this.store.setStatus(id, 'active', at);
        await this.store.appendAudit({ at, action: 'activate', version: id, from_version: active.version, initiator: ctx.initiator, experiment_id: ctx.experimentId ?? null, reason: ctx.reason });
        await this.writeParamFile();
      });
      return this.version(id);
    });
  }

  /**
   * Back to the version that was active before the current one (versions
   * form a stack: activate pushes, rollback pops). A running experiment is
   * stopped first, since its arms were derived from the version being left.
   */
  rollback(ctx: ChangeContext): Promise<ParameterVersion> {
    return this.serial(async () => {
      const active = await this.active();
      const stack = activationStack(await this.store.audit());
      const target = stack.at(-2);
      if (target === undefined) throw new MaasflowError('CONFLICT', `nothing to roll back to: ${active.version} is the first active version`);
      const running = (await this.store.experiments()).find((e) => e.status === 'running');
      await this.store.transaction(async () => {
        const at = this.now();
        if (running) {
          await this.store.setExperimentStatus(running.id, 'stopped', at);
          await this.store.appendAudit({ at, action: 'stop_experiment', version: null, from_version: null, initiator: ctx.initiator, experiment_id: running.id, reason: `stopped by rollback: ${ctx.reason}` });
        }
        await this.store.setStatus(active.version, 'rolled_back');
        await this.store.setStatus(target, 'active', at);
        await this.store.appendAudit({ at, action: 'rollback', version: target, from_version: active.version, initiator: ctx.initiator, experiment_id: ctx.experimentId ?? null, reason: ctx.reason });
        await this.writeParamFile();
      });
      return this.version(target);
    });
  }

  /**
   * Stores an experiment with a candidate version per arm (the active
   * parameters with the arm's changes; an arm without changes runs the active
   * version itself). Traffic is not split until startExperiment.
   */
  prepareExperiment(spec: ExperimentSpec, ctx: ChangeContext): Promise<StoredExperiment> {
    return this.serial(async () => {
      if (await this.store.experiment(spec.id)) throw new MaasflowError('CONFLICT', `experiment "${spec.id}" already exists`);
      const active = await this.active();
      const arms = [spec.baseline, ...spec.variants];
      const planned = arms.map((a) => ({ name: a.name, params: this.guard(active.params, { ...active.params, ...a.params }, ctx, `experiment ${spec.id} arm "${a.name}"`) }));
      return this.store.transaction(async () => {
        const armVersions: Record<string, string> = {};
        for (const arm of planned) {
          const same = changedFactors(active.params, arm.params).length === 0;
          armVersions[arm.name] = same ? active.version : (await this.insertCandidate(active, arm.params, { ...ctx, experimentId: spec.id, reason: `arm "${arm.name}" of experiment ${spec.id}` })).version;
        }
        const { file: _file, ...stored } = spec;
        const at = this.now();
        const experiment: StoredExperiment = { id: spec.id, spec: stored, arm_versions: armVersions, status: 'created', initiator: ctx.initiator, created_at: at, started_at: null, stopped_at: null, verdict: null };
        await this.store.insertExperiment(experiment);
        await this.store.appendAudit({ at, action: 'prepare_experiment', version: null, from_version: active.version, initiator: ctx.initiator, experiment_id: spec.id, reason: ctx.reason });
        return experiment;
      });
    });
  }

  /** Publishes the experiment's arms in the parameter file: requests are split from the next one on. */
  startExperiment(id: string, ctx: ChangeContext): Promise<StoredExperiment> {
    return this.serial(async () => {
      const e = await this.experiment(id);
      if (e.status !== 'created') throw new MaasflowError('CONFLICT', `experiment "${id}" is ${e.status}; only a created experiment can start`);
      const running = (await this.store.experiments()).find((x) => x.status === 'running');
      if (running) throw new MaasflowError('CONFLICT', `experiment "${running.id}" is already running; one experiment runs at a time`);
      const active = await this.active();
      const baseline = await this.version(e.arm_versions[e.spec.baseline.name]!);
      if (changedFactors({ ...active.params, ...e.spec.baseline.params }, baseline.params).length > 0) {
        throw new MaasflowError('CONFLICT', `experiment "${id}" was prepared against other parameters than the active ${active.version}; prepare a new one`);
      }
      await this.store.transaction(async () => {
        const at = this.now();
        await this.store.setExperimentStatus(id, 'running', at);
        await this.store.appendAudit({ at, action: 'start_experiment', version: null, from_version: active.version, initiator: ctx.initiator, experiment_id: id, reason: ctx.reason });
        await this.writeParamFile();
      });
      return this.experiment(id);
    });
  }

  stopExperiment(id: string, ctx: ChangeContext): Promise<StoredExperiment> {
    return this.serial(async () => {
      const e = await this.experiment(id);
      if (e.status === 'stopped') throw new MaasflowError('CONFLICT', `experiment "${id}" is already stopped`);
      await this.store.transaction(async () => {
        const at = this.now();
        await this.store.setExperimentStatus(id, 'stopped', at);
        await this.store.appendAudit({ at, action: 'stop_experiment', version: null, from_version: null, initiator: ctx.initiator, experiment_id: id, reason: ctx.reason });
        await this.writeParamFile();
      });
      return this.experiment(id);
    });
  }

  recordVerdict(id: string, verdict: NonNullable<StoredExperiment['verdict']>): Promise<void> {
    return this.serial(() => this.store.setExperimentVerdict(id, verdict));
  }

  private guard(from: MaasParams, to: unknown, ctx: ChangeContext, where: string): MaasParams {
    const params = guardParams(to, where);
    guardAllowed(from, params, ctx.allowed, where);
    return params;
  }

  private async insertCandidate(base: ParameterVersion, params: MaasParams, ctx: ChangeContext): Promise<ParameterVersion> {
    const seq = await this.store.nextVersionSeq();
    const v: ParameterVersion = { version: `v${seq}`, params, active: false, status: 'candidate', parent: base.version, reason: ctx.reason, initiator: ctx.initiator, experiment_id: ctx.experimentId ?? null, created_at: this.now(), activated_at: null };
    await this.store.insertVersion(v, seq);
    await this.store.appendAudit({ at: v.created_at, action: 'create', version: v.version, from_version: base.version, initiator: ctx.initiator, experiment_id: v.experiment_id, reason: ctx.reason });
    return v;
  }

  private async bootstrap(): Promise<void> {
    let params: MaasParams = DEFAULT_PARAMS;
    let from = 'the defaults of docs/IMPACTS.md';
    if (fs.existsSync(this.paramsFile)) {
      const json = JSON.parse(fs.readFileSync(this.paramsFile, 'utf8')) as { params?: unknown };
      params = guardParams(json.params ?? {}, this.paramsFile);
      from = this.paramsFile;
    }
    const at = this.now();
    await this.store.transaction(async () => {
      await this.store.insertVersion({ version: 'v1', params, active: true, status: 'active', parent: null, reason: `initial version from ${from}`, initiator: 'system', experiment_id: null, created_at: at, activated_at: at }, 1);
      await this.store.appendAudit({ at, action: 'activate', version: 'v1', from_version: null, initiator: 'system', experiment_id: null, reason: `initial version from ${from}` });
    });
  }

  /** The parameter file from the tables: the active version and the running experiment's arms (temp file + rename, so a reader never sees half). */
  private async writeParamFile(): Promise<void> {
    const active = await this.active();
    const running = (await this.store.experiments()).filter((e) => e.status === 'running');
    const experiments = [];
    for (const e of running) {
      const arms = [];
      for (const a of [e.spec.baseline, ...e.spec.variants]) {
        const v = await this.version(e.arm_versions[a.name]!);
        arms.push({ name: a.name, ratio: e.spec.assignment.split[a.name]!, version: v.version, params: Object.fromEntries(changedFactors(active.params, v.params).map((c) => [c.param, c.to])) });
      }
      experiments.push({ id: e.id, unit: e.spec.assignment.unit, salt: e.spec.assignment.salt, arms });
    }
    const body = JSON.stringify({ version: active.version, params: active.params, experiments }, null, 2);
    fs.mkdirSync(path.dirname(this.paramsFile), { recursive: true });
    const tmp = `${this.paramsFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${body}\n`);
    fs.renameSync(tmp, this.paramsFile);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** The active versions in the order they were pushed, after the pops: activate pushes, rollback pops. */
export function activationStack(audit: readonly AuditEntry[]): string[] {
  const stack: string[] = [];
  for (const e of audit) {
    if (e.action === 'activate') stack.push(e.version!);
    else if (e.action === 'rollback') stack.pop();
  }
  return stack;
}
