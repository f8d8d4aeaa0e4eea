/**
 * A layer's trajectory as one chart (docs/QMPT.md §6–§7): stress σ,
 * protection P and, where the states carry it, coherence c as lines on
 * [0, 1] over t, with a gap where a state has no value (an empty window);
 * each intervention a dashed vertical rule labelled along it; beneath, a
 * strip coloured by regime on the same t axis.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, panelTitle, WIDTH } from '../../control/manager/chart-style.ts';
import { renderSvg } from '../../control/manager/vega-svg.ts';
import type { Layer } from '../types.ts';
import { noDataSpec } from './no-data.ts';
import { orderRegimes, readTrajectory, regimeSpans, type SeriesKey, type TrajectoryPoint } from './trajectory.ts';

export interface TrajectoryPlotOptions {
  title?: string;
}

const SERIES: readonly { key: SeriesKey; label: string; color: string }[] = [
  { key: 'stress', label: 'stress σ', color: '#f58518' },
  { key: 'protection', label: 'protection P', color: '#4c78a8' },
  { key: 'coherence', label: 'coherence c', color: '#54a24b' },
];

/** Calm to alarming; a regime outside §6 is grey. */
const REGIME_COLORS: Readonly<Record<string, string>> = {
  stable: '#c7e9c0',
  strained: '#fdd49e',
  critical: '#fc8d59',
  breached: '#b30000',
  empty: '#eeeeee',
};
const OTHER_REGIME_COLOR = '#bdbdbd';
const INTERVENTION_COLOR = '#555555';
const PLOT_HEIGHT = 220;
/** Beyond this many states the points would hide the lines. */
const MAX_POINTS_DRAWN = 60;
/** Beyond this many states the lines are thinned (thinSeries): a line of 10⁵ states is 4 MB of SVG and seconds of rendering. */
export const MAX_LINE_STATES = 4000;

/** `20`, `0.1`, `12.35`: t as it reads best (at most 3 decimals). */
export function formatTime(t: number): string {
  return String(Number(t.toFixed(3)));
}

function tAxisDomain(points: readonly TrajectoryPoint[]): [number, number] {
  const first = points[0]!.t;
  const last = points[points.length - 1]!.t;
  return last > first ? [first, last] : [first - 0.5, first + 0.5];
}

export interface LineRow {
  t: number;
  series: string;
  value: number | null;
}

/**
 * The rows of one series' line. Up to MAX_LINE_STATES states, one per state;
 * beyond, the states are cut into MAX_LINE_STATES / 2 equal runs and each
 * keeps its minimum, its maximum and its first null (so that the extremes
 * and the gaps survive), in time order.
 */
export function thinSeries(points: readonly TrajectoryPoint[], key: SeriesKey, series: string): LineRow[] {
  const n = points.length;
  if (n <= MAX_LINE_STATES) return points.map((p) => ({ t: p.t, series, value: p[key] }));
  const runs = MAX_LINE_STATES / 2;
  const rows: LineRow[] = [];
  for (let b = 0; b < runs; b++) {
    const hi = Math.floor(((b + 1) * n) / runs);
    let iMin = -1;
    let iMax = -1;
    let iNull = -1;
    for (let j = Math.floor((b * n) / runs); j < hi; j++) {
      const v = points[j]![key];
      if (v === null) {
        if (iNull < 0) iNull = j;
      } else {
        if (iMin < 0 || v < points[iMin]![key]!) iMin = j;
        if (iMax < 0 || v > points[iMax]![key]!) iMax = j;
      }
    }
    for (const j of [...new Set([iMin, iMax, iNull])].filter((i) => i >= 0).sort((x, y) => x - y)) rows.push({ t: points[j]!.t, series, value: points[j]![key] });
  }
  return rows;
}

