/**
 * The charts of a cycle report as Vega-Lite specs, rendered to SVG
 * (vega-svg.ts). Each is a function of the report input alone:
 * - trends: Q and the goal's primary metrics of the active version by
 *   cycle, one panel per unit (a ratio and a latency on one axis would hide
 *   each other), targets as dashed rules;
 * - variants: the arms of the cycle's experiment, Q and primary metrics as
 *   grouped bars, the winner outlined;
 * - params: each numeric allowed factor of the active version by cycle as a
 *   step line, rollbacks as red rules;
 * - sensitivity: each factor's share of the effect on each metric.
 * The cycle axis is ordinal: every cycle gets a slot and a label.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { NumericFactor } from '../../operators/maas/params.ts';
import { METRICS } from '../teacher/catalogue.ts';
import type { CycleRecord } from '../types.ts';
import {
  ARM_PALETTE,
  CONFIG,
  cycleAxis,
  FACTOR_UNITS,
  metricColor,
  metricSeries,
  panelTitle,
  PANEL_HEIGHT,
  Q_COLOR,
  qSeries,
  ROLLBACK_COLOR,
  STEP_COLOR,
  UNIT_PANELS,
  WIDTH,
  type Series,
} from './chart-style.ts';
import {
  activeArm,
  cyclesUpTo,
  numericAllowedFactors,
  paramsOf,
  rollbackCycles,
  winnerArm,
  type ReportInput,
} from './report-data.ts';
import { renderSvg } from './vega-svg.ts';

export type ChartKind = 'trends' | 'variants' | 'params' | 'sensitivity';

export interface ChartSpec {
  kind: ChartKind;
  title: string;
  spec: TopLevelSpec;
}

export interface RenderedChart {
  kind: ChartKind;
  title: string;
  svg: string;
}

/** 1. Q and each primary metric of the active version across cycles. */
export function trendsChart(input: ReportInput): ChartSpec {
  const cycles = cyclesUpTo(input);
  const series: { s: Series; value: (r: CycleRecord) => number | null; target: number | null }[] = [
    { s: qSeries(), value: (r) => activeArm(r)?.q ?? null, target: null },
    ...input.goal.primary.map((p) => ({ s: metricSeries(p.metric), value: (r: CycleRecord) => activeArm(r)?.metrics[p.metric] ?? null, target: p.target })),
  ];
  const panels = UNIT_PANELS.filter((u) => series.some((x) => x.s.unit === u.unit)).map((u) => {
    const mine = series.filter((x) => x.s.unit === u.unit);
    const points = cycles.flatMap((r) => mine.map((x) => ({ cycle: r.cycle, type: r.type, series: x.s.label, value: x.value(r) })).filter((p) => p.value !== null));
    const targets = mine.filter((x) => x.target !== null).map((x) => ({ series: x.s.label, target: x.target, label: `target ${x.target}` }));
    // A panel of one series (Q) needs no legend: its title names it.
    const color = {
      field: 'series',
      type: 'nominal',
      title: u.title,
      scale: { domain: mine.map((x) => x.s.label), range: mine.map((x) => x.s.color) },
      ...(mine.length === 1 ? { legend: null } : {}),
    } as const;
    const y = { field: 'value', type: 'quantitative', title: u.axis, ...(u.unit === 'ratio' ? { scale: { domain: [0, 1] } } : { scale: { zero: false } }) } as const;
    return {
      title: panelTitle(u.title),
      width: WIDTH,
      height: PANEL_HEIGHT,
      layer: [
        { data: { values: points }, mark: { type: 'line', strokeWidth: 2 }, encoding: { x: cycleAxis(cycles), y, color } },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 55 },
          encoding: { x: cycleAxis(cycles), y, color },
        },
        ...(targets.length === 0
          ? []
          : [
              { data: { values: targets }, mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { y: { field: 'target', type: 'quantitative' }, color } },
              {
                data: { values: targets },
                mark: { type: 'text', align: 'left', baseline: 'bottom', dy: -3, fontSize: 10 },
                encoding: { x: { value: 4 }, y: { field: 'target', type: 'quantitative' }, text: { field: 'label' }, color },
              },
            ]),
      ],
    };
  });
  const title = 'Metric trends of the active version';
  return {
    kind: 'trends',
    title,
    spec: {
      title: { text: title, subtitle: `goal ${input.goal.id}; dashed lines: targets` },
      background: 'white',
      config: CONFIG,
      vconcat: panels,
      resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    } as TopLevelSpec,
  };
}

