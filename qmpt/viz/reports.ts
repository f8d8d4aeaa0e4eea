/**
 * The QMPT reports (seed 000 §8): Markdown with its SVG charts beside it,
 * the same bytes for the same input.
 * - anomalyReport: the patterns' Â, R̂_norm and Ô_self summarised (count,
 *   mean, p50/p90/p99, min/max, share at or above τ), the charts, the top-N
 *   anomalies with their components, one row per layer, and the feature
 *   spec / metric versions seen, with a warning when they are mixed;
 * - simulationReport (simulation-report.ts): a layer's trajectory.
 * writeReport puts either into a folder (report.md + the SVGs).
 */
import { badArgument } from '../../operators/stats/check.ts';
import type { Pattern } from '../types.ts';
import { chartLink, fmt, mdCode, mdTable, mdText, plural, type QmptReport } from './markdown.ts';
import {
  checkThreshold,
  FEATURE_SPEC,
  patternList,
  summarizeLayers,
  summarizeScores,
  tallyVersions,
  topAnomalies,
  versionWarnings,
  type PatternInput,
  type ScoreSummary,
} from './pattern-scores.ts';
import { plotAnomalyHist, plotAnomalyVsReflexivity } from './plots.ts';

export { simulationReport, TRAJECTORY_CHART, type SimulationReportOptions } from './simulation-report.ts';
export { writeReport, type QmptReport } from './markdown.ts';

/** What the reports read from a configuration; a whole QmptConfig fits. */
export interface ReportConfig {
  metrics?: { anomaly?: { threshold?: number } };
}

export interface AnomalyReportOptions {
  patterns: PatternInput;
  /** τ from `metrics.anomaly.threshold` (default 0.8). */
  config?: ReportConfig;
  /** The current configuration's versions, `feature_spec` or a metric name → version: patterns scored otherwise are flagged. */
  versions?: Readonly<Record<string, string>>;
  /** Rows of the top-anomalies table; default 10. */
  top?: number;
  title?: string;
}

export const ANOMALY_CHARTS = { histogram: 'anomaly-histogram.svg', scatter: 'anomaly-vs-reflexivity.svg' } as const;

const SCORE_NAMES: Record<ScoreSummary['field'], string> = { anomaly_score: 'Â', reflexivity: 'R̂_norm', self_operator: 'Ô_self' };
const MAX_TOP = 1000;

function summaryTable(summaries: readonly ScoreSummary[]): string {
  const rows = summaries.map((s) => [
    SCORE_NAMES[s.field],
    String(s.scored),
    String(s.unscored),
    fmt(s.mean),
    fmt(s.p50),
    fmt(s.p90),
    fmt(s.p99),
    fmt(s.min),
    fmt(s.max),
    s.atOrAbove === null || s.scored === 0 ? '–' : fmt(s.atOrAbove / s.scored),
  ]);
  return mdTable(['score', 'scored', 'unscored', 'mean', 'p50', 'p90', 'p99', 'min', 'max', 'share ≥ τ'], rows, [false, ...Array<boolean>(9).fill(true)]);
}

/** The top anomalies with their scores and a column per component (in the order the patterns name them). */
function topTable(top: readonly Pattern[]): string {
  if (top.length === 0) return 'No pattern has an Â.';
  const components: string[] = [];
  for (const p of top) for (const k of Object.keys(p.components ?? {})) if (!components.includes(k)) components.push(k);
  const rows = top.map((p, i) => [
    String(i + 1),
    mdText(p.pattern_id),
    mdText(p.layer_id),
    fmt(p.anomaly_score),
    fmt(p.reflexivity),
    fmt(p.self_operator),
    ...components.map((c) => fmt(p.components?.[c])),
  ]);
  const header = ['rank', 'pattern_id', 'layer', 'Â', 'R̂_norm', 'Ô_self', ...components.map(mdText)];
  return mdTable(header, rows, header.map((_, i) => i === 0 || i >= 3));
}

