/** The Gaussian mixture: EM, BIC, diag vs full, state round trip, errors, and a fixed-seed regression set. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { densityFromState, fitDensity, fitGmm, type GaussianSet } from '../../../../qmpt/metrics/density/index.ts';
import type { AnomalyConfig, GmmConfig, Matrix } from '../../../../qmpt/types.ts';
import { matchesRegression } from '../../../support/regression.ts';
import { blobs, threeBlobs } from './blobs.ts';
import { expectRejection } from '../../../support/errors.ts';

const gmm = (over: Partial<GmmConfig> = {}): GmmConfig => ({ components: { min: 1, max: 4 }, covariance: 'full', reg_covar: 1e-6, min_component_share: 0, tol: 1e-6, max_iter: 200, n_init: 1, ...over });
const anomaly = (over: Partial<AnomalyConfig> = {}): AnomalyConfig => ({
  density_model: 'gmm',
  gmm: gmm(),
  kde: { bandwidth: 'scott', max_points: 500 },
  distance_mode: 'mahalanobis',
  knn_k: 5,
  isolation: { trees: 50, sample_size: 64 },
  w1: 1,
  w2: 1,
  w3: 1,
  threshold: 0.8,
  seed: 7,
  ...over,
});

const X = threeBlobs(21, 301);
// two overlapping, correlated clusters: EM needs many iterations
const overlapping = blobs(5, [
  { n: 200, mean: [0, 0, 0], scale: [1, 0, 0, 0.8, 0.6, 0, 0.3, 0.2, 1] },
  { n: 150, mean: [1.5, 1, -0.5], scale: [0.7, 0, 0, -0.4, 1, 0, 0, 0.5, 0.8] },
]);

/** log p̂(x) straight from the definition, with full matrices (no packing, no blocking). */
function naiveLogDensity(g: GaussianSet, x: ArrayLike<number>): number {
  const { k, d } = g;
  let p = 0;
  for (let c = 0; c < k; c++) {
    let q = 0;
    for (let j = 0; j < d; j++) {
      let y = 0;
      for (let i = 0; i < d; i++) y += (x[i]! - g.means[c * d + i]!) * g.precisionCholesky[c * d * d + i * d + j]!;
      q += y * y;
    }
    p += g.weights[c]! * Math.exp(g.logDetPrecisionCholesky[c]! - 0.5 * d * Math.log(2 * Math.PI) - 0.5 * q);
  }
  return Math.log(p);
}

const rejects = async (run: () => Promise<unknown>, message: RegExp, path?: string): Promise<void> => void (await expectRejection(run, path === undefined ? { includes: [message] } : { includes: [message], path }));

