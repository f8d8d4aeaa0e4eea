/**
 * The report of a layer's simulated (or measured) trajectory (docs/QMPT.md
 * §6–§7): the run's settings, initial / final / min / max of σ, P and
 * coherence, the time spent in each regime, each intervention with σ and P
 * just before and after it, and the trajectory chart.
 */
import type { Layer, SimulationConfig } from '../types.ts';
import { chartLink, fmt, fmtDelta, formatParam, mdCode, mdTable, mdText, plural, type QmptReport } from './markdown.ts';
import { formatTime, plotLayerTrajectory } from './trajectory-plot.ts';
import { interventionEffects, readTrajectory, regimeTimes, seriesExtremes, type SeriesKey, type TrajectoryPoint } from './trajectory.ts';

export const TRAJECTORY_CHART = 'layer-trajectory.svg';

export interface SimulationReportOptions {
  layer: Layer;
  /** The run's settings, listed when given; a whole QmptConfig fits. */
  config?: { simulation?: Partial<Pick<SimulationConfig, 'model_id' | 'dt' | 't_end' | 'seed' | 'params' | 'scenario'>> };
  title?: string;
}

const SERIES_NAMES: Record<SeriesKey, string> = { stress: 'stress σ', protection: 'protection P', coherence: 'coherence c' };

function runSection(sim: NonNullable<NonNullable<SimulationReportOptions['config']>['simulation']>): string {
  const facts = [
    sim.model_id === undefined ? '' : `model ${mdCode(sim.model_id)}`,
    sim.dt === undefined ? '' : `dt ${formatParam(sim.dt)}`,
    sim.t_end === undefined ? '' : `t_end ${formatParam(sim.t_end)}`,
    sim.seed === undefined ? '' : `seed ${sim.seed}`,
  ].filter(Boolean);
  const s = sim.scenario;
  if (s) facts.push(`scenario ${mdCode(s.kind)} (${plural(s.patterns, 'pattern')}, ${s.anomalous} anomalous, seed ${s.seed})`);
  const lines = facts.length === 0 ? [] : [`${facts.join('; ')}.`];
  const params = Object.keys(sim.params ?? {}).sort();
  if (params.length > 0) lines.push(mdTable(['parameter', 'value'], params.map((k) => [mdText(k), formatParam(sim.params![k]!)]), [false, true]));
  return lines.length === 0 ? 'No settings given.' : lines.join('\n\n');
}

function extremesTable(points: readonly TrajectoryPoint[]): string {
  const rows = (['stress', 'protection', 'coherence'] as const).flatMap((key) => {
    const e = seriesExtremes(points, key);
    if (e === null) return key === 'coherence' ? [] : [[SERIES_NAMES[key], '–', '–', '–', '–', '–', '–']];
    return [[SERIES_NAMES[key], fmt(e.initial), fmt(e.final), fmt(e.min), formatTime(e.tMin), fmt(e.max), formatTime(e.tMax)]];
  });
  return mdTable(['series', 'initial', 'final', 'min', 'at t', 'max', 'at t'], rows, [false, true, true, true, true, true, true]);
}

function regimeSection(points: readonly TrajectoryPoint[]): string {
  const total = points[points.length - 1]!.t - points[0]!.t;
  const rows = regimeTimes(points).map((r) => [mdText(r.regime), String(r.states), formatTime(r.time), r.share === null ? '–' : fmt(r.share)]);
  return [
    `Each state holds until the next one, so the times add up to t_last − t_first = ${formatTime(total)}.`,
    mdTable(['regime', 'states', 'time', 'share of time'], rows, [false, true, true, true]),
  ].join('\n\n');
}

function interventionSection(points: readonly TrajectoryPoint[]): string {
  const effects = interventionEffects(points);
  if (effects.length === 0) return 'None.';
  const delta = (before: number | null | undefined, after: number | null): string => (before === null || before === undefined || after === null ? '–' : fmtDelta(after - before));
  const rows = effects.map((e, i) => [
    String(i + 1),
    formatTime(e.t),
    mdText(e.label),
    fmt(e.before?.stress),
    fmt(e.after.stress),
    delta(e.before?.stress, e.after.stress),
    fmt(e.before?.protection),
    fmt(e.after.protection),
    delta(e.before?.protection, e.after.protection),
  ]);
  return [
    '"before": the state before the one recording the intervention; "after": that state (the intervention applied, then one update).',
    mdTable(['#', 't', 'intervention', 'σ before', 'σ after', 'Δσ', 'P before', 'P after', 'ΔP'], rows, [true, true, false, true, true, true, true, true, true]),
  ].join('\n\n');
}

/** The report of a layer's trajectory: Markdown and its chart. */
export async function simulationReport(options: SimulationReportOptions): Promise<QmptReport> {
  const { layer } = options;
  const points = readTrajectory(layer);
  const title = options.title ?? `Simulation of layer ${layer.layer_id}`;
  const charts = { [TRAJECTORY_CHART]: await plotLayerTrajectory(layer, { title: `Trajectory of layer ${layer.layer_id}` }) };
  const description = layer.description.trim() === '' ? '' : `${mdText(layer.description.trim().replace(/\.$/, ''))}. `;
  const span = points.length === 0 ? 'No states.' : `${plural(points.length, 'state')} from t = ${formatTime(points[0]!.t)} to t = ${formatTime(points[points.length - 1]!.t)}`;
  const parts = [
    `# ${mdText(title)}`,
    `${description}${span}${points.length === 0 ? '' : `; ${plural(layer.patterns.length, 'pattern')}.`}`,
    ...(options.config?.simulation ? ['## Run', runSection(options.config.simulation)] : []),
    ...(points.length === 0
      ? []
      : ['## Summary', extremesTable(points), '## Time per regime', regimeSection(points), '## Interventions', interventionSection(points)]),
    '## Chart',
    chartLink(`Trajectory of layer ${layer.layer_id}`, TRAJECTORY_CHART),
  ];
  return { markdown: `${parts.join('\n\n')}\n`, charts };
}
