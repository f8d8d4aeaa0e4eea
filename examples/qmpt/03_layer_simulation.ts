/**
 * Layer simulation (the seed's third notebook as a script): the three
 * scenarios of config/simulation_default.yaml's model (baseline, one
 * anomalous pattern, several), each run with and without the config's
 * interventions (a stress shock at t = 20, protection raised at t = 35, the
 * anomalous pattern removed at t = 45), compared by their mean stress, with
 * a trajectory chart per run and a simulation report per scenario.
 *
 *   node --import tsx examples/qmpt/03_layer_simulation.ts [OUT_DIR]
 *
 * OUT_DIR defaults to a fresh temp folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseConfig } from '../../qmpt/config/loader.ts';
import { runSimulation, type SimulationRun } from '../../qmpt/pipeline/simulate.ts';
import type { ScenarioConfig, SimulationConfig } from '../../qmpt/types.ts';
import { plotLayerTrajectory } from '../../qmpt/viz/plots.ts';
import { simulationReport, writeReport } from '../../qmpt/viz/reports.ts';

const out = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'qmpt-03-'));
fs.mkdirSync(out, { recursive: true });
const f3 = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
const step = (n: number, title: string): void => console.log(`\n## ${n}. ${title}`);
console.log(`# QMPT layer simulation: output in ${out}`);

step(1, 'The configuration: config/simulation_default.yaml');
const base = loadConfig('simulation_default');
const sim = base.simulation;
console.log(`model ${sim.model_id}, dt ${sim.dt}, t_end ${sim.t_end}, noise seed ${sim.seed}`);
console.log(`parameters: ${Object.entries(sim.params).map(([k, v]) => `${k}=${v}`).join(' ')}`);
console.log(`interventions: ${sim.interventions.map((iv) => `t=${iv.t} ${iv.kind}${iv.value !== undefined ? ` ${iv.value}` : ''}${iv.pattern_id ? ` ${iv.pattern_id}` : ''}`).join('; ')}`);

step(2, 'Run each scenario with and without the interventions');
const kinds: ScenarioConfig['kind'][] = ['baseline', 'single_anomaly', 'multiple_anomalies'];
const runs = new Map<string, { config: SimulationConfig; with: SimulationRun; without: SimulationRun }>();
for (const kind of kinds) {
  // only the scenario changes; the loader gives it its anomalous count (0, 1, 3) and validates the result
  const config = parseConfig({ simulation: { scenario: { kind } } }, `scenario ${kind}`, { base }).simulation;
  const withInterventions = runSimulation(config);
  const without = runSimulation(config, { interventions: false });
  runs.set(kind, { config, with: withInterventions, without });
  const anomalous = [...withInterventions.patterns.values()].filter((p) => p.metadata.anomalous === true).length;
  const dropped = withInterventions.dropped.map((d) => `${d.intervention.kind} (${d.reason})`).join(', ');
  console.log(`${kind}: ${withInterventions.patterns.size} patterns, ${anomalous} anomalous; ${withInterventions.interventions.length} interventions applied${dropped ? `, dropped ${dropped}` : ''}`);
}

step(3, 'Compare: mean and final stress σ and protection P, and the time spent breached');
console.log('scenario             interventions  mean σ  final σ  mean P  final P  breached');
for (const [kind, pair] of runs) {
  for (const [label, run] of [['yes', pair.with], ['no', pair.without]] as const) {
    const s = run.summary;
    console.log(`${kind.padEnd(20)} ${label.padEnd(13)}  ${f3(s.mean_stress)}   ${f3(s.final_stress)}    ${f3(s.mean_protection)}   ${f3(s.final_protection)}    ${f3(s.regime_shares.breached ?? 0)}`);
  }
}
for (const [kind, pair] of runs) {
  const delta = pair.with.summary.mean_stress! - pair.without.summary.mean_stress!;
  console.log(`${kind}: the interventions change the mean stress by ${delta >= 0 ? '+' : ''}${delta.toFixed(3)}`);
}
const multiple = runs.get('multiple_anomalies')!.without.summary.mean_stress!;
const baseline = runs.get('baseline')!.without.summary.mean_stress!;
console.log(`without interventions, several anomalies raise the mean stress from ${f3(baseline)} (baseline) to ${f3(multiple)}`);

step(4, 'Trajectory charts and a simulation report per scenario');
for (const [kind, pair] of runs) {
  const dir = path.join(out, kind);
  const title = `Layer ${sim.layer_id}, ${kind} scenario, with interventions`;
  const report = writeReport(dir, await simulationReport({ layer: pair.with.layer, config: { simulation: pair.config }, title }));
  const chart = path.join(dir, 'without-interventions.svg');
  fs.writeFileSync(chart, await plotLayerTrajectory(pair.without.layer, { title: `Layer ${sim.layer_id}, ${kind}, without interventions` }));
  console.log(`${report} (+ layer-trajectory.svg), ${chart}`);
}
console.log(`\ndone: ${out}`);
