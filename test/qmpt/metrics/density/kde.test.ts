/** The kernel density: parity with scipy.stats.gaussian_kde, the seeded reference sample, state, errors, regression. */
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../../engine/errors.ts';
import { bandwidthFactor, densityFromState, fitKde } from '../../../../qmpt/metrics/density/index.ts';
import type { KdeConfig, Matrix } from '../../../../qmpt/types.ts';
import { matchesRegression } from '../../../support/regression.ts';
import { blobs } from './blobs.ts';

interface Fixture {
  datasets: { name: string; rows: number; cols: number; data: number[]; queries: number[]; results: { bandwidth: KdeConfig['bandwidth']; factor: number; logpdf: number[] }[] }[];
}
const fixture = JSON.parse(fs.readFileSync(new URL('../../fixtures/kde-scipy.json', import.meta.url), 'utf8')) as Fixture;
const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

const Y = blobs(8, [
  { n: 300, mean: [0, 0], scale: [1, 0, 0.5, 0.8] },
  { n: 200, mean: [4, -2], scale: [0.5, 0.9] },
]);

test('logpdf equals scipy.stats.gaussian_kde within 1e-9 relative (scott, silverman, a number)', async () => {
  let worst = 0;
  for (const ds of fixture.datasets) {
    const X: Matrix = { rows: ds.rows, cols: ds.cols, data: Float64Array.from(ds.data) };
    const queries: Matrix = { rows: ds.queries.length / ds.cols, cols: ds.cols, data: Float64Array.from(ds.queries) };
    for (const r of ds.results) {
      const model = await fitKde(X, { bandwidth: r.bandwidth, max_points: 10_000 }, 1);
      const state = model.toState();
      assert.ok(state.kind === 'kde');
      assert.ok(relative(state.bandwidth, r.factor) < 1e-14, `${ds.name} ${r.bandwidth}: factor ${state.bandwidth} vs ${r.factor}`);
      const ld = model.logDensity(queries);
      r.logpdf.forEach((expected, i) => {
        worst = Math.max(worst, relative(ld[i]!, expected));
        assert.ok(relative(ld[i]!, expected) < 1e-9, `${ds.name} ${r.bandwidth} query ${i}: ${ld[i]} vs scipy ${expected}`);
      });
    }
  }
  console.log(`worst relative difference from scipy: ${worst.toExponential(2)}`);
});

test('bandwidth factors: Scott n^(-1/(d+4)), Silverman (n(d+2)/4)^(-1/(d+4)), or the number', () => {
  assert.is(bandwidthFactor('scott', 100, 1), 100 ** (-1 / 5));
  assert.is(bandwidthFactor('silverman', 100, 2), 100 ** (-1 / 6));
  assert.is(bandwidthFactor(0.4, 100, 2), 0.4);
});

test('beyond max_points the reference is a seeded sample of X rows, in row order', async () => {
  const a = (await fitKde(Y, { bandwidth: 'scott', max_points: 50 }, 3)).toState();
  const b = (await fitKde(Y, { bandwidth: 'scott', max_points: 50 }, 3)).toState();
  const c = (await fitKde(Y, { bandwidth: 'scott', max_points: 50 }, 4)).toState();
  assert.ok(a.kind === 'kde' && c.kind === 'kde');
  assert.equal(a, b);
  assert.not.equal(a.reference.data, c.reference.data);
  assert.is(a.reference.rows, 50);
  assert.is(a.bandwidth, 50 ** (-1 / 6));
  let last = -1;
  for (let i = 0; i < 50; i++) {
    const x = a.reference.data[i * 2];
    let at = -1;
    for (let r = 0; r < Y.rows && at < 0; r++) if (Y.data[r * 2] === x && Y.data[r * 2 + 1] === a.reference.data[i * 2 + 1]) at = r;
    assert.ok(at > last, `reference row ${i} is X row ${at}, after ${last}`);
    last = at;
  }
  // all rows when they fit
  assert.is(((await fitKde(Y, { bandwidth: 'scott', max_points: 500 }, 3)).toState() as { reference: { rows: number } }).reference.rows, 500);
});

