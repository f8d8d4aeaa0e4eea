/**
 * The report of a scoring run (the `maasflow qmpt score` and `report`
 * commands, examples/qmpt/02): the anomaly report of the patterns
 * (qmpt/viz/reports.ts), then a section per measured layer with its
 * σ / P / coherence summary, the time it spent in each regime and its
 * trajectory chart.
 */
import { anomalyReport, type QmptReport, type ReportConfig } from '../viz/reports.ts';
import { chartLink, fmt, mdTable, mdText, plural } from '../viz/markdown.ts';
import { formatTime, plotLayerTrajectory } from '../viz/trajectory-plot.ts';
import { readTrajectory, regimeTimes, seriesExtremes } from '../viz/trajectory.ts';
import { seriesMean } from './trajectory-summary.ts';
import type { Layer, Pattern } from '../types.ts';

export interface ScoreReportOptions {
  patterns: ReadonlyMap<string, Pattern> | readonly Pattern[];
  /** Measured layers (their trajectories); none: the anomaly report alone. */
  layers?: readonly Layer[];
  /** τ from metrics.anomaly.threshold; a whole QmptConfig fits. */
  config?: ReportConfig;
  /** The versions the run scored with: patterns scored otherwise are flagged. */
  versions?: Readonly<Record<string, string>>;
  top?: number;
  title?: string;
}

/** A chart file name writeReport accepts, unique by the layer's place. */
export function layerChartName(layer: Layer, index: number): string {
  return `layer-${index + 1}-${layer.layer_id.replace(/[^\w.-]/g, '_').slice(0, 60)}.svg`;
}

function layerSection(layer: Layer, chart: string): string {
  const points = readTrajectory(layer);
  const heading = `### Layer ${mdText(layer.layer_id)}`;
  const about = `${layer.description.trim() === '' ? '' : `${mdText(layer.description.trim())}. `}${plural(layer.patterns.length, 'pattern')}`;
  if (points.length === 0) return [heading, `${about}; no states.`].join('\n\n');
  const rows = (['stress', 'protection', 'coherence'] as const).map((key) => {
    const e = seriesExtremes(points, key);
    return [key === 'stress' ? 'stress σ' : key === 'protection' ? 'protection P' : 'coherence', fmt(seriesMean(points, key)), fmt(e?.min), fmt(e?.max), fmt(e?.final)];
  });
  const regimes = regimeTimes(points).map((r) => [mdText(r.regime), String(r.states), r.share === null ? '–' : fmt(r.share)]);
  return [
    heading,
    `${about}; ${plural(points.length, 'state')} from t = ${formatTime(points[0]!.t)} to t = ${formatTime(points[points.length - 1]!.t)}.`,
    mdTable(['series', 'mean', 'min', 'max', 'final'], rows, [false, true, true, true, true]),
    mdTable(['regime', 'states', 'share of time'], regimes, [false, true, true]),
    chartLink(`Trajectory of layer ${layer.layer_id}`, chart),
  ].join('\n\n');
}

/** The anomaly report, plus a section and a chart per layer. */
export async function scoreReport(options: ScoreReportOptions): Promise<QmptReport> {
  const report = await anomalyReport({
    patterns: options.patterns,
    ...(options.config ? { config: options.config } : {}),
    ...(options.versions ? { versions: options.versions } : {}),
    ...(options.top !== undefined ? { top: options.top } : {}),
    ...(options.title !== undefined ? { title: options.title } : {}),
  });
  const layers = options.layers ?? [];
  if (layers.length === 0) return report;
  const charts = { ...report.charts };
  const sections: string[] = [];
  for (const [i, layer] of layers.entries()) {
    const name = layerChartName(layer, i);
    charts[name] = await plotLayerTrajectory(layer, { title: `Trajectory of layer ${layer.layer_id}` });
    sections.push(layerSection(layer, name));
  }
  const intro = 'Measured from the observations\' Â on the grid of `metrics.layer` (docs/QMPT.md §6): σ the mean Â of the window, P the share below τ.';
  return { markdown: `${report.markdown}\n## Layer trajectories\n\n${intro}\n\n${sections.join('\n\n')}\n`, charts };
}