export function layerTrajectorySpec(layer: Layer, points: readonly TrajectoryPoint[], title = `Trajectory of layer ${layer.layer_id}`): TopLevelSpec {
  if (points.length === 0) return noDataSpec(title, ['the layer has no states']);
  const series = SERIES.filter((s) => points.some((p) => p[s.key] !== null));
  // Null values stay in: the line breaks there instead of bridging the gap.
  const rows = series.flatMap((s) => thinSeries(points, s.key, s.label));
  const thinned = points.length > MAX_LINE_STATES ? `; lines: min and max of ${MAX_LINE_STATES / 2} runs of states` : '';
  const byT = new Map<number, string[]>();
  for (const p of points) for (const iv of p.interventions) byT.set(iv.t ?? p.t, [...(byT.get(iv.t ?? p.t) ?? []), iv.label]);
  const interventions = [...byT].map(([t, labels]) => ({ t, label: labels.join('; ') }));
  const spans = regimeSpans(points);
  const regimes = orderRegimes(spans.map((s) => s.regime));
  const domain = tAxisDomain(points);
  const x = (axis: boolean) =>
    ({
      field: 't',
      type: 'quantitative',
      title: axis ? 't' : null,
      scale: { domain, nice: false, zero: false },
      axis: axis ? { tickCount: 8 } : { labels: false, ticks: false, domain: false, title: null },
    }) as const;
  const ruleX = { field: 't', type: 'quantitative' } as const;
  const n = points.reduce((sum, p) => sum + p.interventions.length, 0);
  return {
    title: {
      text: title,
      subtitle: `${points.length} states, t ${formatTime(points[0]!.t)} → ${formatTime(points[points.length - 1]!.t)}; ${n === 0 ? 'no interventions' : `${n} intervention${n === 1 ? '' : 's'} (dashed)`}${thinned}`,
    },
    background: 'white',
    config: CONFIG,
    vconcat: [
      {
        width: WIDTH,
        height: PLOT_HEIGHT,
        layer: [
          {
            data: { values: rows },
            name: 'series',
            mark: { type: 'line', strokeWidth: 2, point: points.length <= MAX_POINTS_DRAWN },
            encoding: {
              x: x(false),
              y: { field: 'value', type: 'quantitative', title: 'value (0–1)', scale: { domain: [0, 1], nice: false } },
              color: { field: 'series', type: 'nominal', title: null, scale: { domain: series.map((s) => s.label), range: series.map((s) => s.color) } },
            },
          },
          ...(interventions.length === 0
            ? []
            : [
                { data: { values: interventions }, name: 'interventions', mark: { type: 'rule', color: INTERVENTION_COLOR, strokeDash: [4, 3], strokeWidth: 1.2 }, encoding: { x: ruleX } },
                {
                  data: { values: interventions },
                  mark: { type: 'text', angle: 270, align: 'right', baseline: 'bottom', dx: -4, dy: -3, fontSize: 10, limit: PLOT_HEIGHT - 12, color: INTERVENTION_COLOR },
                  encoding: { x: ruleX, y: { value: 0 }, text: { field: 'label' } },
                },
              ]),
        ],
      },
      {
        title: panelTitle('regime'),
        width: WIDTH,
        height: 16,
        data: { values: spans },
        name: 'regimes',
        mark: { type: 'rect' },
        encoding: {
          x: { ...x(true), field: 'start' },
          x2: { field: 'end' },
          color: { field: 'regime', type: 'nominal', title: 'regime', scale: { domain: regimes, range: regimes.map((r) => REGIME_COLORS[r] ?? OTHER_REGIME_COLOR) } },
        },
      },
    ],
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  } as TopLevelSpec;
}

/** σ and P (and coherence) of the layer over t, interventions as rules, the regime as a strip beneath. */
export async function plotLayerTrajectory(layer: Layer, options: TrajectoryPlotOptions = {}): Promise<string> {
  return renderSvg(layerTrajectorySpec(layer, readTrajectory(layer), options.title), 'trajectory');
}
