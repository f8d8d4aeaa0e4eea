/**
 * Scenario layers for the simulation (docs/QMPT.md §7): `baseline` (no
 * anomalous pattern), `single_anomaly` (one), `multiple_anomalies` (two or
 * more), drawn with the seeded generator. `patterns` counts all of the
 * layer's patterns, the anomalous ones included.
 */
import { Rng } from '../random.ts';
import type { Layer, Pattern, ScenarioConfig } from '../types.ts';
import { simulationError } from './model.ts';

/** [lo, hi) of the drawn scores. */
export const SCENARIO_RANGES = Object.freeze({
  ordinaryAnomaly: [0.25, 0.55] as const,
  anomalousAnomaly: [0.85, 0.95] as const,
  reflexivity: [0.1, 0.5] as const,
});

const KINDS: readonly ScenarioConfig['kind'][] = ['baseline', 'single_anomaly', 'multiple_anomalies'];
/** More patterns than this is a typo, not a scenario. */
const MAX_PATTERNS = 1_000_000;

/**
 * The layer and its patterns: ordinary ones "p-1".."p-n" first, then the
 * anomalous "anom-1".."anom-m"; for each, in that order, Â then R̂_norm is
 * drawn from new Rng(config.seed).
 */
export function buildScenario(config: ScenarioConfig, layerId: string, field = 'simulation.scenario'): { layer: Layer; patterns: Map<string, Pattern> } {
  const { kind, total, anomalous } = checkScenario(config, field);
  if (typeof layerId !== 'string' || layerId === '') throw simulationError('simulation.layer_id', `= ${JSON.stringify(layerId)} must be a non-empty string`);
  const rng = new Rng(config.seed);
  const patterns = new Map<string, Pattern>();
  const ordinary = total - anomalous;
  const make = (id: string, isAnomalous: boolean): void => {
    const [aLo, aHi] = isAnomalous ? SCENARIO_RANGES.anomalousAnomaly : SCENARIO_RANGES.ordinaryAnomaly;
    const anomaly = rng.uniform(aLo, aHi);
    const reflexivity = rng.uniform(SCENARIO_RANGES.reflexivity[0], SCENARIO_RANGES.reflexivity[1]);
    patterns.set(id, {
      pattern_id: id,
      layer_id: layerId,
      metadata: { scenario: kind, anomalous: isAnomalous },
      features: null,
      anomaly_score: anomaly,
      reflexivity,
      self_operator: null,
      components: null,
      feature_spec_version: null,
      metrics_version: null,
    });
  };
  for (let i = 1; i <= ordinary; i++) make(`p-${i}`, false);
  for (let i = 1; i <= anomalous; i++) make(`anom-${i}`, true);
  const layer: Layer = {
    layer_id: layerId,
    description: `${kind} scenario: ${total} patterns, ${anomalous} anomalous (seed ${config.seed})`,
    patterns: [...patterns.keys()],
    state_trajectory: [],
  };
  return { layer, patterns };
}

function checkScenario(config: ScenarioConfig, field: string): { kind: ScenarioConfig['kind']; total: number; anomalous: number } {
  if (config === null || typeof config !== 'object') throw simulationError(field, 'must be an object { kind, patterns, anomalous, seed }');
  const { kind, patterns: total, anomalous, seed } = config;
  if (!KINDS.includes(kind)) throw simulationError(`${field}.kind`, `= ${JSON.stringify(kind)} must be one of ${KINDS.join(', ')}`);
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 1 || total > MAX_PATTERNS) throw simulationError(`${field}.patterns`, `= ${String(total)} must be an integer in 1..${MAX_PATTERNS}`);
  if (typeof anomalous !== 'number' || !Number.isInteger(anomalous) || anomalous < 0) throw simulationError(`${field}.anomalous`, `= ${String(anomalous)} must be an integer >= 0`);
  if (kind === 'baseline' && anomalous !== 0) throw simulationError(`${field}.anomalous`, `= ${anomalous} must be 0 for a baseline scenario`);
  if (kind === 'single_anomaly' && anomalous !== 1) throw simulationError(`${field}.anomalous`, `= ${anomalous} must be 1 for a single_anomaly scenario`);
  if (kind === 'multiple_anomalies' && anomalous < 2) throw simulationError(`${field}.anomalous`, `= ${anomalous} must be at least 2 for a multiple_anomalies scenario`);
  if (anomalous > total) throw simulationError(`${field}.anomalous`, `= ${anomalous} exceeds ${field}.patterns = ${total} (patterns counts all of the layer's patterns)`);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw simulationError(`${field}.seed`, `= ${String(seed)} must be a finite number`);
  return { kind, total, anomalous };
}
