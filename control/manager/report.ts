/**
 * The Manager's report of one cycle: `cycle-NNNN.md` with its charts beside it
 * (`cycle-NNNN-<chart>.svg`), the same bytes for the same input.
 * Layout of the Markdown:
 * 1. `# Cycle N (type)` with the end time (UTC), the goal and the cycle's span;
 * 2. Summary, at most five lines: what ran and the verdict, the active version
 *    before → after with its changed factors, Q before → after and goal targets
 *    met, rollbacks and alerts, approvals opened and pending;
 * 3. Charts: trends (Q and primary metrics by cycle, targets dashed), arms of
 *    the experiment (winner outlined), parameter history (rollbacks in red),
 *    sensitivity (deep cycles); only the charts the cycle has;
 * 4. Tables: arms (runs, Q, feasible, violations, goal metrics), decisions,
 *    parameter changes, audit entries, alerts, approvals;
 * 5. Goal progress: each primary metric against its target (met / not met)
 *    and each constraint (within / broken), from the active version's figures.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { METRICS, type MetricName } from '../teacher/catalogue.ts';
import type { ReportInfo } from '../types.ts';
import { renderCharts, type RenderedChart } from './charts.ts';
import { formatDuration, formatMetric, formatQ, formatTime, mdTable, metricHeading } from './format.ts';
import { activeArm, cycleAudit, paramChanges, paramsOf, targetMet, type ReportInput } from './report-data.ts';
import { armsTable, summaryLines } from './report-summary.ts';

export type { ReportInput } from './report-data.ts';

export interface CycleReport {
  markdown: string;
  /** File name (`cycle-0003-trends.svg`) → SVG text. */
  charts: Record<string, string>;
}

/** `cycle-0003`: the stem of a cycle's file names (sorts by cycle up to 9999). */
export function cycleStem(cycle: number): string {
  return `cycle-${String(cycle).padStart(4, '0')}`;
}

/** The report of `input.record`: Markdown and the SVG charts it links. Async because vega renders asynchronously. */
export async function renderCycleReport(input: ReportInput): Promise<CycleReport> {
  const stem = cycleStem(input.record.cycle);
  const rendered = await renderCharts(input);
  const charts: Record<string, string> = {};
  for (const c of rendered) charts[chartFile(stem, c)] = c.svg;
  return { markdown: markdown(input, stem, rendered), charts };
}

function chartFile(stem: string, c: RenderedChart): string {
  return `${stem}-${c.kind}.svg`;
}

function markdown(input: ReportInput, stem: string, charts: readonly RenderedChart[]): string {
  const { record: r, goal } = input;
  const span = `${formatTime(r.started_at)} → ${formatTime(r.ended_at)} (${formatDuration(r.ended_at - r.started_at)})`;
  const parts = [
    `# Cycle ${r.cycle} (${r.type}): ${formatTime(r.ended_at)}`,
    `Goal \`${goal.id}\`: ${goal.description.trim().replace(/\.$/, '')}. Ran ${span}.`,
    '## Summary',
    summaryLines(input).map((l) => `- ${l}`).join('\n'),
    '## Charts',
    charts.map((c) => `![${c.title}](${chartFile(stem, c)})`).join('\n\n'),
    '## Arms',
    armsTable(input),
    '## Decisions',
    r.decisions.length === 0 ? 'None.' : mdTable(['#', 'decision'], r.decisions.map((d, i) => [String(i + 1), d]), [true]),
    '## Parameter changes',
    changesSection(input),
    '## Audit',
    auditSection(input),
    '## Alerts',
    alertsSection(input),
    '## Approvals',
    approvalsSection(input),
    '## Goal progress',
    goalSection(input),
  ];
  return `${parts.join('\n\n')}\n`;
}

function changesSection(input: ReportInput): string {
  const { record: r, versions } = input;
  if (r.active_after === r.active_before) return `None: \`${r.active_after}\` stays active.`;
  const changes = paramChanges(paramsOf(versions, r.active_before), paramsOf(versions, r.active_after));
  const head = `Active version \`${r.active_before}\` → \`${r.active_after}\`.`;
  if (changes.length === 0) return `${head} No factor differs${paramsOf(versions, r.active_after) ? '' : ' (version not found)'}.`;
  return `${head}\n\n${mdTable(['parameter', `before (${r.active_before})`, `after (${r.active_after})`], changes.map((c) => [c.param, String(c.from), String(c.to)]), [false, true, true])}`;
}

