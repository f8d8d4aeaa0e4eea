/**
 * QMPT basics, step by step (the seed's first notebook as a script):
 * synthetic observations → JSONL and Parquet → a feature spec → the anomaly,
 * reflexivity and self-operator metrics with the library classes → scored
 * patterns in DuckDB, queried with plain SQL.
 *
 *   node --import tsx examples/qmpt/01_basic_usage.ts [OUT_DIR]
 *
 * OUT_DIR defaults to a fresh temp folder. docs/QMPT.md has every formula.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../../qmpt/config/loader.ts';
import { groupByPattern, sortObservations } from '../../qmpt/data/indexing.ts';
import { loadObservations, savePatterns, saveObservations } from '../../qmpt/data/io.ts';
import { makePattern } from '../../qmpt/data/models.ts';
import { generateObservations } from '../../qmpt/data/synthetic.ts';
import { patternFeatures } from '../../qmpt/features/pattern-features.ts';
import { featureSpecFromConfig } from '../../qmpt/features/registry.ts';
import { fromRows, row } from '../../qmpt/matrix.ts';
import { AnomalyEstimator } from '../../qmpt/metrics/anomaly.ts';
import { ReflexivityEstimator } from '../../qmpt/metrics/reflexivity.ts';
import { populationStats, SelfOperatorEstimator } from '../../qmpt/metrics/self-operator.ts';
import { fitReference } from '../../qmpt/pipeline/reference.ts';
import type { Pattern } from '../../qmpt/types.ts';

const out = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'qmpt-01-'));
fs.mkdirSync(out, { recursive: true });
const f3 = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
const step = (n: number, title: string): void => console.log(`\n## ${n}. ${title}`);
console.log(`# QMPT basic usage: output in ${out}`);

// ---- 1. observations with a known truth ----
step(1, 'Generate observations (seeded, with planted anomalous and reflexive patterns)');
const { observations, truth } = generateObservations({ seed: 7, patterns: 40, anomalous: 3, reflexive: 6 });
const planted = [...truth].filter(([, t]) => t.anomalous).map(([id]) => id);
console.log(`${observations.length} observations of ${truth.size} patterns in layers L1, L2; planted anomalies: ${planted.join(', ')}`);
console.log('one observation:', JSON.stringify(observations[0]));

// ---- 2. files: JSONL and Parquet round trips ----
step(2, 'Save and load them as JSONL and Parquet');
const jsonl = path.join(out, 'observations.jsonl');
const parquet = path.join(out, 'observations.parquet');
await saveObservations(jsonl, observations);
await saveObservations(parquet, observations);
const fromJsonl = await loadObservations(jsonl);
const fromParquet = await loadObservations(parquet);
console.log(`${jsonl}: ${fromJsonl.length} records (${fs.statSync(jsonl).size} bytes); ${parquet}: ${fromParquet.length} records (${fs.statSync(parquet).size} bytes)`);
console.log(`the two loads are equal: ${JSON.stringify(fromJsonl) === JSON.stringify(fromParquet)}`);

// ---- 3. features ----
step(3, 'Fit the text feature spec (config/features_text.yaml) and transform');
// metrics_default over features_text: each config file fills in the sections it holds
const config = loadConfig('metrics_default', { base: loadConfig('features_text') });
const obs = sortObservations(fromParquet); // time order: every result depends on the set, not the file order
const spec = featureSpecFromConfig(config.features);
await spec.fit(obs);
const X = await spec.transform(obs);
console.log(`spec ${spec.version}: ${X.rows} rows × ${spec.dim} columns`);
console.log(`columns: ${spec.columns.join(', ')}`);
console.log(`row of ${obs[0]!.obs_id}: [${Array.from(row(X, 0), (v) => v.toFixed(2)).join(', ')}]`);

// ---- 4. pattern features x_Ψ ----
step(4, 'Pattern features: x_Ψ, the mean row of a pattern\'s observations');
const xPsi = patternFeatures(obs, X);
const ids = [...xPsi.keys()].sort();
const XPsi = fromRows(ids.map((id) => xPsi.get(id)!), 'pattern features');
console.log(`${XPsi.rows} patterns × ${XPsi.cols} columns`);

// ---- 5. anomaly Â ----
step(5, 'Anomaly Â: fit the estimator on the patterns\' rows, score each pattern');
// fitReference is AnomalyEstimator.fit plus the mixture's diagnostics: BIC chooses K among admissible fits, whose
// every component holds more rows than there are columns and at least gmm.min_component_share of them (docs/QMPT.md 3.1)
const { estimator, components } = await fitReference(XPsi, config.metrics.anomaly, 'patterns');
console.log(`${estimator.version}: Gaussian mixture of K = ${components}`);
const one = estimator.score(row(XPsi, ids.indexOf(planted[0]!)));
console.log(`Â(${planted[0]}) = ${f3(one.anomaly)} (rarity R̃ ${f3(one.rarity)}, distance D̃ ${f3(one.distance)}, isolation Ĩ ${f3(one.isolation)})`);
const scores = estimator.batchScore(XPsi);
const ranked = ids.map((id, i) => ({ id, a: scores.anomaly[i]! })).sort((a, b) => b.a - a.a);
console.log(`top 5 by Â: ${ranked.slice(0, 5).map((r) => `${r.id} ${f3(r.a)}${truth.get(r.id)!.anomalous ? ' (planted)' : ''}`).join(', ')}`);
// the same class with the kernel density, fitted directly
const kde = await AnomalyEstimator.fit(XPsi, { ...config.metrics.anomaly, density_model: 'kde' });
const kdeScores = kde.batchScore(XPsi);
const kdeTop = ids.map((id, i) => ({ id, a: kdeScores.anomaly[i]! })).sort((a, b) => b.a - a.a).slice(0, 3);
console.log(`with a kernel density (${kde.version}): top 3 ${kdeTop.map((r) => `${r.id} ${f3(r.a)}`).join(', ')}`);

// ---- 6. reflexivity R̂_norm ----
step(6, 'Reflexivity R̂_norm from each pattern\'s observations (feature rows as vectors)');
const reflexivity = new ReflexivityEstimator(config.metrics.reflexivity);
const rowOf = new Map(obs.map((o, i) => [o.obs_id, row(X, i)]));
const byPattern = groupByPattern(obs);
const reflexive = new Map<string, number | null>();
for (const [id, members] of byPattern) reflexive.set(id, reflexivity.scoreDetailed(members, members.map((o) => rowOf.get(o.obs_id)!)).value);
const meanOf = (pick: (id: string) => boolean): number => {
  const xs = ids.filter(pick).map((id) => reflexive.get(id)!).filter((v): v is number => v !== null);
  return xs.reduce((s, x) => s + x, 0) / xs.length;
};
const sample = byPattern.get(ids.find((id) => truth.get(id)!.reflexive)!)!;
console.log(`a reflexive pattern's text: "${String(sample[0]!.payload)}"`);
console.log(`r_text of it: ${f3(reflexivity.scoreText(sample))}, r_dyn: ${f3(reflexivity.scoreDyn(sample))} (builtin embeddings when no rows are given)`);
console.log(`mean R̂_norm: reflexive patterns ${f3(meanOf((id) => truth.get(id)!.reflexive))}, the others ${f3(meanOf((id) => !truth.get(id)!.reflexive))}`);

// ---- 7. the patterns, then the self-operator Ô_self ----
step(7, 'Self-operator Ô_self: standing in the population, plus a self-report where one exists');
const patterns = new Map<string, Pattern>();
ids.forEach((id, i) => {
  patterns.set(
    id,
    makePattern({
      pattern_id: id,
      layer_id: truth.get(id)!.layer_id,
      features: Array.from(row(XPsi, i)),
      anomaly_score: scores.anomaly[i]!,
      reflexivity: reflexive.get(id) ?? null,
      components: { rarity: scores.rarity[i]!, distance: scores.distance[i]!, isolation: scores.isolation[i]! },
      feature_spec_version: spec.version,
    }),
  );
});
const selfOperator = new SelfOperatorEstimator(config.metrics.self_operator);
const population = populationStats(patterns);
const reporter = planted[0]!;
const ordinary = ids.find((id) => !truth.get(id)!.anomalous && !truth.get(id)!.reflexive)!;
const selfReports = new Map([[reporter, { anomaly: 0.9, reflexivity: 0.2, confidence: 0.8 }]]);
for (const p of patterns.values()) {
  const s = selfOperator.scoreDetailed(p, population, selfReports.get(p.pattern_id) ?? null);
  p.self_operator = s.value;
  p.metrics_version = { anomaly: estimator.version, reflexivity: reflexivity.version, self_operator: selfOperator.version };
  if (p.pattern_id === reporter || p.pattern_id === ordinary) {
    console.log(`${p.pattern_id}: Ô_self ${f3(s.value)} from s_pop ${f3(s.components.pop)}, s_self ${f3(s.components.self)}, s_meta ${f3(s.components.meta)}, s_R ${f3(s.components.R)}${s.degraded ? ` (degraded: no ${s.missing.join(', ')})` : ''}`);
  }
}

// ---- 8. DuckDB ----
step(8, 'Save the patterns to DuckDB and query them with SQL');
const db = path.join(out, 'patterns.duckdb');
await savePatterns(db, patterns);
const instance = await DuckDBInstance.create(db);
const conn = await instance.connect();
try {
  const top = await conn.runAndReadAll('SELECT pattern_id, layer_id, round(anomaly_score, 3) AS a, round(reflexivity, 3) AS r FROM qmpt_patterns ORDER BY anomaly_score DESC LIMIT 5');
  console.log(`${db}, table qmpt_patterns, top 5 by Â:`);
  for (const r of top.getRowObjectsJS()) console.log(`  ${JSON.stringify(r)}`);
  const perLayer = await conn.runAndReadAll('SELECT layer_id, count(*) AS patterns, round(avg(anomaly_score), 3) AS mean_a, round(avg(reflexivity), 3) AS mean_r FROM qmpt_patterns GROUP BY layer_id ORDER BY layer_id');
  console.log('per layer:');
  for (const r of perLayer.getRowObjectsJS()) console.log(`  ${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`);
} finally {
  conn.closeSync();
  instance.closeSync();
}
console.log(`\ndone: ${out}`);
