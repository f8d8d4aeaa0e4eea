/**
 * The QMPT charts (seed 000 §8) as Vega-Lite specs rendered to SVG by the
 * repo's deterministic renderer (control/manager/vega-svg.ts), in the
 * report charts' style (chart-style.ts):
 * - the histogram of Â with the anomaly threshold τ as a rule;
 * - Â against R̂_norm, one colour per layer, patterns at or above τ drawn
 *   as outlined diamonds, each point titled with its pattern_id (a hover
 *   tooltip in a browser, the aria-label for a screen reader);
 * - a layer's trajectory (trajectory-plot.ts).
 * Patterns without the score a chart needs are skipped and counted (the
 * subtitle says how many); no data at all gives a chart that says so.
 * Each chart has a `...Data` function (the numbers) and a `...Spec`
 * function (the picture), so reports and tests can use the numbers alone.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, ROLLBACK_COLOR, STEP_COLOR, WIDTH } from '../../control/manager/chart-style.ts';
import { formatQ } from '../../control/manager/format.ts';
import { renderSvg } from '../../control/manager/vega-svg.ts';
import { badArgument } from '../../operators/stats/check.ts';
import { Rng } from '../random.ts';
import { noDataSpec } from './no-data.ts';
import { checkThreshold, patternList, scoreOf, type PatternInput } from './pattern-scores.ts';

export { noDataSpec } from './no-data.ts';
export { layerTrajectorySpec, plotLayerTrajectory, type TrajectoryPlotOptions } from './trajectory-plot.ts';

/** Red marks the threshold, as it marks rollbacks in the manager's charts: the one line to look at. */
export const THRESHOLD_COLOR = ROLLBACK_COLOR;
export const PLOT_HEIGHT = 260;
const MAX_BINS = 200;
/** A point is ~300 bytes of SVG: 5,000 keep a chart near 1.5 MB and its render well under a second. */
const DEFAULT_MAX_POINTS = 5000;

export interface HistogramOptions {
  /** Equal-width bins over [0, 1]; default 20. */
  bins?: number;
  /** τ; default config/metrics_default.yaml's 0.8. */
  threshold?: number;
  title?: string;
}

export interface ScatterOptions {
  threshold?: number;
  title?: string;
  /** Most points drawn (default 5,000): beyond it every pattern at or above τ and a seeded sample of the rest. */
  maxPoints?: number;
  /** Seed of that sample; default 0. */
  seed?: number;
}

export interface HistogramBin {
  start: number;
  end: number;
  count: number;
}

export interface AnomalyHistogramData {
  /** The non-empty bins, in order (Â = 1 falls in the last bin). */
  bins: HistogramBin[];
  binCount: number;
  threshold: number;
  scored: number;
  /** Patterns with a null Â: skipped. */
  unscored: number;
  /** Patterns with Â ≥ τ. */
  anomalous: number;
}

export interface ScatterPoint {
  pattern_id: string;
  layer_id: string;
  anomaly: number;
  reflexivity: number;
  /** 'Â ≥ τ' or 'Â < τ': the shape legend's entry. */
  marked: string;
  /** `pattern_id (layer_id): Â 0.912, R̂ 0.300`, the point's title. */
  label: string;
}

