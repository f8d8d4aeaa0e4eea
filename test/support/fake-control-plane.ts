/**
 * An in-memory ControlPlane for route and dashboard tests. It refuses what
 * the Manager would refuse, with the same error codes (NOT_FOUND, CONFLICT,
 * CONFIG, PARAM_GUARD, REQUEST_INVALID), and a refused call changes nothing.
 * `calls` lists every method called and `state()` is a deep copy of all it
 * holds, so a test can prove a refused request never reached it or changed
 * nothing. `push` publishes a live figure to the subscribers.
 */
import { EventEmitter } from 'node:events';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import type { ExperimentResult } from '../../control/teacher/analyze.ts';
import { parseExperimentSpec } from '../../control/teacher/experiment-spec.ts';
import type { Approval, AuditEntry, CycleRecord, CycleType, Goal, Initiator, LiveMetrics, ParameterVersion, ReportInfo } from '../../control/types.ts';
import { DEFAULT_PARAMS, IMPACT_FACTORS } from '../../operators/maas/params.ts';
import type { ControlPlane, ExperimentInfo } from '../../server/control-plane.ts';

const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);

export interface FakeState {
  experiments: ExperimentInfo[];
  versions: ParameterVersion[];
  audit: AuditEntry[];
  goal: Goal;
  approvals: Approval[];
  cycles: CycleRecord[];
  reports: { info: ReportInfo; markdown: string; charts: Record<string, string> }[];
  live: LiveMetrics;
}

const version = (v: string, over: Partial<ParameterVersion>): ParameterVersion => ({
  version: v, params: { ...DEFAULT_PARAMS }, active: false, status: 'retired', parent: null, reason: 'seed', initiator: 'test', experiment_id: null, created_at: T0, activated_at: null, ...over,
});

const spec = (id: string, variant: string, params: Record<string, number>): ExperimentInfo['spec'] => ({
  id, goal: `try ${variant}`, baseline: { name: 'control', params: {} }, variants: [{ name: variant, params }],
  assignment: { unit: 'user_id', split: { control: 0.5, [variant]: 0.5 }, salt: id }, primary_metrics: ['recall_at_k'], guardrails: [],
  success: { mde: 0.05, alpha: 0.05, power: 0.8 }, design: 'fixed_horizon', test: 'welch', correction: 'holm',
});

function seed(): FakeState {
  const cycle: CycleRecord = {
    cycle: 1, type: 'micro', started_at: T0, ended_at: T0 + 60_000, active_before: 'v3', active_after: 'v3', experiment_id: null,
    arms: [{ arm: 'active', version: 'v3', runs: 120, metrics: { precision_at_k: 0.7, recall_at_k: 0.6 }, q: 0.64, q_se: 0.02, feasible: true, violations: [] }],
    verdict: null, decisions: ['keep v3'], alerts: [], approvals_opened: ['appr-1'], sensitivity: null,
  };
  return {
    experiments: [
      { id: 'top-k-8', spec: spec('top-k-8', 'top-k-8', { top_k: 8 }), status: 'running', created_at: T0, started_at: T0 + 1000, stopped_at: null, initiator: 'user:ana', verdict: null },
      { id: 'archivist-off', spec: spec('archivist-off', 'off', { archivist_max_per_message: 0 }), status: 'created', created_at: T0, started_at: null, stopped_at: null, initiator: 'manager', verdict: null },
    ],
    versions: [
      version('v1', { reason: 'defaults', activated_at: T0 }),
      version('v2', { parent: 'v1', status: 'rolled_back', params: { ...DEFAULT_PARAMS, top_k: 3 }, reason: 'fewer memories', activated_at: T0 + 10 }),
      version('v3', { parent: 'v1', status: 'active', active: true, params: { ...DEFAULT_PARAMS, top_k: 6 }, reason: 'more memories', activated_at: T0 + 20 }),
      version('v4', { parent: 'v3', status: 'candidate', params: { ...DEFAULT_PARAMS, top_k: 6, token_budget: 768 }, reason: 'larger budget' }),
    ],
    audit: [
      { seq: 1, at: T0, action: 'activate', version: 'v1', from_version: null, initiator: 'test', experiment_id: null, reason: 'defaults' },
      { seq: 2, at: T0 + 10, action: 'activate', version: 'v2', from_version: 'v1', initiator: 'manager', experiment_id: null, reason: 'fewer memories' },
      { seq: 3, at: T0 + 15, action: 'rollback', version: 'v1', from_version: 'v2', initiator: 'rule:precision_drop', experiment_id: null, reason: 'precision dropped' },
      { seq: 4, at: T0 + 20, action: 'activate', version: 'v3', from_version: 'v1', initiator: 'manager', experiment_id: null, reason: 'more memories' },
    ],
    goal: {
      id: 'quality', description: 'precise and complete answers', primary: [{ metric: 'precision_at_k', target: 0.8, weight: 1 }, { metric: 'recall_at_k', target: 0.7, weight: 1 }],
      constraints: [{ metric: 'latency_p95_ms', max: 5000 }], allowed_factors: ['top_k', 'token_budget'], approval_required: ['token_budget'], updated_at: T0,
    },
    approvals: [
      { id: 'appr-1', created_at: T0 + 60_000, cycle: 1, version: 'v4', from_version: 'v3', changes: [{ param: 'token_budget', from: 512, to: 768 }], reason: 'recall below target', status: 'pending', decided_at: null, decided_by: null, comment: null },
    ],
    cycles: [cycle],
    reports: [{ info: { cycle: 1, type: 'micro', created_at: T0 + 60_000, path: 'reports/cycle-1.md' }, markdown: '# Cycle 1\n\n![Q](charts/q.svg)\n', charts: { 'q.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>' } }],
    live: { at: T0 + 61_000, cycle: 1, active_version: 'v3', runs: 120, metrics: { precision_at_k: 0.7, recall_at_k: 0.6, correct_rate: 0.8, latency_p95_ms: 80 }, q: 0.64 },
  };
}

