/**
 * What a cycle report is made of and the facts derived from it, shared by the
 * charts and the Markdown: which arm stands for the active version, which arm
 * won, which audit entries and rollbacks belong to which cycle, and what the
 * parameters were. Pure functions of plain data, so a report is a function of
 * its input.
 */
import { DEFAULT_PARAMS, IMPACT_FACTORS, type NumericFactor } from '../../operators/maas/params.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import { METRICS, type MetricName } from '../teacher/catalogue.ts';
import type { Approval, ArmOutcome, AuditEntry, CycleRecord, Goal, ParameterVersion } from '../types.ts';

export interface ReportInput {
  record: CycleRecord;
  /** All cycles so far, this one included (order does not matter). */
  history: CycleRecord[];
  versions: ParameterVersion[];
  audit: AuditEntry[];
  goal: Goal;
  approvals: Approval[];
}

/**
 * The cycles the report draws: those up to this one, ordered by cycle, with
 * `record` itself in place of any stored copy (later cycles are not this
 * report's business, so a report re-rendered later gives the same bytes).
 */
export function cyclesUpTo(input: ReportInput): CycleRecord[] {
  const byCycle = new Map<number, CycleRecord>();
  for (const r of input.history) if (r.cycle < input.record.cycle) byCycle.set(r.cycle, r);
  byCycle.set(input.record.cycle, input.record);
  return [...byCycle.values()].sort((a, b) => a.cycle - b.cycle);
}

/** The figures of the version active at the end of the cycle (else the one active before, else the first arm). */
export function activeArm(record: CycleRecord): ArmOutcome | null {
  return (
    record.arms.find((a) => a.version === record.active_after) ??
    record.arms.find((a) => a.version === record.active_before) ??
    record.arms[0] ??
    null
  );
}

/**
 * The arm to highlight as the cycle's winner: the one the Manager activated,
 * else the one waiting for approval, else (verdict `winner` with neither) the
 * feasible arm of highest Q. None for a cycle without an experiment.
 */
export function winnerArm(record: CycleRecord, approvals: readonly Approval[]): ArmOutcome | null {
  if (record.arms.length < 2) return null;
  if (record.active_after !== record.active_before) {
    const activated = record.arms.find((a) => a.version === record.active_after);
    if (activated) return activated;
  }
  const opened = new Set(record.approvals_opened);
  const waiting = approvals.filter((a) => opened.has(a.id)).map((a) => a.version);
  const awaiting = record.arms.find((a) => waiting.includes(a.version));
  if (awaiting) return awaiting;
  if (record.verdict !== 'winner') return null;
  const feasible = record.arms.filter((a) => a.feasible && a.q !== null);
  return feasible.reduce<ArmOutcome | null>((best, a) => (best === null || (a.q ?? -Infinity) > (best.q ?? -Infinity) ? a : best), null);
}

/** The previous cycle of the history, if any. */
export function previousCycle(input: ReportInput): CycleRecord | null {
  const earlier = cyclesUpTo(input).filter((r) => r.cycle < input.record.cycle);
  return earlier[earlier.length - 1] ?? null;
}

/** Audit entries made while the cycle ran, in order. */
export function cycleAudit(record: CycleRecord, audit: readonly AuditEntry[]): AuditEntry[] {
  return audit.filter((e) => e.at >= record.started_at && e.at <= record.ended_at).sort((a, b) => a.seq - b.seq);
}

/**
 * The cycle each rollback belongs to: the first cycle that ended at or after
 * it (a rollback between two cycles shows at the next one); rollbacks after
 * the last cycle are left out.
 */
export function rollbackCycles(cycles: readonly CycleRecord[], audit: readonly AuditEntry[]): number[] {
  const marked = new Set<number>();
  for (const e of audit) {
    if (e.action !== 'rollback') continue;
    const owner = cycles.find((r) => r.ended_at >= e.at);
    if (owner) marked.add(owner.cycle);
  }
  return [...marked].sort((a, b) => a - b);
}

/** The full parameters of a version (defaults for missing factors), or null for an unknown version. */
export function paramsOf(versions: readonly ParameterVersion[], version: string): MaasParams | null {
  const v = versions.find((p) => p.version === version);
  return v ? { ...DEFAULT_PARAMS, ...v.params } : null;
}

export interface ParamChange {
  param: keyof MaasParams;
  from: number | string;
  to: number | string;
}

/** The factors whose values differ between two parameter sets, in the order of docs/IMPACTS.md. */
export function paramChanges(from: MaasParams | null, to: MaasParams | null): ParamChange[] {
  if (!from || !to) return [];
  return IMPACT_FACTORS.filter((f) => from[f.name] !== to[f.name]).map((f) => ({ param: f.name, from: from[f.name], to: to[f.name] }));
}

/** The goal's allowed factors that are numbers (the ones a step chart can draw). */
export function numericAllowedFactors(goal: Goal): NumericFactor[] {
  const allowed = new Set<string>(goal.allowed_factors);
  return IMPACT_FACTORS.filter((f): f is NumericFactor => f.type !== 'enum' && allowed.has(f.name));
}

/** A target is met at or beyond it in the metric's better direction. */
export function targetMet(metric: MetricName, value: number, target: number): boolean {
  return METRICS[metric].direction === 'higher' ? value >= target : value <= target;
}
