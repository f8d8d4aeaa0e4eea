/** The batch scoring pipeline on seeded synthetic observations with a known truth. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { createQmptPool } from '../../../operators/qmpt/pool.ts';
import { DEFAULT_CONFIG } from '../../../qmpt/config/loader.ts';
import { generateObservations } from '../../../qmpt/data/synthetic.ts';

import { DEFAULT_LAYER, scoreObservations, type ScoreResult } from '../../../qmpt/pipeline/score.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { Observation, Pattern, QmptConfig } from '../../../qmpt/types.ts';
import { matchesRegression } from '../../support/regression.ts';

const config = (): QmptConfig => structuredClone(DEFAULT_CONFIG) as QmptConfig;
const { observations, truth } = generateObservations({ seed: 3, patterns: 48, anomalous: 3, reflexive: 8 });
const result = await scoreObservations(observations, config());

const byAnomaly = (r: ScoreResult): Pattern[] => [...r.patterns.values()].sort((a, b) => b.anomaly_score! - a.anomaly_score!);
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<MaasflowError> {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.match((err as Error).message, pattern);
    return err as MaasflowError;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
  throw new Error("unreachable");
}

test('the planted anomalies are the three patterns of highest Â', () => {
  const planted = [...truth].filter(([, t]) => t.anomalous).map(([id]) => id).sort();
  assert.equal(planted.length, 3);
  const top = byAnomaly(result).slice(0, 3).map((p) => p.pattern_id).sort();
  assert.equal(top, planted);
  // and their observations score above the others (no mixture component of their own: reference.ts)
  const obsOf = (anomalous: boolean): number[] => result.observationScores.filter((o) => truth.get(o.pattern_id)!.anomalous === anomalous).map((o) => o.anomaly);
  assert.ok(mean(obsOf(true)) > mean(obsOf(false)) + 0.3, `anomalous observations ${mean(obsOf(true))} vs ordinary ${mean(obsOf(false))}`);
});

test('every pattern is scored: Â, R̂_norm, Ô_self in [0, 1], x_Ψ, its components, its layer from its observations', () => {
  assert.is(result.patterns.size, 48);
  assert.equal([...result.patterns.keys()], [...result.patterns.keys()].sort());
  for (const p of result.patterns.values()) {
    for (const v of [p.anomaly_score, p.reflexivity, p.self_operator]) assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${p.pattern_id}: ${v}`);
    assert.is(p.features!.length, result.diagnostics.dim);
    assert.is(p.layer_id, truth.get(p.pattern_id)!.layer_id);
    const c = p.components!;
    for (const k of ['rarity', 'distance', 'isolation', 'r_text', 'r_dyn', 's_pop']) assert.ok(typeof c[k] === 'number', `${p.pattern_id} components.${k}`);
    // no self-report: s_self and s_meta are undefined, so not stored
    assert.not.ok('s_self' in c || 's_meta' in c);
    const a = DEFAULT_CONFIG.metrics.anomaly;
    assert.ok(Math.abs(p.anomaly_score! - (a.w1 * c.rarity! + a.w2 * c.distance! + a.w3 * c.isolation!) / (a.w1 + a.w2 + a.w3)) < 1e-12);
    assert.is(p.metadata.n_observations, observations.filter((o) => o.pattern_id === p.pattern_id).length);
  }
});

test('reflexive patterns have a higher R̂_norm than ordinary ones', () => {
  const of = (kind: 'reflexive' | 'ordinary'): number[] =>
    [...result.patterns.values()].filter((p) => (kind === 'reflexive') === truth.get(p.pattern_id)!.reflexive && !truth.get(p.pattern_id)!.anomalous).map((p) => p.reflexivity!);
  assert.ok(mean(of('reflexive')) > mean(of('ordinary')) + 0.3, `reflexive ${mean(of('reflexive'))} vs ordinary ${mean(of('ordinary'))}`);
  assert.ok(Math.min(...of('reflexive')) > Math.max(...of('ordinary')));
});

test('versions are recorded on every pattern and match the run', () => {
  const v = result.versions;
  assert.match(v.feature_spec, /^text_v1#[0-9a-f]{8}$/);
  assert.match(v.anomaly, /^anomaly\.v1#[0-9a-f]{8}$/);
  assert.match(v.reflexivity, /^reflexivity\.v1#[0-9a-f]{8}$/);
  assert.match(v.self_operator, /^self_operator\.v1#[0-9a-f]{8}$/);
  for (const p of result.patterns.values()) {
    assert.is(p.feature_spec_version, v.feature_spec);
    assert.equal(p.metrics_version, { anomaly: v.anomaly, reflexivity: v.reflexivity, self_operator: v.self_operator });
  }
});

test('per-observation scores: one row per observation in time order, with the layer of its pattern', () => {
  const rows = result.observationScores;
  assert.is(rows.length, observations.length);
  assert.equal(new Set(rows.map((r) => r.obs_id)).size, observations.length);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.timestamp >= rows[i - 1]!.timestamp);
  for (const r of rows) {
    assert.is(r.layer_id, truth.get(r.pattern_id)!.layer_id);
    for (const k of ['anomaly', 'rarity', 'distance', 'isolation'] as const) assert.ok(r[k] >= 0 && r[k] <= 1);
  }
  const threshold = DEFAULT_CONFIG.metrics.anomaly.threshold;
  assert.is(result.diagnostics.anomalous_observation_share, rows.filter((r) => r.anomaly >= threshold).length / rows.length);
});

test('a layer per layer_id with its patterns and a measured trajectory on the metrics.layer grid', () => {
  assert.equal(result.layers.map((l) => l.layer_id), ['L1', 'L2']);
  const step = DEFAULT_CONFIG.metrics.layer.step;
  for (const layer of result.layers) {
    const own = [...result.patterns.values()].filter((p) => p.layer_id === layer.layer_id).map((p) => p.pattern_id);
    assert.equal(layer.patterns, own);
    const traj = layer.state_trajectory;
    assert.ok(traj.length > 10, `${layer.layer_id}: ${traj.length} states`);
    for (let j = 1; j < traj.length; j++) assert.ok(Math.abs(traj[j]!.t - traj[j - 1]!.t - step) < 1e-9);
    const nObs = traj.map((s) => s.macro_state.n_obs as number);
    assert.ok(nObs.some((n) => n > 0));
    for (const s of traj) {
      if (s.stress === null) assert.is(s.macro_state.regime, 'empty');
      else assert.ok(s.stress >= 0 && s.stress <= 1 && s.protection! >= 0 && s.protection! <= 1);
    }
  }
});

test('diagnostics: the density, K of each reference among admissible candidates, and the degraded patterns', () => {
  const d = result.diagnostics;
  assert.is(d.density, 'gmm');
  for (const which of ['observations', 'patterns'] as const) {
    const k = d.components[which]!;
    const chosen = d.candidates[which].find((c) => c.k === k)!;
    assert.ok(chosen.admissible, `${which}: K = ${k} is admissible`);
    // the lowest BIC among the admissible ones
    for (const c of d.candidates[which]) if (c.admissible) assert.ok(chosen.bic <= c.bic);
    const rows = which === 'observations' ? result.observationScores.length : result.patterns.size;
    for (const c of d.candidates[which]) assert.is(c.admissible, c.smallest_component >= Math.max(d.dim + 1, DEFAULT_CONFIG.metrics.anomaly.gmm.min_component_share * rows));
  }
  // without self-reports every Ô_self lacks s_self and s_meta
  assert.is(d.degraded.length, 48);
  for (const g of d.degraded) assert.equal(g.self_operator_missing, ['s_self', 's_meta']);
  assert.is(d.anomalous_patterns, [...result.patterns.values()].filter((p) => p.anomaly_score! >= DEFAULT_CONFIG.metrics.anomaly.threshold).length);
});

test('self-reports give s_self and s_meta; an unknown id is listed, a bad report names the pattern and the field', async () => {
  const small = generateObservations({ seed: 5, patterns: 24, anomalous: 2, reflexive: 4 }).observations;
  const plain = await scoreObservations(small, config());
  const p = plain.patterns.get('p-10')!;
  const selfReports = new Map([
    ['p-10', { anomaly: p.anomaly_score!, reflexivity: p.reflexivity!, confidence: 1 }],
    ['nobody', { confidence: 0.5 }],
  ]);
  const r = await scoreObservations(small, config(), { selfReports });
  const q = r.patterns.get('p-10')!;
  assert.is(q.components!.s_self, 1);
  assert.is(q.components!.s_meta, 1);
  assert.ok(q.self_operator! > p.self_operator!, 'a perfect self-report raises Ô_self');
  assert.not.ok(r.diagnostics.degraded.some((g) => g.pattern_id === 'p-10'));
  assert.equal(r.diagnostics.unmatched_self_reports, ['nobody']);
  await rejects(() => scoreObservations(small, config(), { selfReports: new Map([['p-3', { anomaly: 2 }]]) }), /pattern "p-3".*selfReports\.anomaly = 2 must be a number in \[0, 1\]/);
});

test('the same observations in any order give the same result', async () => {
  const shuffled = new Rng(9).shuffle([...observations]);
  const again = await scoreObservations(shuffled, config());
  assert.equal(again, result);
});

test('the GMM fit in a pool of 2 workers gives identical patterns', async () => {
  const pool = createQmptPool({ threads: 2 });
  try {
    const pooled = await scoreObservations(observations, config(), { executor: pool.executor });
    assert.equal([...pooled.patterns.values()], [...result.patterns.values()]);
    assert.equal(pooled.observationScores, result.observationScores);
  } finally {
    await pool.close();
  }
});

test('the kernel density works the same way', async () => {
  const c = config();
  c.metrics.anomaly.density_model = 'kde';
  const r = await scoreObservations(observations, c);
  assert.is(r.diagnostics.density, 'kde');
  assert.equal(r.diagnostics.components, { observations: null, patterns: null });
  assert.equal(byAnomaly(r).slice(0, 3).map((p) => p.pattern_id).sort(), ['anom-1', 'anom-2', 'anom-3']);
  assert.is.not(r.versions.anomaly, result.versions.anomaly);
});

test('a handful of patterns still scores: K is tried up to the rows there are', async () => {
  const few = generateObservations({ seed: 1, patterns: 5, anomalous: 1, reflexive: 1 }).observations;
  const r = await scoreObservations(few, config());
  assert.is(r.patterns.size, 5);
  assert.equal(r.diagnostics.candidates.patterns.map((c) => c.k), [1, 2, 3, 4, 5]);
  assert.is(r.diagnostics.components.patterns, 1);
  assert.is(byAnomaly(r)[0]!.pattern_id, 'anom-1');
});

test('observations without a layer_id put their pattern in the default layer', async () => {
  const bare = observations.map(({ layer_id: _layer, ...o }) => o as Observation);
  const r = await scoreObservations(bare, config());
  assert.equal(r.layers.map((l) => l.layer_id), [DEFAULT_LAYER]);
  assert.ok([...r.patterns.values()].every((p) => p.layer_id === DEFAULT_LAYER));
});

test('bad input: two layers for one pattern, too few observations or patterns, a repeated obs_id', async () => {
  const twoLayers = observations.map((o) => (o.obs_id === 'p-10-o2' ? { ...o, layer_id: 'L9' } : o));
  const err = await rejects(() => scoreObservations(twoLayers, config()), /pattern "p-10" \/layer_id: its observations name two layers, "L2" \(observation "p-10-o\d+"\) and "L9" \(observation "p-10-o2"\)/);
  assert.is(err.code, 'RECORD_VALIDATE');
  await rejects(() => scoreObservations(observations.slice(0, 1), config()), /at least 2 observations, got 1/);
  const onePattern = observations.filter((o) => o.pattern_id === 'p-10');
  await rejects(() => scoreObservations(onePattern, config()), /at least 2 patterns are needed; all \d+ observations are of pattern "p-10"/);
  await rejects(() => scoreObservations([...observations, { ...observations[5]!, timestamp: 1 }], config()), new RegExp(`observations\\[${observations.length}\\] /obs_id: "${observations[5]!.obs_id}" is given twice`));
  const knn = config();
  knn.metrics.anomaly.distance_mode = 'knn';
  knn.metrics.anomaly.knn_k = 30;
  const small = generateObservations({ seed: 5, patterns: 12, anomalous: 1, reflexive: 2 }).observations;
  await rejects(() => scoreObservations(small, knn), /the anomaly reference of 12 patterns: .*knn_k = 30/);
  const tooMany = config();
  tooMany.metrics.anomaly.gmm.components = { min: 13, max: 14 };
  await rejects(() => scoreObservations(small, tooMany), /the anomaly reference of 12 patterns: metrics\.anomaly\.gmm\.components\.min = 13 exceeds the 12 rows/);
});

test('regression set: the top patterns, their scores and the chosen K', () => {
  const top = byAnomaly(result).slice(0, 6).map((p) => ({ id: p.pattern_id, anomaly: p.anomaly_score, reflexivity: p.reflexivity, self_operator: p.self_operator }));
  matchesRegression('pipeline-score', { top, versions: result.versions, components: result.diagnostics.components, share: result.diagnostics.anomalous_observation_share }, 1e-9);
});

test.run();