test('BIC picks K = 3 on three separated blobs; the diagnostics add up', async () => {
  const { model, diagnostics } = await fitGmm(X, gmm(), { seed: 1 });
  assert.is(diagnostics.k, 3);
  assert.is(model.diagnostics, diagnostics);
  assert.equal(diagnostics.candidates.map((c) => c.k), [1, 2, 3, 4]);
  for (const c of diagnostics.candidates) {
    const p = c.k * 2 + c.k * 3 + c.k - 1;
    assert.ok(Math.abs(c.bic - (-2 * X.rows * c.meanLogLikelihood + p * Math.log(X.rows))) < 1e-9, `K=${c.k} BIC`);
  }
  const best = Math.min(...diagnostics.candidates.map((c) => c.bic));
  assert.is(diagnostics.bic, best);
  assert.ok(diagnostics.converged && diagnostics.iterations === diagnostics.history.length);
  const g = model.gaussians();
  assert.is(g.k, 3);
  assert.ok(Math.abs(g.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  // the mean of logDensity over X is the reported ℓ (summed in another order)
  const ld = model.logDensity(X);
  assert.ok(Math.abs(ld.reduce((a, b) => a + b, 0) / X.rows - diagnostics.meanLogLikelihood) < 1e-12);
});

test('min_component_share: a small tight mode gets no component of its own; 0 is plain BIC (scikit-learn)', async () => {
  // two ordinary modes of 200 rows and a tight one of 12 rows (5 % of the set)
  const Y = blobs(9, [
    { n: 200, mean: [0, 0], scale: [1, 1] },
    { n: 200, mean: [7, 0], scale: [1, 1] },
    { n: 12, mean: [3.5, 9], scale: [0.05, 0.05] },
  ]);
  const plain = (await fitGmm(Y, gmm({ components: { min: 1, max: 4 } }), { seed: 3 })).diagnostics;
  assert.is(plain.k, 3, 'plain BIC models the small mode');
  const ruled = (await fitGmm(Y, gmm({ components: { min: 1, max: 4 }, min_component_share: 0.1 }), { seed: 3 })).diagnostics;
  assert.is(ruled.k, 2, 'with the rule it stays out of the mixture');
  const three = ruled.candidates.find((c) => c.k === 3)!;
  assert.ok(!three.admissible && three.smallestComponent < 0.1 * Y.rows, `K = 3 holds a component of ${three.smallestComponent} rows`);
  assert.ok(three.bic < ruled.bic, 'K = 3 had the lower BIC: the rule, not BIC, excluded it');
  // the same candidates either way: the rule only changes which one is chosen
  assert.equal(ruled.candidates.map((c) => c.bic), plain.candidates.map((c) => c.bic));
  // nothing admissible (share 0.5 of 3 modes): the smallest K tried is kept
  assert.is((await fitGmm(Y, gmm({ components: { min: 2, max: 4 }, min_component_share: 0.5 }), { seed: 3 })).diagnostics.k, 2);
});

test('logDensity equals the definition from gaussians(), for any number of rows (blocks of four and the tail)', async () => {
  for (const covariance of ['full', 'diag'] as const) {
    const { model } = await fitGmm(overlapping, gmm({ components: { min: 2, max: 2 }, covariance }), { seed: 3 });
    const g = model.gaussians();
    for (const rows of [1, 2, 3, 4, 5, 7]) {
      const Y: Matrix = { rows, cols: 3, data: overlapping.data.slice(0, rows * 3) };
      const ld = model.logDensity(Y);
      for (let i = 0; i < rows; i++) {
        const expected = naiveLogDensity(g, Y.data.subarray(i * 3, i * 3 + 3));
        assert.ok(Math.abs(ld[i]! - expected) < 1e-12 * Math.abs(expected) + 1e-13, `${covariance}, ${rows} rows, row ${i}: ${ld[i]} vs ${expected}`);
      }
    }
  }
});

test('EM never lowers the mean log-likelihood', async () => {
  for (const covariance of ['full', 'diag'] as const) {
    const { diagnostics } = await fitGmm(overlapping, gmm({ components: { min: 3, max: 3 }, covariance, tol: 1e-10, max_iter: 500 }), { seed: 2 });
    const h = diagnostics.history;
    assert.ok(h.length > 10, `${covariance}: only ${h.length} iterations`);
    for (let i = 1; i < h.length; i++) assert.ok(h[i]! >= h[i - 1]! - 1e-12 * Math.abs(h[i - 1]!), `${covariance}: ℓ fell at iteration ${i + 1}: ${h[i - 1]} → ${h[i]}`);
    assert.ok(diagnostics.meanLogLikelihood >= h[h.length - 1]! - 1e-12);
  }
});

test('diag vs full: diagonal blocks, fewer parameters, a lower likelihood on correlated data, the same on axis-aligned data', async () => {
  const fixed = { components: { min: 2, max: 2 } };
  const full = await fitGmm(overlapping, gmm(fixed), { seed: 4 });
  const diag = await fitGmm(overlapping, gmm({ ...fixed, covariance: 'diag' }), { seed: 4 });
  const g = diag.model.gaussians();
  for (let c = 0; c < 2; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) if (i !== j) assert.is(g.precisionCholesky[c * 9 + i * 3 + j], 0);
  assert.ok(full.diagnostics.meanLogLikelihood > diag.diagnostics.meanLogLikelihood + 0.05);
  const n = overlapping.rows;
  assert.ok(Math.abs(diag.diagnostics.bic - (-2 * n * diag.diagnostics.meanLogLikelihood + (2 * 2 * 3 + 1) * Math.log(n))) < 1e-9);
  // axis-aligned blobs: the full model's extra freedom buys almost nothing
  const a = await fitGmm(X, gmm({ components: { min: 3, max: 3 } }), { seed: 4 });
  const b = await fitGmm(X, gmm({ components: { min: 3, max: 3 }, covariance: 'diag' }), { seed: 4 });
  assert.ok(Math.abs(a.diagnostics.meanLogLikelihood - b.diagnostics.meanLogLikelihood) < 0.02);
  assert.ok(a.diagnostics.meanLogLikelihood >= b.diagnostics.meanLogLikelihood);
});

test('the fit is a function of the seed; n_init keeps the best run', async () => {
  const config = gmm({ components: { min: 3, max: 3 }, tol: 1e-8 });
  const a = await fitGmm(overlapping, config, { seed: 9 });
  const b = await fitGmm(overlapping, config, { seed: 9 });
  assert.equal(a.model.toState(), b.model.toState());
  assert.equal(a.diagnostics, b.diagnostics);
  const many = await fitGmm(overlapping, { ...config, n_init: 4 }, { seed: 9 });
  assert.ok(many.diagnostics.lowerBound >= a.diagnostics.lowerBound, 'init 0 is one of the four runs');
  assert.ok(many.diagnostics.init >= 0 && many.diagnostics.init < 4);
});

test('state round trip: densityFromState gives identical log densities', async () => {
  for (const covariance of ['full', 'diag'] as const) {
    const model = await fitDensity(overlapping, anomaly({ gmm: gmm({ covariance }) }));
    const state = JSON.parse(JSON.stringify(model.toState())) as ReturnType<typeof model.toState>;
    const back = densityFromState(state);
    assert.is(back.kind, 'gmm');
    assert.is(back.dim, 3);
    assert.equal(back.gaussians(), model.gaussians());
    assert.equal(back.logDensity(overlapping), model.logDensity(overlapping));
    assert.equal(back.toState(), model.toState());
  }
});

test('fitDensity: density_model picks the model, seed defaults to config.seed', async () => {
  const config = anomaly({ gmm: gmm({ components: { min: 2, max: 3 } }) });
  const byDefault = await fitDensity(X, config);
  assert.equal(byDefault.toState(), (await fitDensity(X, config, { seed: config.seed })).toState());
  assert.is((await fitDensity(X, { ...config, density_model: 'kde' })).kind, 'kde');
});

test('invalid input is named: X rows and columns, config fields, state fields', async () => {
  const config = anomaly();
  await rejects(() => fitDensity({ rows: 0, cols: 2, data: new Float64Array(0) }, config), /fitGmm: X is empty/, 'X');
  await rejects(() => fitDensity({ rows: 2, cols: 2, data: new Float64Array(3) }, config), /X has shape 2×2 but 3 values/);
  const nan = X.data.slice();
  nan[2 * 7 + 1] = Number.NaN;
  await rejects(() => fitDensity({ ...X, data: nan }, config), /fitGmm: X row 7, column 1 is NaN; every value must be a finite number/, 'X[7][1]');
  const inf = X.data.slice();
  inf[2 * 300] = Number.POSITIVE_INFINITY;
  await rejects(() => fitDensity({ ...X, data: inf }, { ...config, density_model: 'kde' }), /fitKde: X row 300, column 0 is Infinity/, 'X[300][0]');
  const three: Matrix = { rows: 3, cols: 2, data: X.data.slice(0, 6) };
  await rejects(() => fitDensity(three, config), /gmm.components.max = 4 exceeds the 3 rows of X/, 'gmm.components.max');
  const bad: [Partial<GmmConfig>, RegExp, string][] = [
    [{ components: { min: 0, max: 2 } }, /gmm.components.min = 0 must be an integer in 1\.\./, 'gmm.components.min'],
    [{ components: { min: 3, max: 2 } }, /gmm.components.max = 2 must be an integer in 3\.\./, 'gmm.components.max'],
    [{ covariance: 'tied' as 'full' }, /gmm.covariance = "tied" must be "full" or "diag"/, 'gmm.covariance'],
    [{ reg_covar: -1 }, /gmm.reg_covar = -1 must be a finite number >= 0/, 'gmm.reg_covar'],
    [{ tol: 0 }, /gmm.tol = 0 must be a finite number > 0/, 'gmm.tol'],
    [{ max_iter: 1.5 }, /gmm.max_iter = 1.5 must be an integer/, 'gmm.max_iter'],
    [{ n_init: 0 }, /gmm.n_init = 0 must be an integer/, 'gmm.n_init'],
  ];
  for (const [over, message, path] of bad) await rejects(() => fitDensity(X, anomaly({ gmm: gmm(over) })), message, path);
  await rejects(() => fitDensity(X, { ...config, density_model: 'svm' as 'gmm' }), /density_model = "svm" must be "gmm" or "kde"/, 'density_model');
  await rejects(() => fitDensity(X, config, { seed: Number.NaN }), /seed = NaN must be a finite number/, 'seed');
  const model = await fitDensity(X, anomaly({ gmm: gmm({ components: { min: 1, max: 1 } }) }));
  assert.throws(() => model.logDensity(overlapping), /gmm.logDensity: X has 3 columns; the model was fitted on 2/);
  const state = model.toState();
  assert.ok(state.kind === 'gmm');
  assert.throws(() => densityFromState({ ...state, gaussians: { ...state.gaussians, means: [1] } }), /gaussians.means must be an array of 2 numbers/);
  assert.throws(() => densityFromState({ ...state, gaussians: { ...state.gaussians, weights: [Number.NaN] } }), /gaussians.weights\[0\] = NaN must be a finite number/);
  assert.throws(() => densityFromState({ ...state, kind: 'hmm' } as unknown as typeof state), /kind = "hmm" must be "gmm" or "kde"/);
});

test('a collapsed component names the fit, the iteration and the component', async () => {
  // a constant column and no regularisation: the covariance is singular from the k-means init on
  const flat: Matrix = { rows: 50, cols: 2, data: Float64Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? i : 3)) };
  await rejects(() => fitGmm(flat, gmm({ components: { min: 2, max: 2 }, reg_covar: 0 }), { seed: 1 }), /^gmm \(K=2, init 0\), k-means init: the covariance of component 0 is not positive definite \(pivot 1 is .*\): .*raise gmm.reg_covar/);
  // diag too; with reg_covar the same data fits
  await rejects(() => fitGmm(flat, gmm({ components: { min: 1, max: 1 }, reg_covar: 0, covariance: 'diag' }), { seed: 1 }), /component 0 is not positive definite \(pivot 1 is 0\)/);
  const { diagnostics } = await fitGmm(flat, gmm({ components: { min: 1, max: 2 } }), { seed: 1 });
  assert.ok(Number.isFinite(diagnostics.meanLogLikelihood));
});

test('regression set: a fixed-seed fit and its log densities', async () => {
  const { model, diagnostics } = await fitGmm(overlapping, gmm({ components: { min: 1, max: 3 }, n_init: 2 }), { seed: 12345 });
  const { history, ...summary } = diagnostics;
  const queries: Matrix = { rows: 5, cols: 3, data: Float64Array.from([0, 0, 0, 1.5, 1, -0.5, 5, 5, 5, -3, 2, 0, 0.7, 0.5, -0.2]) };
  matchesRegression('gmm', { summary, historyLength: history.length, gaussians: model.gaussians(), logDensity: model.logDensity(queries) }, 1e-10);
});

test.run();