export interface ScatterData {
  /** The points drawn, in input order. */
  points: ScatterPoint[];
  /** Patterns with both scores; more than points.length when sampled. */
  scored: number;
  /** Of them, at or above τ. */
  anomalous: number;
  threshold: number;
  /** Patterns lacking Â or R̂_norm: skipped. */
  unscored: number;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} %`;
}

function unscoredNote(unscored: number, what: string): string[] {
  return unscored === 0 ? [] : [`${unscored} pattern${unscored === 1 ? '' : 's'} without ${what} not shown`];
}

/** The pattern counts behind the histogram of Â. */
export function anomalyHistogramData(patterns: PatternInput, options: HistogramOptions = {}): AnomalyHistogramData {
  const binCount = options.bins ?? 20;
  if (!Number.isInteger(binCount) || binCount < 1 || binCount > MAX_BINS) throw badArgument('plotAnomalyHist', 'bins', `must be an integer in 1..${MAX_BINS}, got ${String(binCount)}`);
  const threshold = checkThreshold('plotAnomalyHist', options.threshold);
  const counts = new Float64Array(binCount);
  let scored = 0;
  let anomalous = 0;
  const list = patternList(patterns);
  list.forEach((p, i) => {
    const a = scoreOf(p, i, 'anomaly_score');
    if (a === null) return;
    scored++;
    if (a >= threshold) anomalous++;
    counts[Math.min(binCount - 1, Math.floor(a * binCount))]!++;
  });
  const bins: HistogramBin[] = [];
  for (let b = 0; b < binCount; b++) if (counts[b]! > 0) bins.push({ start: b / binCount, end: (b + 1) / binCount, count: counts[b]! });
  return { bins, binCount, threshold, scored, unscored: list.length - scored, anomalous };
}

/** A rule at τ across the plot with its label at the top: vertical (x) or horizontal (y). */
function thresholdLayers(threshold: number, channel: 'x' | 'y'): object[] {
  const at = { field: 'threshold', type: 'quantitative' } as const;
  const data = { values: [{ threshold, label: `τ = ${formatQ(threshold)}` }] };
  const label =
    channel === 'x'
      ? { mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, fontSize: 11, color: THRESHOLD_COLOR }, encoding: { x: at, y: { value: 2 }, text: { field: 'label' } } }
      : { mark: { type: 'text', align: 'left', baseline: 'bottom', dy: -3, fontSize: 11, color: THRESHOLD_COLOR }, encoding: { y: at, x: { value: 4 }, text: { field: 'label' } } };
  return [
    { data, name: 'threshold', mark: { type: 'rule', color: THRESHOLD_COLOR, strokeWidth: 1.5, strokeDash: [6, 4] }, encoding: { [channel]: at } },
    { data, ...label },
  ];
}

export function anomalyHistogramSpec(data: AnomalyHistogramData, title = 'Anomaly scores Â'): TopLevelSpec {
  const notes = [
    `${data.scored} patterns scored; ${data.anomalous} at or above τ = ${formatQ(data.threshold)} (${percent(data.anomalous, data.scored)})`,
    ...unscoredNote(data.unscored, 'Â'),
  ];
  if (data.scored === 0) return noDataSpec(title, notes.slice(1));
  const x = { field: 'start', type: 'quantitative', title: `anomaly score Â (${data.binCount} bins)`, scale: { domain: [0, 1], nice: false } } as const;
  return {
    title: { text: title, subtitle: notes },
    background: 'white',
    config: CONFIG,
    width: WIDTH,
    height: PLOT_HEIGHT,
    layer: [
      {
        data: { values: data.bins },
        name: 'bins',
        mark: { type: 'rect', color: STEP_COLOR, stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x,
          x2: { field: 'end' },
          y: { field: 'count', type: 'quantitative', title: 'patterns', axis: { format: 'd', tickMinStep: 1 } },
          y2: { datum: 0 },
        },
      },
      ...thresholdLayers(data.threshold, 'x'),
    ],
  } as TopLevelSpec;
}

/** Histogram of Â with τ as a rule; patterns with a null Â are skipped and counted in the subtitle. */
export async function plotAnomalyHist(patterns: PatternInput, options: HistogramOptions = {}): Promise<string> {
  return renderSvg(anomalyHistogramSpec(anomalyHistogramData(patterns, options), options.title), 'anomaly-hist');
}

const BELOW = 'Â < τ';
const ABOVE = 'Â ≥ τ';

/**
 * Keeps every anomalous point and, when they exceed `max`, draws the rest
 * (or, past `max` anomalies, the anomalies too) with the seeded generator;
 * the kept points stay in input order.
 */
function capPoints(points: ScatterPoint[], max: number, seed: number): ScatterPoint[] {
  if (points.length <= max) return points;
  const above = points.filter((p) => p.marked === ABOVE);
  const below = points.filter((p) => p.marked === BELOW);
  const keep = new Set<ScatterPoint>();
  const draw = (from: ScatterPoint[], k: number, stream: number): void => {
    for (const i of new Rng(seed).fork(stream).sample(from.length, k)) keep.add(from[i]!);
  };
  if (above.length >= max) draw(above, max, 1);
  else {
    for (const p of above) keep.add(p);
    draw(below, max - above.length, 2);
  }
  return points.filter((p) => keep.has(p));
}

/** The points behind Â against R̂_norm: every pattern with both scores (capped at `maxPoints`). */
export function anomalyVsReflexivityData(patterns: PatternInput, options: ScatterOptions = {}): ScatterData {
  const fn = 'plotAnomalyVsReflexivity';
  const threshold = checkThreshold(fn, options.threshold);
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw badArgument(fn, 'maxPoints', `must be a positive integer, got ${String(maxPoints)}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw badArgument(fn, 'seed', `must be an integer, got ${String(seed)}`);
  const points: ScatterPoint[] = [];
  let unscored = 0;
  patternList(patterns).forEach((p, i) => {
    const anomaly = scoreOf(p, i, 'anomaly_score');
    const reflexivity = scoreOf(p, i, 'reflexivity');
    if (anomaly === null || reflexivity === null) {
      unscored++;
      return;
    }
    const label = `${p.pattern_id} (${p.layer_id}): Â ${formatQ(anomaly)}, R̂ ${formatQ(reflexivity)}`;
    points.push({ pattern_id: p.pattern_id, layer_id: p.layer_id, anomaly, reflexivity, marked: anomaly >= threshold ? ABOVE : BELOW, label });
  });
  const anomalous = points.filter((p) => p.marked === ABOVE).length;
  return { points: capPoints(points, maxPoints, seed), scored: points.length, anomalous, threshold, unscored };
}