/** 2. The arms of the cycle's experiment side by side; null for a cycle with fewer than two arms. */
export function variantsChart(input: ReportInput): ChartSpec | null {
  const { record } = input;
  if (record.arms.length < 2) return null;
  const winner = winnerArm(record, input.approvals);
  const labelOf = (arm: string, feasible: boolean): string => `${arm}${winner?.arm === arm ? ' (winner)' : ''}${feasible ? '' : ' (infeasible)'}`;
  const arms = record.arms.map((a) => ({ arm: a, label: labelOf(a.arm, a.feasible), win: winner?.arm === a.arm }));
  const armColor = {
    field: 'arm',
    type: 'nominal',
    title: `arm (${record.experiment_id ?? 'experiment'})`,
    scale: { domain: arms.map((a) => a.label), range: arms.map((_, i) => ARM_PALETTE[i % ARM_PALETTE.length] as string) },
  } as const;
  const highlight = {
    opacity: { condition: { test: 'datum.win', value: 1 }, value: 0.55 },
    strokeWidth: { condition: { test: 'datum.win', value: 2.5 }, value: 0 },
  } as const;
  // A metric's group is at least as wide as its label (~7 px a character at 11 px).
  const step = (labels: readonly string[]): number => Math.max(30, Math.ceil((Math.max(...labels.map((l) => l.length)) * 7) / arms.length));
  const bars = (rows: object[], axis: string, height: number, metrics: readonly string[] | null, format: string) => ({
    data: { values: rows },
    width: { step: metrics ? step(metrics) : 44 },
    height,
    layer: [
      {
        mark: { type: 'bar', stroke: '#111111' },
        encoding: {
          x: metrics
            ? { field: 'metric', type: 'nominal', title: null, sort: metrics, axis: { labelAngle: 0 }, scale: { paddingInner: 0.25 } }
            : { field: 'arm', type: 'nominal', title: 'arm', sort: null, axis: { labels: false, ticks: false } },
          ...(metrics ? { xOffset: { field: 'arm', type: 'nominal', sort: null } } : {}),
          y: { field: 'value', type: 'quantitative', title: axis },
          color: armColor,
          ...highlight,
        },
      },
      {
        mark: { type: 'text', dy: -5, fontSize: 10, baseline: 'bottom' },
        encoding: {
          x: metrics ? { field: 'metric', type: 'nominal', sort: metrics } : { field: 'arm', type: 'nominal', sort: null },
          ...(metrics ? { xOffset: { field: 'arm', type: 'nominal', sort: null } } : {}),
          y: { field: 'value', type: 'quantitative' },
          text: { field: 'value', type: 'quantitative', format },
        },
      },
    ],
  });
  const qRows = arms.filter((a) => a.arm.q !== null).map((a) => ({ arm: a.label, win: a.win, value: a.arm.q }));
  const panels: object[] = [{ title: panelTitle('Q(θ)'), ...bars(qRows, 'Q (score)', 220, null, '.3f') }];
  for (const u of UNIT_PANELS.filter((p) => p.unit !== 'score')) {
    const metrics = input.goal.primary.map((p) => p.metric).filter((m) => METRICS[m].unit === u.unit);
    const rows = metrics.flatMap((m) =>
      arms.map((a) => ({ metric: METRICS[m].title, arm: a.label, win: a.win, value: a.arm.metrics[m] ?? null })).filter((r) => r.value !== null),
    );
    const titles = metrics.map((m) => METRICS[m].title);
    if (rows.length > 0) panels.push({ title: panelTitle(u.title), ...bars(rows, u.axis, 220, titles, u.unit === 'ratio' ? '.3f' : '.0f') });
  }
  const title = `Arms of cycle ${record.cycle}`;
  return {
    kind: 'variants',
    title,
    spec: {
      title: { text: title, subtitle: `${record.experiment_id ?? 'experiment'}: verdict ${record.verdict ?? 'none'}${winner ? `; winner outlined: ${winner.arm}` : ''}` },
      background: 'white',
      config: CONFIG,
      hconcat: panels,
      resolve: { scale: { color: 'shared', y: 'independent' } },
    } as TopLevelSpec,
  };
}

/** The values' span with a margin, never beyond the factor's range; a constant gets 5 % of the range each side. */
function paddedDomain(f: NumericFactor, values: readonly number[]): [number, number] {
  if (values.length === 0) return [f.min, f.max];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = hi > lo ? (hi - lo) * 0.15 : (f.max - f.min) * 0.05;
  return [Math.max(f.min, lo - pad), Math.min(f.max, hi + pad)];
}

