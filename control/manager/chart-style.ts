/**
 * The look shared by the report charts: sizes, colours (one fixed colour per
 * metric, red kept for rollbacks), fonts, the unit panels and the cycle axis.
 */
import type { MaasParams } from '../../operators/maas/types.ts';
import { METRIC_NAMES, METRICS, type MetricName } from '../teacher/catalogue.ts';
import type { CycleRecord } from '../types.ts';

export const WIDTH = 560;
export const PANEL_HEIGHT = 150;
export const Q_COLOR = '#222222';
export const ROLLBACK_COLOR = '#d62728';
export const STEP_COLOR = '#4c78a8';
/** What a factor's value counts, for its axis title (weights and temperature have no unit). */
export const FACTOR_UNITS: Partial<Record<keyof MaasParams, string>> = {
  top_k: 'memories',
  relevance_weight: 'weight',
  recency_weight: 'weight',
  keyword_count: 'keywords',
  token_budget: 'tokens',
  temperature: 'temperature',
  archivist_min_importance: 'importance',
  archivist_max_per_message: 'memories',
};
/** Tableau 10 without its red (red means rollback here); one fixed colour per metric. */
const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#eeca3b', '#72b7b2', '#ff9da6', '#9d755d', '#bab0ac', '#2f4b7c'];
export const ARM_PALETTE = ['#9d9d9d', '#4c78a8', '#f58518', '#54a24b', '#b279a2', '#72b7b2', '#eeca3b', '#9d755d'];

export const CONFIG = {
  font: 'sans-serif',
  title: { fontSize: 15, anchor: 'start', offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 220 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#dddddd' },
} as const;

/** A panel's title, aligned with its plot's left edge (not its axis labels'). */
export function panelTitle(text: string) {
  return { text, fontSize: 12, frame: 'group' } as const;
}

export function metricColor(metric: MetricName): string {
  return PALETTE[METRIC_NAMES.indexOf(metric) % PALETTE.length] as string;
}

/** Panels by unit, in this order, with the y-axis title each reads. */
export const UNIT_PANELS = [
  { unit: 'score', title: 'Q(θ)', axis: 'Q (score)' },
  { unit: 'ratio', title: 'Ratios', axis: 'value (ratio, 0–1)' },
  { unit: 'ms', title: 'Latency', axis: 'latency (ms)' },
  { unit: 'tokens', title: 'Cost', axis: 'tokens per run' },
] as const;
export type PanelUnit = (typeof UNIT_PANELS)[number]['unit'];

export interface Series {
  label: string;
  unit: PanelUnit;
  color: string;
}

export function qSeries(): Series {
  return { label: 'Q(θ)', unit: 'score', color: Q_COLOR };
}

export function metricSeries(metric: MetricName): Series {
  return { label: METRICS[metric].title, unit: METRICS[metric].unit, color: metricColor(metric) };
}

/** The cycle axis: one slot per cycle, labelled with its number and type (`3` over `deep`). */
export function cycleAxis(cycles: readonly CycleRecord[], title = true) {
  const types = JSON.stringify(Object.fromEntries(cycles.map((r) => [String(r.cycle), r.type])));
  return {
    field: 'cycle',
    type: 'ordinal',
    title: title ? 'cycle' : null,
    scale: { domain: cycles.map((r) => r.cycle) },
    axis: { labelAngle: 0, labelOverlap: true, labelExpr: `[datum.label, ${types}[datum.label]]`, labelLineHeight: 13 },
  } as const;
}