test('its Gaussian is the reference mean and covariance; the state round trip gives identical densities', async () => {
  const model = await fitKde(Y, { bandwidth: 'silverman', max_points: 1000 }, 1);
  const g = model.gaussians();
  assert.is(g.k, 1);
  assert.equal(g.weights, [1]);
  const n = Y.rows;
  const mean = [0, 1].map((j) => Y.data.filter((_, i) => i % 2 === j).reduce((s, v) => s + v, 0) / n);
  assert.ok(Math.abs(g.means[0]! - mean[0]!) < 1e-12 && Math.abs(g.means[1]! - mean[1]!) < 1e-12);
  const back = densityFromState(JSON.parse(JSON.stringify(model.toState())));
  assert.is(back.kind, 'kde');
  assert.equal(back.logDensity(Y), model.logDensity(Y));
  assert.equal(back.gaussians(), g);
  // the density integrates to 1 (1-D, trapezoid rule)
  const one = await fitKde({ rows: 5, cols: 1, data: Float64Array.from([0, 1, 1.5, 3, 4]) }, { bandwidth: 0.5, max_points: 10 }, 1);
  const grid: Matrix = { rows: 4001, cols: 1, data: Float64Array.from({ length: 4001 }, (_, i) => -10 + i * 0.006) };
  const area = one.logDensity(grid).reduce((s, l) => s + Math.exp(l) * 0.006, 0);
  assert.ok(Math.abs(area - 1) < 1e-6, `integral ${area}`);
});

test('invalid input is named', async () => {
  const expectError = async (run: () => Promise<unknown>, message: RegExp, code = 'CONFIG'): Promise<void> => {
    try {
      await run();
    } catch (err) {
      assert.instance(err, MaasflowError);
      assert.is((err as MaasflowError).code, code);
      assert.match((err as Error).message, message);
      return;
    }
    assert.unreachable(`resolved; expected ${message}`);
  };
  await expectError(() => fitKde(Y, { bandwidth: 'wide' as 'scott', max_points: 10 }, 1), /fitKde: kde.bandwidth = "wide" must be "scott", "silverman" or a finite number > 0/);
  await expectError(() => fitKde(Y, { bandwidth: -1, max_points: 10 }, 1), /kde.bandwidth = -1/);
  await expectError(() => fitKde(Y, { bandwidth: 'scott', max_points: 1 }, 1), /kde.max_points = 1 must be an integer in 2\.\./);
  await expectError(() => fitKde({ rows: 1, cols: 2, data: Float64Array.from([1, 2]) }, { bandwidth: 'scott', max_points: 10 }, 1), /fitKde: X has 1 row; at least 2 needed/);
  await expectError(() => fitKde({ rows: 3, cols: 3, data: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 0]) }, { bandwidth: 'scott', max_points: 10 }, 1), /3 reference points is singular: 3 points in 3 dimensions/);
  const constant: Matrix = { rows: 10, cols: 2, data: Float64Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? i : 1)) };
  await expectError(() => fitKde(constant, { bandwidth: 'scott', max_points: 10 }, 1), /covariance of the 10 reference points is not positive definite \(pivot 1 is 0\): a column is constant/, 'RUNTIME');
  const model = await fitKde(Y, { bandwidth: 'scott', max_points: 100 }, 1);
  assert.throws(() => model.logDensity({ rows: 1, cols: 3, data: new Float64Array(3) }), /kde.logDensity: X has 3 columns; the model was fitted on 2/);
  const state = model.toState();
  assert.ok(state.kind === 'kde');
  assert.throws(() => densityFromState({ ...state, kernelPrecisionCholesky: [1, 2] }), /kernelPrecisionCholesky must be an array of 4 numbers/);
  assert.throws(() => densityFromState({ ...state, logNorm: Number.NaN }), /logNorm = NaN must be a finite number/);
  assert.throws(() => densityFromState({ ...state, reference: { ...state.reference, rows: 0 } }), /reference must be/);
});

test('regression set: a fixed-seed sampled KDE and its log densities', async () => {
  const model = await fitKde(Y, { bandwidth: 'scott', max_points: 64 }, 2024);
  const state = model.toState();
  assert.ok(state.kind === 'kde');
  const queries: Matrix = { rows: 4, cols: 2, data: Float64Array.from([0, 0, 4, -2, 2, -1, 10, 10]) };
  matchesRegression('kde', { bandwidth: state.bandwidth, logNorm: state.logNorm, firstReferenceRows: state.reference.data.slice(0, 8), logDensity: model.logDensity(queries) }, 1e-10);
});

test.run();