/** 3. Each numeric allowed factor of the active version by cycle; null when the goal allows none. */
export function paramsChart(input: ReportInput): ChartSpec | null {
  const factors = numericAllowedFactors(input.goal);
  if (factors.length === 0) return null;
  const cycles = cyclesUpTo(input);
  const rollbacks = rollbackCycles(cycles, input.audit.filter((e) => e.at <= input.record.ended_at)).map((cycle) => ({ cycle }));
  const rolledBack = new Set(rollbacks.map((r) => r.cycle));
  const panels = factors.map((f, i) => {
    const rows = cycles.flatMap((r) => {
      const value = paramsOf(input.versions, r.active_after)?.[f.name];
      return typeof value === 'number' ? [{ cycle: r.cycle, value, version: r.active_after, rollback: rolledBack.has(r.cycle) }] : [];
    });
    const x = cycleAxis(cycles, i === factors.length - 1);
    const y = {
      field: 'value',
      type: 'quantitative',
      title: FACTOR_UNITS[f.name] ?? 'value',
      scale: { domain: paddedDomain(f, rows.map((r) => r.value)), nice: false },
      axis: { tickCount: 3, ...(f.type === 'integer' ? { format: ',d', tickMinStep: 1 } : { format: ',.2~f' }) },
    } as const;
    return {
      title: panelTitle(f.name),
      width: WIDTH,
      height: 80,
      layer: [
        { data: { values: rows }, mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, color: STEP_COLOR }, encoding: { x, y } },
        ...(rollbacks.length === 0
          ? []
          : [{ data: { values: rollbacks }, mark: { type: 'rule', color: ROLLBACK_COLOR, strokeWidth: 2, strokeDash: [4, 3] }, encoding: { x } }]),
        {
          data: { values: rows },
          mark: { type: 'point', filled: true, size: 45, opacity: 1 },
          encoding: { x, y, color: { condition: { test: 'datum.rollback', value: ROLLBACK_COLOR }, value: STEP_COLOR } },
        },
      ],
    };
  });
  const title = 'Parameter history of the active version';
  const marked = rollbacks.length === 0 ? 'no rollbacks' : `red: rollback in cycle ${rollbacks.map((r) => r.cycle).join(', ')}`;
  return {
    kind: 'params',
    title,
    spec: { title: { text: title, subtitle: `value at the end of each cycle; ${marked}` }, background: 'white', config: CONFIG, vconcat: panels } as TopLevelSpec,
  };
}

/** 4. Each factor's share of each metric's (or Q's) sensitivity; null when the cycle has none. */
export function sensitivityChart(input: ReportInput): ChartSpec | null {
  const ranking = (input.record.sensitivity ?? []).filter((s) => s.factors.length > 0);
  if (ranking.length === 0) return null;
  const panels = ranking.map((s) => ({
    title: panelTitle(s.metric === 'q' ? 'Q(θ)' : METRICS[s.metric].title),
    width: 420,
    height: { step: 20 },
    data: { values: s.factors.map((f) => ({ factor: f.factor, share: f.share })) },
    layer: [
      {
        mark: { type: 'bar', color: s.metric === 'q' ? Q_COLOR : metricColor(s.metric) },
        encoding: {
          y: { field: 'factor', type: 'nominal', title: 'factor', sort: '-x' },
          x: { field: 'share', type: 'quantitative', title: 'share of the effect (%)', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 },
        encoding: { y: { field: 'factor', type: 'nominal', sort: '-x' }, x: { field: 'share', type: 'quantitative' }, text: { field: 'share', type: 'quantitative', format: '.0%' } },
      },
    ],
  }));
  const title = `Sensitivity of cycle ${input.record.cycle}`;
  return {
    kind: 'sensitivity',
    title,
    spec: { title: { text: title, subtitle: 'which impact factor drives each metric' }, background: 'white', config: CONFIG, vconcat: panels } as TopLevelSpec,
  };
}

/** The cycle's charts in report order, rendered one after another. */
export async function renderCharts(input: ReportInput): Promise<RenderedChart[]> {
  const specs = [trendsChart(input), variantsChart(input), paramsChart(input), sensitivityChart(input)].filter((c): c is ChartSpec => c !== null);
  const out: RenderedChart[] = [];
  for (const c of specs) out.push({ kind: c.kind, title: c.title, svg: await renderSvg(c.spec, `c${input.record.cycle}-${c.kind}`) });
  return out;
}