function layerTable(patterns: readonly Pattern[], threshold: number): string {
  const rows = summarizeLayers(patterns, threshold).map((l) => [
    mdText(l.layer_id),
    String(l.patterns),
    String(l.scored),
    String(l.anomalous),
    l.scored === 0 ? '–' : fmt(l.anomalous / l.scored),
    fmt(l.meanAnomaly),
    fmt(l.maxAnomaly),
    fmt(l.meanReflexivity),
    fmt(l.meanSelfOperator),
  ]);
  if (rows.length === 0) return 'No patterns.';
  return mdTable(['layer', 'patterns', 'scored', 'Â ≥ τ', 'share ≥ τ', 'mean Â', 'max Â', 'mean R̂_norm', 'mean Ô_self'], rows, [false, ...Array<boolean>(8).fill(true)]);
}

function versionSection(patterns: readonly Pattern[], expected: Readonly<Record<string, string>>): string {
  const tally = tallyVersions(patterns);
  const rows = [...tally].flatMap(([what, versions]) =>
    [...versions].map(([v, n]) => [what === FEATURE_SPEC ? 'feature spec' : mdText(what), v === null ? 'unrecorded' : mdCode(v), String(n), expected[what] === undefined ? '' : v === expected[what] ? 'yes' : 'no']),
  );
  const hasExpected = Object.keys(expected).length > 0;
  const table =
    rows.length === 0
      ? 'No patterns.'
      : mdTable(['scored by', 'version', 'patterns', ...(hasExpected ? ['current'] : [])], hasExpected ? rows : rows.map((r) => r.slice(0, 3)), [false, false, true]);
  const current = Object.entries(expected).map(([what, v]) => `${what === FEATURE_SPEC ? 'feature spec' : mdText(what)} ${mdCode(v)}`);
  return current.length === 0 ? table : `Current versions: ${current.join(', ')}.\n\n${table}`;
}

/** The anomaly report of a set of scored patterns: Markdown and its two charts. */
export async function anomalyReport(options: AnomalyReportOptions): Promise<QmptReport> {
  const top = options.top ?? 10;
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) throw badArgument('anomalyReport', 'top', `must be an integer in 1..${MAX_TOP}, got ${String(top)}`);
  const threshold = checkThreshold('anomalyReport', options.config?.metrics?.anomaly?.threshold);
  const patterns = patternList(options.patterns);
  const summaries = [summarizeScores(patterns, 'anomaly_score', threshold), summarizeScores(patterns, 'reflexivity'), summarizeScores(patterns, 'self_operator')];
  const anomaly = summaries[0]!;
  const expected = options.versions ?? {};
  const warnings = versionWarnings(tallyVersions(patterns), expected);
  const layers = new Set(patterns.map((p) => p.layer_id)).size;
  const charts = {
    [ANOMALY_CHARTS.histogram]: await plotAnomalyHist(patterns, { threshold }),
    [ANOMALY_CHARTS.scatter]: await plotAnomalyVsReflexivity(patterns, { threshold }),
  };
  const anomalous = anomaly.atOrAbove ?? 0;
  const shown = topAnomalies(patterns, top);
  const intro = [
    `${plural(patterns.length, 'pattern')} in ${plural(layers, 'layer')}; anomaly threshold τ = ${fmt(threshold)}.`,
    `${plural(anomalous, 'pattern')} at or above τ; ${plural(anomaly.unscored, 'pattern')} unscored (no Â).`,
  ].join(' ');
  const parts = [
    `# ${mdText(options.title ?? 'Anomaly report')}`,
    intro,
    ...warnings.map((w) => `> **Warning:** ${mdText(w)}`),
    '## Summary',
    'Quantiles by linear interpolation between order statistics (numpy\'s default); each score over the patterns that have it. "share ≥ τ" only for Â: τ is its threshold.',
    summaryTable(summaries),
    '## Charts',
    `${chartLink('Histogram of Â', ANOMALY_CHARTS.histogram)}\n\n${chartLink('Â against R̂_norm', ANOMALY_CHARTS.scatter)}`,
    `## Top ${shown.length} anomalies`,
    'Highest Â first (ties by pattern_id), with the components behind the scores.',
    topTable(shown),
    '## Layers',
    layerTable(patterns, threshold),
    '## Versions',
    versionSection(patterns, expected),
  ];
  return { markdown: `${parts.join('\n\n')}\n`, charts };
}