export function anomalyVsReflexivitySpec(data: ScatterData, title = 'Anomaly Â against reflexivity R̂_norm'): TopLevelSpec {
  const notes = [
    `${data.scored} patterns; ${data.anomalous} at or above τ = ${formatQ(data.threshold)} drawn as outlined diamonds`,
    ...(data.points.length < data.scored
      ? [`showing ${data.points.length} of them: ${data.anomalous <= data.points.length ? 'every one at or above τ and ' : ''}a seeded sample of the rest`]
      : []),
    ...unscoredNote(data.unscored, 'both Â and R̂_norm'),
  ];
  if (data.points.length === 0) return noDataSpec(title, notes.slice(1));
  const unitAxis = (field: string, axisTitle: string) => ({ field, type: 'quantitative', title: axisTitle, scale: { domain: [0, 1], nice: false } }) as const;
  return {
    title: { text: title, subtitle: notes },
    background: 'white',
    config: CONFIG,
    width: WIDTH,
    height: PLOT_HEIGHT + 60,
    layer: [
      ...thresholdLayers(data.threshold, 'y'),
      {
        data: { values: data.points },
        name: 'patterns',
        mark: { type: 'point', filled: true, opacity: 0.85 },
        encoding: {
          x: unitAxis('reflexivity', 'reflexivity R̂_norm'),
          y: unitAxis('anomaly', 'anomaly Â'),
          color: { field: 'layer_id', type: 'nominal', title: 'layer', scale: { scheme: 'tableau10' } },
          shape: { field: 'marked', type: 'nominal', title: 'anomalous', scale: { domain: [BELOW, ABOVE], range: ['circle', 'diamond'] } },
          size: { condition: { test: `datum.marked === '${ABOVE}'`, value: 110 }, value: 45 },
          stroke: { condition: { test: `datum.marked === '${ABOVE}'`, value: '#111111' }, value: null },
          strokeWidth: { value: 1 },
          description: { field: 'label' },
          tooltip: [
            { field: 'pattern_id', title: 'pattern_id' },
            { field: 'layer_id', title: 'layer' },
            { field: 'anomaly', type: 'quantitative', title: 'Â', format: '.3f' },
            { field: 'reflexivity', type: 'quantitative', title: 'R̂_norm', format: '.3f' },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}

/**
 * Gives each point of the SVG a `<title>` with its aria-label (vega's SVG has
 * no tooltips), so that a browser shows the pattern_id on hover. The label is
 * already escaped as an attribute, which is valid element text too.
 */
export function titlePoints(svg: string): string {
  return svg.replace(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="point"([^>]*?)\/>/g, '<path aria-label="$1" role="graphics-symbol" aria-roledescription="point"$2><title>$1</title></path>');
}

/** Â against R̂_norm, coloured by layer, τ as a rule and the patterns at or above it marked. */
export async function plotAnomalyVsReflexivity(patterns: PatternInput, options: ScatterOptions = {}): Promise<string> {
  return titlePoints(await renderSvg(anomalyVsReflexivitySpec(anomalyVsReflexivityData(patterns, options), options.title), 'anomaly-refl'));
}
