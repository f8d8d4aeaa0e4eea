/** The anomaly score Â of docs/QMPT.md §3: components, weights, state, chunks, errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { fromRows, matrix } from '../../../qmpt/matrix.ts';
import { AnomalyEstimator, type AnomalyState } from '../../../qmpt/metrics/anomaly.ts';
import { createQmptPool } from '../../../operators/qmpt/pool.ts';
import { inlineExecutor } from '../../../qmpt/metrics/density/index.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { AnomalyConfig } from '../../../qmpt/types.ts';
import { metricVersion } from '../../../qmpt/version.ts';
import { matchesRegression } from '../../support/regression.ts';
import { anomalyConfig, clustersWithOutliers, DiagonalGaussianDensity, sampleGaussian } from './support.ts';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

async function failure(run: () => unknown): Promise<MaasflowError> {
  try {
    await run();
  } catch (e) {
    assert.instance(e, MaasflowError);
    return e as MaasflowError;
  }
  throw new Error('accepted');
}

const reference = sampleGaussian(new Rng(3), 300, [0, 0], [[1, 0], [0, 4]]);
const truth = new DiagonalGaussianDensity([0, 0], [1, 4]);

test('components by hand over a known Gaussian: R̃ = mid-rank of −log p̂, D̃ = 1 − e^(−D̂²/2), Â the weighted mean', async () => {
  const config = anomalyConfig({ isolation: { trees: 50, sample_size: 128 } });
  const est = await AnomalyEstimator.fit(reference, config, { density: truth });
  const refRarity = Array.from(truth.logDensity(reference), (l) => -l);
  for (const x of [[0, 0], [1, -2], [2.5, 3], [-4, 9]]) {
    const s = est.score(x);
    const r = 0.5 * (2 * Math.log(2 * Math.PI) + Math.log(4) + x[0]! ** 2 + x[1]! ** 2 / 4);
    close(s.rarityRaw, r, 1e-12, `R̂ at ${x}`);
    const less = refRarity.filter((v) => v < s.rarityRaw).length;
    const equal = refRarity.filter((v) => v === s.rarityRaw).length;
    assert.is(s.rarity, (less + 0.5 * equal + 0.5) / 301);
    const d2 = x[0]! ** 2 + x[1]! ** 2 / 4;
    close(s.distanceRaw, Math.sqrt(d2), 1e-12, `D̂ at ${x}`);
    close(s.distance, 1 - Math.exp(-d2 / 2), 1e-12, `D̃ at ${x}`);
    assert.ok(s.isolation > 0 && s.isolation <= 1);
    close(s.anomaly, (1.0 * s.rarity + 0.7 * s.distance + 0.5 * s.isolation) / 2.2, 1e-15, `Â at ${x}`);
  }
  assert.ok(est.score([-4, 9]).anomaly > est.score([0, 0]).anomaly);
});

test('Â ∈ [0, 1]; one weight alone gives its component; Â moves monotonically toward a component as its weight grows; scale-free', async () => {
  const base = await AnomalyEstimator.fit(reference, anomalyConfig(), { density: truth });
  const probe = fromRows([[0, 0], [1, 1], [3, -1], [-2, 7], [0.2, -0.5]]);
  const s = base.batchScore(probe);
  for (const a of s.anomaly) assert.ok(a >= 0 && a <= 1);
  const only = async (w: Pick<AnomalyConfig, 'w1' | 'w2' | 'w3'>) => (await AnomalyEstimator.fit(reference, anomalyConfig(w), { density: truth })).batchScore(probe).anomaly;
  assert.equal(Array.from(await only({ w1: 1, w2: 0, w3: 0 })), Array.from(s.rarity));
  assert.equal(Array.from(await only({ w1: 0, w2: 2, w3: 0 })), Array.from(s.distance));
  assert.equal(Array.from(await only({ w1: 0, w2: 0, w3: 0.3 })), Array.from(s.isolation));
  const doubled = await only({ w1: 2, w2: 1.4, w3: 1 });
  doubled.forEach((a, i) => close(a, s.anomaly[i]!, 1e-15, `doubled weights, row ${i}`));
  const components = [s.rarity, s.distance, s.isolation] as const;
  for (const [c, key] of (['w1', 'w2', 'w3'] as const).entries()) {
    let previous: Float64Array | null = null;
    for (const w of [0, 0.25, 1, 4, 16]) {
      const a = await only({ w1: 1, w2: 0.7, w3: 0.5, [key]: w });
      if (previous !== null) {
        for (let i = 0; i < probe.rows; i++) {
          const toward = Math.sign(components[c][i]! - previous[i]!);
          assert.ok((a[i]! - previous[i]!) * toward >= -1e-15, `${key} = ${w}, row ${i}: Â moved away from its component`);
          assert.ok(Math.abs(components[c][i]! - a[i]!) <= Math.abs(components[c][i]! - previous[i]!) + 1e-15);
        }
      }
      previous = a;
    }
  }
});

test('end to end with the fitted density (gmm and kde, every distance mode): planted outliers rank first', async () => {
  // fitted on the clusters alone, scored with the outliers among them
  const { X, outliers } = clustersWithOutliers(8, 150);
  const clean = matrix(outliers[0]!, 2, X.data.slice(0, outliers[0]! * 2));
  for (const density_model of ['gmm', 'kde'] as const) {
    for (const distance_mode of ['mahalanobis', 'euclidean', 'knn'] as const) {
      const est = await AnomalyEstimator.fit(clean, anomalyConfig({ density_model, distance_mode, knn_k: 5 }));
      const state = est.toState();
      assert.is(state.density.kind, density_model);
      assert.is(state.distance.mode, distance_mode);
      const a = est.batchScore(X).anomaly;
      const order = Array.from(a.keys()).sort((i, j) => a[j]! - a[i]!);
      // R̃ and D̃ saturate beyond the reference's extremes, so the reference's own most extreme
      // point can slip in among the outliers: all five within the top 6 of 305
      const ranks = outliers.map((i) => order.indexOf(i));
      assert.ok(Math.max(...ranks) < 6, `${density_model} + ${distance_mode}: outlier ranks ${ranks}`);
      for (const i of outliers) assert.ok(est.isAnomalous(a[i]!), `${density_model} + ${distance_mode}: outlier ${i} has Â ${a[i]} < the threshold`);
      // R̃ and D̃ are uniform over the reference and agree with each other, so Â ≥ 0.8 takes its outer ~10 %
      const inliers = Array.from(a.subarray(0, clean.rows)).sort((u, v) => u - v);
      const flagged = inliers.filter((v) => est.isAnomalous(v)).length;
      assert.ok(flagged / clean.rows < 0.15, `${density_model} + ${distance_mode}: ${flagged} inliers flagged`);
      assert.ok(inliers[clean.rows >> 1]! < 0.6, `${density_model} + ${distance_mode}: median inlier Â ${inliers[clean.rows >> 1]}`);
    }
  }
  // with the outliers in the reference too, as long as the mixture has no spare component to spend on one of them
  const est = await AnomalyEstimator.fit(X, anomalyConfig({ gmm: { ...anomalyConfig().gmm, components: { min: 1, max: 2 } } }));
  const a = est.batchScore(X).anomaly;
  const order = Array.from(a.keys()).sort((i, j) => a[j]! - a[i]!);
  assert.ok(Math.max(...outliers.map((i) => order.indexOf(i))) < 6, 'outliers in the reference');
});

test('deterministic per seed; state round trip through JSON gives === scores; the executor does not change the fit', async () => {
  const { X } = clustersWithOutliers(2, 100);
  const config = anomalyConfig({ isolation: { trees: 40, sample_size: 64 } });
  const a = await AnomalyEstimator.fit(X, config);
  const b = await AnomalyEstimator.fit(X, config, { executor: inlineExecutor });
  assert.equal(a.toState(), b.toState());
  const other = await AnomalyEstimator.fit(X, { ...config, seed: 43 });
  assert.not.equal(other.toState().isolation.threshold, a.toState().isolation.threshold);
  assert.is(a.version, metricVersion('anomaly', 1, config));
  assert.is(other.version === a.version, false);
  assert.is(a.dim, 2);
  const state = JSON.parse(JSON.stringify(a.toState())) as AnomalyState;
  const restored = AnomalyEstimator.fromState(state);
  assert.is(restored.version, a.version);
  const probe = sampleGaussian(new Rng(9), 50, [3, 0], [[9, 0], [0, 9]]);
  const s1 = a.batchScore(probe);
  const s2 = restored.batchScore(probe);
  for (const key of ['anomaly', 'rarity', 'distance', 'isolation', 'rarityRaw', 'distanceRaw'] as const) assert.equal(Array.from(s2[key]), Array.from(s1[key]), key);
  const tampered = { ...state, config: { ...state.config, w1: 3 } };
  assert.match((await failure(() => AnomalyEstimator.fromState(tampered))).message, /state.version anomaly\.v1#\w{8} does not match its config/);
});

test('a fit through the worker pool executor is identical to the main thread\'s (X over several 4,096-row chunks)', async () => {
  const rng = new Rng(12);
  const X = sampleGaussian(rng, 9000, [0, 1], [[1, 0.3], [0.3, 2]]);
  const config = anomalyConfig({ gmm: { ...anomalyConfig().gmm, components: { min: 1, max: 2 } }, isolation: { trees: 20, sample_size: 64 } });
  const pool = createQmptPool({ threads: 2 });
  try {
    const pooled = await AnomalyEstimator.fit(X, config, { executor: pool.executor });
    const inline = await AnomalyEstimator.fit(X, config);
    assert.equal(pooled.toState(), inline.toState());
  } finally {
    await pool.close();
  }
});

test('chunks: scoring row ranges or row slices gives === the whole batch; score(x) === its batch row', async () => {
  const { X } = clustersWithOutliers(5, 120);
  const est = await AnomalyEstimator.fit(X, anomalyConfig({ distance_mode: 'knn', knn_k: 6, isolation: { trees: 30, sample_size: 64 } }));
  const whole = est.batchScore(X);
  const cuts = [0, 1, 37, 100, 200, X.rows];
  for (const key of ['anomaly', 'rarity', 'distance', 'isolation', 'rarityRaw', 'distanceRaw'] as const) {
    const parts: number[] = [];
    const slices: number[] = [];
    for (let c = 0; c + 1 < cuts.length; c++) {
      parts.push(...est.batchScore(X, { from: cuts[c], to: cuts[c + 1] })[key]);
      const rows = cuts[c + 1]! - cuts[c]!;
      slices.push(...est.batchScore(matrix(rows, 2, X.data.slice(cuts[c]! * 2, cuts[c + 1]! * 2)))[key]);
    }
    assert.equal(parts, Array.from(whole[key]), `${key}: ranges`);
    assert.equal(slices, Array.from(whole[key]), `${key}: copies`);
  }
  const one = est.score(Array.from(X.data.subarray(14, 16)));
  assert.is(one.anomaly, whole.anomaly[7]);
  assert.is(one.isolation, whole.isolation[7]);
  assert.is(est.batchScore(X, { from: 4, to: 4 }).rows, 0);
});

test('errors name the weight, the threshold, the row and column, the value of x', async () => {
  const fit = (c: Partial<AnomalyConfig>) => AnomalyEstimator.fit(reference, anomalyConfig(c), { density: truth });
  let e = await failure(() => fit({ w2: -1 }));
  assert.is(e.message, 'AnomalyEstimator.fit: metrics.anomaly.w2 = -1 must be a finite number ≥ 0');
  assert.is(e.code, 'CONFIG');
  assert.is(e.location?.path, 'metrics.anomaly.w2');
  e = await failure(() => fit({ w1: 0, w2: 0, w3: 0 }));
  assert.is(e.message, 'AnomalyEstimator.fit: metrics.anomaly has w1, w2, w3 all 0; at least one must be > 0');
  e = await failure(() => fit({ w3: Number.NaN }));
  assert.is(e.location?.path, 'metrics.anomaly.w3');
  e = await failure(() => fit({ threshold: 1.5 }));
  assert.is(e.message, 'AnomalyEstimator.fit: metrics.anomaly.threshold = 1.5 must be a number in [0, 1]');
  e = await failure(() => fit({ isolation: { trees: 10, sample_size: 1 } }));
  assert.is(e.location?.path, 'metrics.anomaly.isolation.sample_size');
  e = await failure(() => fit({ distance_mode: 'manhattan' as AnomalyConfig['distance_mode'] }));
  assert.is(e.location?.path, 'metrics.anomaly.distance_mode');
  const bad = matrix(3, 2, Float64Array.from([0, 1, 2, 3, Number.NaN, 5]));
  e = await failure(() => AnomalyEstimator.fit(bad, anomalyConfig()));
  assert.is(e.message, 'AnomalyEstimator.fit: X row 2, column 0 is NaN; every value must be a finite number');
  const est = await fit({});
  e = await failure(() => est.score([1, 2, 3]));
  assert.is(e.message, 'AnomalyEstimator.score: x has 3 values; the model was fitted on 2 columns');
  e = await failure(() => est.score([1, Number.NaN]));
  assert.is(e.message, 'AnomalyEstimator.score: x[1] is NaN; every value must be a finite number');
  assert.is(e.location?.path, 'x/1');
  e = await failure(() => est.batchScore(fromRows([[1, 2, 3]])));
  assert.is(e.message, 'AnomalyEstimator.batchScore: X.cols = 3, but the model was fitted on 2 columns');
  e = await failure(() => est.batchScore(fromRows([[1, 2], [3, Number.POSITIVE_INFINITY]])));
  assert.is(e.message, 'AnomalyEstimator.batchScore: X row 1, column 1 is Infinity; every value must be a finite number');
  const holed = matrix(reference.rows, 2, reference.data.slice());
  holed.data[150 * 2 + 1] = Number.NaN;
  e = await failure(() => est.batchScore(holed, { from: 100, to: 200 }));
  assert.is(e.message, 'AnomalyEstimator.batchScore: X row 150, column 1 is NaN; every value must be a finite number');
  assert.is(est.batchScore(holed, { from: 151 }).rows, 149, 'only the rows of the range are read');
  e = await failure(() => est.batchScore(reference, { from: 10, to: 5 }));
  assert.is(e.message, 'AnomalyEstimator.batchScore: range.to = 5 must be an integer in 10..300');
});

test('fixed-seed regression set (GMM + mahalanobis, KDE + knn)', async () => {
  const { X } = clustersWithOutliers(77, 80);
  const probe = fromRows([[0, 0], [3, 0.5], [6, 1], [3, 8], [-2, 9], [1, -1]]);
  const gmm = await AnomalyEstimator.fit(X, anomalyConfig({ isolation: { trees: 50, sample_size: 128 } }));
  const kde = await AnomalyEstimator.fit(X, anomalyConfig({ density_model: 'kde', distance_mode: 'knn', knn_k: 5, isolation: { trees: 50, sample_size: 128 } }));
  const density = gmm.toState().density;
  matchesRegression('anomaly', {
    gmm: { version: gmm.version, components: density.kind === 'gmm' ? density.gaussians.k : 0, scores: gmm.batchScore(probe) },
    kde: { version: kde.version, scores: kde.batchScore(probe) },
  });
});

test.run();
