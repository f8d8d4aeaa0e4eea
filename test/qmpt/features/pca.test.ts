/**
 * PCA on a seeded dataset with known principal axes: the axes and variances
 * are recovered, the sign rule holds, and a refit on the same rows in
 * another order gives the same axes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fitPca, projectPca } from '../../../qmpt/features/pca.ts';
import { matrix } from '../../../qmpt/matrix.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { Matrix } from '../../../qmpt/types.ts';
import { columnMoments } from './helpers.ts';

const D = 4;
/** Orthonormal axes (rows), each with its largest-magnitude loading positive: the answer the sign rule must give. */
const AXES = [
  [0.8, 0.4, 0.4, 0.2],
  [-0.4, 0.8, -0.2, 0.4],
  [-0.4, 0.2, 0.8, -0.4],
  [0.2, 0.4, -0.4, -0.8].map((v) => -v),
];
const SDS = [5, 2, 1, 0.25];
const MEAN = [10, -3, 0.5, 7];

/** n rows x = MEAN + Σ_c z_c SDS_c AXES_c with z ~ N(0, 1) from the seeded generator. */
function dataset(n: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const X = matrix(n, D);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) X.data[i * D + j] = MEAN[j]!;
    for (let c = 0; c < D; c++) {
      const z = rng.normal() * SDS[c]!;
      for (let j = 0; j < D; j++) X.data[i * D + j] += z * AXES[c]![j]!;
    }
  }
  return X;
}

test('the axes are orthonormal (a check of the fixture itself)', () => {
  for (let a = 0; a < D; a++) {
    for (let b = 0; b < D; b++) {
      const dot = AXES[a]!.reduce((s, v, j) => s + v * AXES[b]![j]!, 0);
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-12, `axes ${a}·${b} = ${dot}`);
    }
  }
});

test('recovers the known principal axes (with their signs), variances and mean', () => {
  const X = dataset(20_000, 11);
  const pca = fitPca(X, 3);
  assert.is(pca.k, 3);
  assert.is(pca.d, D);
  for (let c = 0; c < 3; c++) {
    const axis = Array.from(pca.components.subarray(c * D, (c + 1) * D));
    const dot = axis.reduce((s, v, j) => s + v * AXES[c]![j]!, 0);
    assert.ok(dot > 0.999, `axis ${c}: ${axis} vs ${AXES[c]} (dot ${dot})`);
    const rel = Math.abs(pca.variances[c]! - SDS[c]! ** 2) / SDS[c]! ** 2;
    assert.ok(rel < 0.05, `variance ${c}: ${pca.variances[c]} vs ${SDS[c]! ** 2}`);
  }
  for (let j = 0; j < D; j++) assert.ok(Math.abs(pca.mean[j]! - MEAN[j]!) < 0.1, `mean ${j}`);
});

test('a refit on the same rows in another order gives the same axes (sign included)', () => {
  const X = dataset(500, 3);
  const a = fitPca(X, D);
  const order = new Rng(99).shuffle(Array.from({ length: X.rows }, (_, i) => i));
  const Y = matrix(X.rows, D);
  order.forEach((src, dst) => Y.data.set(X.data.subarray(src * D, (src + 1) * D), dst * D));
  const b = fitPca(Y, D);
  for (let i = 0; i < D * D; i++) assert.ok(Math.abs(a.components[i]! - b.components[i]!) < 1e-10, `component entry ${i}: ${a.components[i]} vs ${b.components[i]}`);
  assert.equal(fitPca(X, D).components, a.components, 'a refit on the same rows is bit-identical');
});

test('projections are centred, uncorrelated, with the component variances; they land at the asked columns', () => {
  const X = dataset(2000, 5);
  const pca = fitPca(X, 2);
  const out = matrix(X.rows, 5);
  out.data.fill(-1);
  projectPca(pca, X, out, 2);
  const P = matrix(X.rows, 2);
  for (let i = 0; i < X.rows; i++) {
    assert.is(out.data[i * 5]!, -1);
    assert.is(out.data[i * 5 + 4]!, -1);
    P.data[i * 2] = out.data[i * 5 + 2]!;
    P.data[i * 2 + 1] = out.data[i * 5 + 3]!;
  }
  const { mean, std } = columnMoments(P);
  const n = X.rows;
  for (let c = 0; c < 2; c++) {
    assert.ok(Math.abs(mean[c]!) < 1e-9, `mean ${c}`);
    assert.ok(Math.abs((std[c]! ** 2 * n) / (n - 1) - pca.variances[c]!) < 1e-9 * pca.variances[c]!, `variance ${c}`);
  }
  let cov = 0;
  for (let i = 0; i < n; i++) cov += P.data[i * 2]! * P.data[i * 2 + 1]!;
  assert.ok(Math.abs(cov / (n - 1)) < 1e-9, 'uncorrelated');
});

test('bad arguments name what is wrong', () => {
  const X = dataset(10, 1);
  assert.throws(() => fitPca(X, 0), /k = 0 must be an integer in 1..4/);
  assert.throws(() => fitPca(X, 5), /k = 5/);
  assert.throws(() => fitPca(matrix(0, 3), 1), /no rows/);
  assert.throws(() => projectPca(fitPca(X, 2), matrix(10, 3), matrix(10, 2), 0), /rows have 3 values, the PCA was fitted on 4/);
  assert.throws(() => projectPca(fitPca(X, 2), X, matrix(10, 2), 1), /does not fit/);
});

test.run();
