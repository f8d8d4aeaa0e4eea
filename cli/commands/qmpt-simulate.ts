/**
 * `maasflow qmpt simulate`: one layer scenario stepped by the simulation
 * model (docs/QMPT.md §7), written as the layer with its trajectory and a
 * report with the trajectory chart.
 */
import type { Command } from 'commander';
import { MaasflowError } from '../../engine/errors.ts';
import { parseConfig } from '../../qmpt/config/loader.ts';
import { saveLayers } from '../../qmpt/data/io.ts';
import { runSimulation } from '../../qmpt/pipeline/simulate.ts';
import type { QmptConfig, ScenarioConfig } from '../../qmpt/types.ts';
import { simulationReport, writeReport } from '../../qmpt/viz/reports.ts';
import { parseCount, runCommand } from '../output.ts';
import { f3, loadConfigs, outputPath } from './qmpt-common.ts';

interface SimulateFlags { config?: string[]; scenario?: string; seed?: string; out: string; layers?: string; interventions: boolean; jsonMetrics?: string }

const SCENARIOS: readonly ScenarioConfig['kind'][] = ['baseline', 'single_anomaly', 'multiple_anomalies'];

/** The configs with --scenario and --seed applied through the loader (merged and validated as a file would be). */
function withFlags(config: QmptConfig, f: SimulateFlags): QmptConfig {
  let out = config;
  if (f.scenario !== undefined) {
    if (!(SCENARIOS as readonly string[]).includes(f.scenario)) throw new MaasflowError('CONFIG', `--scenario must be one of ${SCENARIOS.join(', ')}, got "${f.scenario}"`);
    out = parseConfig({ simulation: { scenario: { kind: f.scenario } } }, '--scenario', { base: out });
  }
  if (f.seed !== undefined) {
    const seed = parseCount('seed', f.seed, 0, 2 ** 31 - 1);
    out = parseConfig({ simulation: { seed, ...(out.simulation.scenario ? { scenario: { seed } } : {}) } }, '--seed', { base: out });
  }
  return out;
}

export function registerQmptSimulate(qmpt: Command, configHelp: string): void {
  qmpt
    .command('simulate')
    .description('simulate a layer under a scenario and its interventions (default config: simulation_default)')
    .option('--config <file|name...>', configHelp)
    .option('--scenario <kind>', `the layer's patterns: ${SCENARIOS.join(' | ')} (default: the config's)`)
    .option('--seed <n>', "seeds the model's noise and the scenario's patterns (default: the config's seeds)")
    .option('--out <dir>', 'output folder: layer.jsonl, report.md and the trajectory chart', '.data/qmpt-sim')
    .option('--layers <file>', 'the layer with its trajectory (default OUT/layer.jsonl; .parquet, .duckdb too)')
    .option('--no-interventions', "run without the config's interventions")
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: SimulateFlags) =>
      runCommand('qmpt simulate', f.jsonMetrics, async ({ print, timer }) => {
        const config = withFlags(loadConfigs(f.config, ['simulation_default']), f);
        const sim = config.simulation;
        const run = runSimulation(sim, { interventions: f.interventions });
        for (const d of run.dropped) {
          const w = `simulation.interventions[${d.index}] (${d.intervention.kind} at t = ${d.intervention.t}) dropped: ${d.reason}`;
          timer.warnings.push(w);
          print(`warning: ${w}\n`);
        }
        const layerFile = outputPath(f.layers, f.out, 'layer.jsonl');
        await saveLayers(layerFile, [run.layer]);
        const report = writeReport(f.out, await simulationReport({ layer: run.layer, config: { simulation: sim } }));
        const s = run.summary;
        const anomalous = [...run.patterns.values()].filter((p) => p.metadata.anomalous === true).length;
        print(`simulated layer ${run.layer.layer_id}: ${sim.scenario ? `${sim.scenario.kind}, ` : ''}${run.patterns.size} patterns (${anomalous} anomalous), ${s.states} states to t = ${sim.t_end}, ${run.interventions.length} intervention(s)\n`);
        print(`final σ ${f3(s.final_stress)}, P ${f3(s.final_protection)}, regime ${s.final_regime ?? 'n/a'}; mean σ ${f3(s.mean_stress)}, mean P ${f3(s.mean_protection)}\n`);
        print(`time per regime: ${Object.entries(s.regime_shares).map(([r, share]) => `${r} ${share === null ? 'n/a' : `${(100 * share).toFixed(1)} %`}`).join(', ')}\n`);
        print(`wrote ${layerFile}, ${report}\n`);
        return {
          layer_id: run.layer.layer_id,
          scenario: sim.scenario ?? null,
          seed: sim.seed,
          model_id: sim.model_id,
          patterns: run.patterns.size,
          anomalous_patterns: anomalous,
          interventions: run.interventions.length,
          dropped_interventions: run.dropped.map((d) => d.index),
          ...s,
          outputs: { layers: layerFile, report },
        };
      }),
    );
}