function auditSection(input: ReportInput): string {
  const rows = cycleAudit(input.record, input.audit).map((e) => [
    String(e.seq),
    formatTime(e.at),
    e.action,
    e.version ?? '–',
    e.from_version ?? '–',
    e.initiator,
    e.reason,
  ]);
  return rows.length === 0 ? 'No entries in this cycle.' : mdTable(['seq', 'time', 'action', 'version', 'from', 'initiator', 'reason'], rows, [true]);
}

function alertsSection(input: ReportInput): string {
  const rows = input.record.alerts.map((a) => [
    a.rule,
    METRICS[a.metric].title,
    a.version,
    a.reference_version ?? '–',
    formatMetric(a.metric, a.observed),
    formatMetric(a.metric, a.threshold),
    String(a.windows),
    a.reason,
  ]);
  return rows.length === 0 ? 'None.' : mdTable(['rule', 'metric', 'version', 'reference', 'observed', 'threshold', 'windows', 'reason'], rows, [false, false, false, false, true, true, true]);
}

function approvalsSection(input: ReportInput): string {
  const opened = new Set(input.record.approvals_opened);
  const shown = input.approvals
    .filter((a) => opened.has(a.id) || (a.status === 'pending' && a.created_at <= input.record.ended_at))
    .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
  const rows = shown.map((a) => [
    a.id,
    String(a.cycle),
    `${a.from_version} → ${a.version}`,
    a.changes.map((c) => `${c.param} ${c.from} → ${c.to}`).join(', '),
    a.status,
    a.reason,
  ]);
  return rows.length === 0 ? 'None opened or pending.' : mdTable(['id', 'cycle', 'versions', 'changes', 'status', 'reason'], rows, [false, true]);
}

function goalSection(input: ReportInput): string {
  const arm = activeArm(input.record);
  const value = (m: MetricName): number | null => arm?.metrics[m] ?? null;
  const primary = input.goal.primary.map((p) => {
    const v = value(p.metric);
    const status = v === null ? 'no data' : targetMet(p.metric, v, p.target) ? 'met' : 'not met';
    return [metricHeading(p.metric), `${METRICS[p.metric].direction === 'higher' ? '≥' : '≤'} ${formatMetric(p.metric, p.target)}`, formatMetric(p.metric, v), status];
  });
  const constraints = input.goal.constraints.map((c) => {
    const v = value(c.metric);
    const limit = [c.min === undefined ? '' : `≥ ${formatMetric(c.metric, c.min)}`, c.max === undefined ? '' : `≤ ${formatMetric(c.metric, c.max)}`].filter(Boolean).join(', ');
    const within = v !== null && (c.min === undefined || v >= c.min) && (c.max === undefined || v <= c.max);
    return [metricHeading(c.metric), limit, formatMetric(c.metric, v), v === null ? 'no data' : within ? 'within' : 'broken'];
  });
  const of = arm ? `Figures of \`${arm.version}\` (arm ${arm.arm}, ${arm.runs} runs), Q ${formatQ(arm.q)}.` : 'No figures in this cycle.';
  const tables = [mdTable(['primary metric', 'target', 'value', 'status'], primary, [false, true, true])];
  if (constraints.length > 0) tables.push(mdTable(['constraint', 'limit', 'value', 'status'], constraints, [false, true, true]));
  return [of, ...tables].join('\n\n');
}

/** Writes a file so that readers never see it half-written: a temporary name, then a rename. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

/** Renders the report and writes `cycle-NNNN.md` and its charts into `dir` (created if missing); the Markdown last, so it never links a missing chart. */
export async function writeCycleReport(dir: string, input: ReportInput): Promise<ReportInfo> {
  const report = await renderCycleReport(input);
  await fs.mkdir(dir, { recursive: true });
  for (const [name, svg] of Object.entries(report.charts)) await writeAtomic(path.join(dir, name), svg);
  const file = path.join(dir, `${cycleStem(input.record.cycle)}.md`);
  await writeAtomic(file, report.markdown);
  return { cycle: input.record.cycle, type: input.record.type, created_at: input.record.ended_at, path: file };
}
