/**
 * A simulation run as the `maasflow qmpt simulate` command and
 * examples/qmpt/03 make it (docs/QMPT.md §7): the configured layer run with
 * or without its interventions, and the figures a user compares runs by.
 *
 * A `remove_pattern` of a pattern the layer never holds (the default
 * config's `anom-1` under a baseline scenario) is dropped and reported
 * rather than failing the run, so one intervention schedule serves every
 * scenario.
 */
import { simulate, type SimulationResult } from '../simulation/core.ts';
import { buildScenario } from '../simulation/scenarios.ts';
import type { Intervention, SimulationConfig } from '../types.ts';
import { summarizeTrajectory, type TrajectorySummary } from './trajectory-summary.ts';

export interface DroppedIntervention {
  /** Its index in simulation.interventions. */
  index: number;
  intervention: Intervention;
  reason: string;
}

export interface SimulationRun extends SimulationResult {
  /** The interventions the run applied. */
  interventions: Intervention[];
  dropped: DroppedIntervention[];
  summary: TrajectorySummary;
}

export interface SimulationRunOptions {
  /** false: the run without any intervention (default true). */
  interventions?: boolean;
}

/** Runs the configured scenario layer (config.scenario is required). */
export function runSimulation(config: SimulationConfig, options: SimulationRunOptions = {}): SimulationRun {
  const wanted = options.interventions === false ? [] : config.interventions;
  const initial = config.scenario === undefined ? [] : buildScenario(config.scenario, config.layer_id).layer.patterns;
  const { kept, dropped } = applicable(wanted, initial);
  const result = simulate({ ...config, interventions: kept });
  return { ...result, interventions: kept, dropped, summary: summarizeTrajectory(result.layer) };
}

/** Drops a remove_pattern whose pattern neither starts in the layer nor is added by an intervention. */
function applicable(interventions: readonly Intervention[], initial: readonly string[]): { kept: Intervention[]; dropped: DroppedIntervention[] } {
  const known = new Set(initial);
  for (const iv of interventions) if (iv.kind === 'add_pattern' && iv.pattern?.pattern_id) known.add(iv.pattern.pattern_id);
  const kept: Intervention[] = [];
  const dropped: DroppedIntervention[] = [];
  interventions.forEach((iv, index) => {
    if (iv.kind === 'remove_pattern' && iv.pattern_id !== undefined && !known.has(iv.pattern_id)) {
      dropped.push({ index, intervention: iv, reason: `pattern ${JSON.stringify(iv.pattern_id)} is not in this layer` });
    } else kept.push(iv);
  });
  return { kept, dropped };
}
