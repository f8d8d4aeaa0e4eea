/**
 * Anomaly analysis (the seed's second notebook as a script): score a
 * synthetic set with the batch pipeline, look at the top anomalies, measure
 * how many planted ones were found (precision@k against the known truth),
 * then render the histogram, the Â-against-R̂_norm scatter and the Markdown
 * report with the layers' trajectories.
 *
 *   node --import tsx examples/qmpt/02_anomaly_analysis.ts [OUT_DIR]
 *
 * OUT_DIR defaults to a fresh temp folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG } from '../../qmpt/config/loader.ts';
import { generateObservations } from '../../qmpt/data/synthetic.ts';
import { scoreReport } from '../../qmpt/pipeline/report.ts';
import { scoreObservations } from '../../qmpt/pipeline/score.ts';
import type { QmptConfig } from '../../qmpt/types.ts';
import { plotAnomalyHist, plotAnomalyVsReflexivity } from '../../qmpt/viz/plots.ts';
import { writeReport } from '../../qmpt/viz/reports.ts';

const out = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'qmpt-02-'));
fs.mkdirSync(out, { recursive: true });
const f3 = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
const step = (n: number, title: string): void => console.log(`\n## ${n}. ${title}`);
console.log(`# QMPT anomaly analysis: output in ${out}`);

step(1, 'Generate 60 patterns, 4 of them anomalous and 10 reflexive');
const { observations, truth } = generateObservations({ seed: 21, patterns: 60, anomalous: 4, reflexive: 10 });
const planted = new Set([...truth].filter(([, t]) => t.anomalous).map(([id]) => id));
console.log(`${observations.length} observations; planted anomalies: ${[...planted].join(', ')}`);

step(2, 'Score them with the defaults (features_text + metrics_default)');
const config = structuredClone(DEFAULT_CONFIG) as QmptConfig;
const t0 = performance.now();
const result = await scoreObservations(observations, config);
const d = result.diagnostics;
console.log(`${result.patterns.size} patterns scored in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${d.dim} feature columns; Gaussian mixtures of K = ${d.components.observations} (observations) and ${d.components.patterns} (patterns)`);
console.log(`versions: ${Object.entries(result.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);

step(3, 'The top 10 anomalies');
const ranked = [...result.patterns.values()].sort((a, b) => b.anomaly_score! - a.anomaly_score! || (a.pattern_id < b.pattern_id ? -1 : 1));
console.log('rank  pattern   layer  Â      R̃      D̃      Ĩ      R̂_norm  planted');
ranked.slice(0, 10).forEach((p, i) => {
  const c = p.components!;
  console.log(`${String(i + 1).padStart(4)}  ${p.pattern_id.padEnd(8)}  ${p.layer_id.padEnd(5)}  ${f3(p.anomaly_score)}  ${f3(c.rarity)}  ${f3(c.distance)}  ${f3(c.isolation)}  ${f3(p.reflexivity)}   ${planted.has(p.pattern_id) ? 'yes' : ''}`);
});

step(4, 'How many planted anomalies were found: precision@k and the threshold');
for (const k of [planted.size, 5, 10]) {
  const hits = ranked.slice(0, k).filter((p) => planted.has(p.pattern_id)).length;
  console.log(`precision@${k} = ${hits}/${k} = ${f3(hits / k)}; recall@${k} = ${hits}/${planted.size}`);
}
const threshold = config.metrics.anomaly.threshold;
const flagged = ranked.filter((p) => p.anomaly_score! >= threshold);
console.log(`at τ = ${threshold}: ${flagged.length} patterns flagged (${flagged.filter((p) => planted.has(p.pattern_id)).length} planted)`);
// per observation, Â compares each observation with all observations (the layers' σ and P are made of these)
const meanObs = (inPlanted: boolean): number => {
  const xs = result.observationScores.filter((o) => planted.has(o.pattern_id) === inPlanted).map((o) => o.anomaly);
  return xs.reduce((s, x) => s + x, 0) / xs.length;
};
console.log(`per observation: mean Â ${f3(meanObs(true))} for the planted patterns' observations, ${f3(meanObs(false))} for the others; ${(100 * d.anomalous_observation_share).toFixed(1)} % at or above τ`);

step(5, 'Charts: the histogram of Â and Â against R̂_norm');
const hist = path.join(out, 'anomaly-histogram.svg');
const scatter = path.join(out, 'anomaly-vs-reflexivity.svg');
fs.writeFileSync(hist, await plotAnomalyHist(result.patterns, { threshold }));
fs.writeFileSync(scatter, await plotAnomalyVsReflexivity(result.patterns, { threshold }));
console.log(`${hist} (${fs.statSync(hist).size} bytes), ${scatter} (${fs.statSync(scatter).size} bytes)`);
console.log('reflexive patterns sit to the right (high R̂_norm); the planted anomalies at the top');

step(6, 'The Markdown report, with each layer\'s measured trajectory');
const reportDir = path.join(out, 'report');
const file = writeReport(reportDir, await scoreReport({ patterns: result.patterns, layers: result.layers, config, versions: { ...result.versions } }));
for (const layer of result.layers) {
  const states = layer.state_trajectory.filter((s) => s.stress !== null);
  const peak = states.reduce((m, s) => (s.stress! > m.stress! ? s : m), states[0]!);
  console.log(`layer ${layer.layer_id}: ${layer.patterns.length} patterns, ${layer.state_trajectory.length} states; peak σ ${f3(peak.stress)} at t = ${peak.t} (P ${f3(peak.protection)})`);
}
console.log(`${file} and ${fs.readdirSync(reportDir).filter((f) => f.endsWith('.svg')).length} charts beside it`);
console.log(`\ndone: ${out}`);
