/**
 * Text formatting of the cycle reports: numbers by unit (ratios 3 decimals,
 * milliseconds whole, tokens 1 decimal), UTC times (never the machine's time
 * zone, so a report is the same bytes everywhere) and Markdown tables.
 */
import { METRICS, type MetricName } from '../teacher/catalogue.ts';

const NONE = '–';

/** A fixed-decimal figure without a "-0.000" for tiny negatives. */
function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

function digitsOf(metric: MetricName): number {
  const unit = METRICS[metric].unit;
  return unit === 'ratio' ? 3 : unit === 'ms' ? 0 : 1;
}

/** A metric's figure as its unit reads best; `–` when there is none. */
export function formatMetric(metric: MetricName, v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NONE : fixed(v, digitsOf(metric));
}

/** A signed difference of a metric (`+0.012`, `-35`). */
export function formatMetricDelta(metric: MetricName, d: number): string {
  const s = fixed(d, digitsOf(metric));
  return s.startsWith('-') || /^0(\.0+)?$/.test(s) ? s : `+${s}`;
}

/** Q(θ): 3 decimals. */
export function formatQ(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NONE : fixed(v, 3);
}

export function formatQDelta(d: number): string {
  const s = fixed(d, 3);
  return s.startsWith('-') || s === '0.000' ? s : `+${s}`;
}

/** A parameter value: integers as they are, other numbers to at most 4 significant digits. */
export function formatParam(v: number | string): string {
  if (typeof v === 'string') return v;
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** `2026-11-22 10:15:03 UTC`. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `4 min 12 s`, `850 ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : '', s % 60 > 0 || s < 60 ? `${s % 60} s` : ''];
  return parts.filter(Boolean).join(' ');
}

/** A table cell: pipes escaped, line breaks flattened. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** A Markdown table; `right` marks the numeric columns. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (right[i] ? '---:' : '---')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A metric's column heading: its title and, for non-ratios, its unit. */
export function metricHeading(metric: MetricName): string {
  const d = METRICS[metric];
  return d.unit === 'ratio' ? d.title : `${d.title} (${d.unit})`;
}
