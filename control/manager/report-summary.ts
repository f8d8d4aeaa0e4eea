/** The summary lines and the arms table of a cycle report (report.ts lays them out). */
import type { MetricName } from '../teacher/catalogue.ts';
import { formatMetric, formatParam, formatQ, formatQDelta, mdTable, metricHeading } from './format.ts';
import { activeArm, cycleAudit, paramChanges, paramsOf, previousCycle, targetMet, winnerArm, type ReportInput } from './report-data.ts';

/** The goal's metrics as table columns: primary ones first, then constrained ones, each once. */
function goalMetrics(input: ReportInput): MetricName[] {
  return [...new Set([...input.goal.primary.map((p) => p.metric), ...input.goal.constraints.map((c) => c.metric)])];
}

function changesText(input: ReportInput, from: string, to: string): string {
  return paramChanges(paramsOf(input.versions, from), paramsOf(input.versions, to))
    .map((c) => `${c.param} ${formatParam(c.from)} → ${formatParam(c.to)}`)
    .join(', ');
}

/** Each arm's figures; `changes` are its factors that differ from the version active before the cycle. */
export function armsTable(input: ReportInput): string {
  const { record } = input;
  if (record.arms.length === 0) return 'No figures in this cycle.';
  const metrics = goalMetrics(input);
  const winner = winnerArm(record, input.approvals);
  const rows = record.arms.map((a) => [
    winner?.arm === a.arm ? `**${a.arm}** (winner)` : a.arm,
    a.version,
    changesText(input, record.active_before, a.version) || '–',
    String(a.runs),
    formatQ(a.q),
    a.feasible ? 'yes' : 'no',
    a.violations.length === 0 ? '–' : a.violations.join('; '),
    ...metrics.map((m) => formatMetric(m, a.metrics[m])),
  ]);
  const header = ['arm', 'version', 'changes', 'runs', 'Q', 'feasible', 'violations', ...metrics.map(metricHeading)];
  return mdTable(header, rows, [false, false, false, true, true, false, false, ...metrics.map(() => true)]);
}

/** Three to five lines: what ran, the active version, Q and the goal, rollbacks and alerts, approvals. */
export function summaryLines(input: ReportInput): string[] {
  const { record: r, goal } = input;
  const runs = r.arms.reduce((n, a) => n + a.runs, 0);
  const ran =
    r.arms.length > 1
      ? `Ran experiment \`${r.experiment_id ?? 'unnamed'}\` with ${r.arms.length} arms (${runs} runs); verdict: **${r.verdict ?? 'none'}**.`
      : `Watched \`${r.active_before}\` (${runs} runs)${r.verdict ? `; verdict: **${r.verdict}**` : ''}.`;
  const changed = changesText(input, r.active_before, r.active_after);
  const active =
    r.active_after === r.active_before
      ? `Active version \`${r.active_after}\` unchanged.`
      : `Active version \`${r.active_before}\` → \`${r.active_after}\`${changed ? ` (${changed})` : ''}.`;

  const prev = previousCycle(input);
  const qAfter = activeArm(r)?.q ?? null;
  const qBefore = prev ? (activeArm(prev)?.q ?? null) : null;
  const qText =
    qBefore !== null && qAfter !== null && prev
      ? `Q ${formatQ(qBefore)} (cycle ${prev.cycle}) → ${formatQ(qAfter)} (${formatQDelta(qAfter - qBefore)})`
      : `Q ${formatQ(qAfter)}${prev ? '' : ' (first cycle)'}`;
  const arm = activeArm(r);
  const met = goal.primary.filter((p) => {
    const v = arm?.metrics[p.metric];
    return typeof v === 'number' && targetMet(p.metric, v, p.target);
  }).length;
  const q = arm ? `${qText}; ${met} of ${goal.primary.length} goal targets met.` : 'No figures in this cycle: Q and goal targets unknown.';

  const rollbacks = cycleAudit(r, input.audit).filter((e) => e.action === 'rollback');
  const rb =
    rollbacks.length === 0
      ? 'No rollbacks'
      : `${rollbacks.length} rollback${rollbacks.length > 1 ? 's' : ''}: ${rollbacks.map((e) => `\`${e.from_version ?? '?'}\` → \`${e.version ?? '?'}\` (${e.reason})`).join('; ')}`;
  const alerts = r.alerts.length === 0 ? 'no alerts' : `${r.alerts.length} alert${r.alerts.length > 1 ? 's' : ''} (${[...new Set(r.alerts.map((a) => a.rule))].join(', ')})`;

  const pending = input.approvals.filter((a) => a.status === 'pending' && a.created_at <= r.ended_at).map((a) => `\`${a.id}\``);
  const opened = r.approvals_opened.length;
  const approvals =
    opened === 0 && pending.length === 0
      ? 'No approvals pending.'
      : `Approvals: ${opened} opened this cycle; ${pending.length} pending${pending.length > 0 ? ` (${pending.join(', ')})` : ''}.`;
  return [ran, active, q, `${rb}; ${alerts}.`, approvals];
}