const fail = (code: MaasflowError['code'], message: string): never => {
  throw new MaasflowError(code, message);
};
const needText = (what: string, s: string): void => {
  if (s.trim() === '') fail('REQUEST_INVALID', `${what}: a reason is required`);
};

export class FakeControlPlane implements ControlPlane {
  /** Every method called, as `group.method`, in order. */
  readonly calls: string[] = [];
  /** 'subscribe' and 'unsubscribe' (with the subscriber count), so tests wait for a stream to attach or detach. */
  readonly events = new EventEmitter();
  /** While true, cycles.run answers CONFLICT (a cycle is running). */
  busy = false;
  private s = seed();
  private readonly listeners = new Set<(m: LiveMetrics) => void>();
  private now = T0 + 100_000;

  state(): FakeState {
    return structuredClone(this.s);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Publishes a new figure (merged over the last one) to every subscriber. */
  push(m: Partial<LiveMetrics>): LiveMetrics {
    this.s.live = { ...this.s.live, ...m, at: m.at ?? this.tick() };
    for (const l of this.listeners) l(structuredClone(this.s.live));
    return this.s.live;
  }

  private tick(): number {
    return (this.now += 1000);
  }
  private call(name: string): void {
    this.calls.push(name);
  }
  private experiment(id: string): ExperimentInfo {
    return this.s.experiments.find((e) => e.id === id) ?? fail('NOT_FOUND', `no experiment "${id}"`);
  }
  private active(): ParameterVersion {
    return this.s.versions.find((v) => v.active)!;
  }
  private audit(entry: Omit<AuditEntry, 'seq' | 'at'>): void {
    this.s.audit.push({ seq: this.s.audit.length + 1, at: this.tick(), ...entry });
  }
  private switchTo(target: ParameterVersion, by: Initiator, reason: string, action: 'activate' | 'rollback'): ParameterVersion {
    const from = this.active();
    from.active = false;
    from.status = action === 'rollback' ? 'rolled_back' : 'retired';
    Object.assign(target, { active: true, status: 'active', activated_at: this.tick() });
    this.audit({ action, version: target.version, from_version: from.version, initiator: by, experiment_id: target.experiment_id, reason });
    this.s.live = { ...this.s.live, active_version: target.version };
    return structuredClone(target);
  }

  readonly experiments: ControlPlane['experiments'] = {
    list: async () => (this.call('experiments.list'), structuredClone(this.s.experiments)),
    create: async (body, by) => {
      this.call('experiments.create');
      let parsed;
      try {
        parsed = parseExperimentSpec('request.json', JSON.stringify(body));
      } catch (err) {
        throw err instanceof ValidationErrors ? new MaasflowError('CONFIG', err.errors.map((e) => e.format()).join('; ')) : err;
      }
      if (this.s.experiments.some((e) => e.id === parsed.id)) fail('CONFLICT', `experiment "${parsed.id}" exists`);
      const { file: _file, ...stored } = parsed;
      const info: ExperimentInfo = { id: parsed.id, spec: stored, status: 'created', created_at: this.tick(), started_at: null, stopped_at: null, initiator: by, verdict: null };
      this.s.experiments.push(info);
      return structuredClone(info);
    },
    start: async (id) => {
      this.call('experiments.start');
      const e = this.experiment(id);
      if (e.status !== 'created') fail('CONFLICT', `experiment "${id}" is ${e.status}; only a created one starts`);
      Object.assign(e, { status: 'running', started_at: this.tick() });
      return structuredClone(e);
    },
    stop: async (id, _by, reason) => {
      this.call('experiments.stop');
      const e = this.experiment(id);
      needText('stop', reason);
      if (e.status !== 'running') fail('CONFLICT', `experiment "${id}" is ${e.status}, not running`);
      Object.assign(e, { status: 'stopped', stopped_at: this.tick() });
      return structuredClone(e);
    },
    results: async (id) => {
      this.call('experiments.results');
      const e = this.experiment(id);
      const result: ExperimentResult = {
        experiment_id: id, analyzed_at: this.now, design: e.spec.design, baseline: e.spec.baseline.name, alpha: e.spec.success.alpha,
        arms: { [e.spec.baseline.name]: { units: 10, runs: 40 } }, srm: null, variants: [], verdict: 'inconclusive',
        recommendation: { action: 'keep_params', experiment_id: id, variant: null, reason: 'not enough runs', changes: [], rollback_conditions: [] }, seed: 1,
      };
      return result;
    },
  };

  readonly parameters: ControlPlane['parameters'] = {
    list: async () => (this.call('parameters.list'), structuredClone(this.s.versions)),
    activate: async (v, by, reason) => {
      this.call('parameters.activate');
      needText('activate', reason);
      const target = this.s.versions.find((x) => x.version === v) ?? fail('NOT_FOUND', `no parameter version "${v}"`);
      if (target.active) fail('CONFLICT', `version "${v}" is already active`);
      return this.switchTo(target, by, reason, 'activate');
    },
    rollback: async (by, reason) => {
      this.call('parameters.rollback');
      needText('rollback', reason);
      const current = this.active().version;
      const last = [...this.s.audit].reverse().find((a) => (a.action === 'activate' || a.action === 'rollback') && a.version === current);
      const previous = last?.from_version ? this.s.versions.find((x) => x.version === last.from_version) : undefined;
      if (!previous) return fail('CONFLICT', `nothing to roll back to from "${current}"`);
      return this.switchTo(previous, by, reason, 'rollback');
    },
    audit: async () => (this.call('parameters.audit'), structuredClone(this.s.audit)),
  };

  readonly goals: ControlPlane['goals'] = {
    get: async () => (this.call('goals.get'), structuredClone(this.s.goal)),
    set: async (body) => {
      this.call('goals.set');
      const goal = body as Omit<Goal, 'updated_at'>;
      const known = new Set<string>(IMPACT_FACTORS.map((f) => f.name));
      const unknown = [...goal.allowed_factors, ...goal.approval_required].filter((f) => !known.has(f));
      if (unknown.length > 0) fail('PARAM_GUARD', `unknown impact factor(s): ${unknown.join(', ')}`);
      const outside = goal.approval_required.filter((f) => !goal.allowed_factors.includes(f));
      if (outside.length > 0) fail('CONFIG', `approval_required names factors that are not allowed: ${outside.join(', ')}`);
      this.s.goal = { ...structuredClone(goal), updated_at: this.tick() };
      return structuredClone(this.s.goal);
    },
  };

  readonly approvals: ControlPlane['approvals'] = {
    list: async () => (this.call('approvals.list'), structuredClone(this.s.approvals)),
    decide: async (id, decision, by, comment) => {
      this.call('approvals.decide');
      const a = this.s.approvals.find((x) => x.id === id) ?? fail('NOT_FOUND', `no approval "${id}"`);
      if (a.status !== 'pending') fail('CONFLICT', `approval "${id}" is already ${a.status}`);
      const target = this.s.versions.find((v) => v.version === a.version) ?? fail('CONFLICT', `approval "${id}" names a missing version`);
      if (decision === 'approve') this.switchTo(target, by, `approved ${id}: ${a.reason}`, 'activate');
      Object.assign(a, { status: decision === 'approve' ? 'approved' : 'rejected', decided_at: this.tick(), decided_by: by, comment });
      return structuredClone(a);
    },
  };

  readonly reports: ControlPlane['reports'] = {
    list: async () => (this.call('reports.list'), this.s.reports.map((r) => structuredClone(r.info))),
    get: async (cycle) => {
      this.call('reports.get');
      return structuredClone(this.s.reports.find((r) => r.info.cycle === cycle) ?? fail('NOT_FOUND', `no report for cycle ${cycle}`));
    },
  };

  readonly cycles: ControlPlane['cycles'] = {
    list: async () => (this.call('cycles.list'), structuredClone(this.s.cycles)),
    run: async (type: CycleType) => {
      this.call('cycles.run');
      if (this.busy) fail('CONFLICT', 'a cycle is running');
      const active = this.active().version;
      const at = this.tick();
      const record: CycleRecord = {
        cycle: this.s.cycles.length + 1, type, started_at: at, ended_at: at, active_before: active, active_after: active, experiment_id: null,
        arms: [], verdict: null, decisions: [`${type} cycle: keep ${active}`], alerts: [], approvals_opened: [], sensitivity: null,
      };
      this.s.cycles.push(record);
      this.s.reports.push({ info: { cycle: record.cycle, type, created_at: at, path: `reports/cycle-${record.cycle}.md` }, markdown: `# Cycle ${record.cycle}\n`, charts: {} });
      return structuredClone(record);
    },
    stop: async () => {
      this.call('cycles.stop');
      if (!this.busy) fail('CONFLICT', 'no cycle is running');
      this.busy = false;
      return { cycle: this.s.cycles.length + 1 };
    },
  };

  readonly live: ControlPlane['live'] = {
    snapshot: async () => (this.call('live.snapshot'), structuredClone(this.s.live)),
    subscribe: (listener) => {
      this.call('live.subscribe');
      this.listeners.add(listener);
      this.events.emit('subscribe', this.listeners.size);
      return () => {
        if (this.listeners.delete(listener)) this.events.emit('unsubscribe', this.listeners.size);
      };
    },
  };
}
