/** Cholesky factors and the precision Cholesky factor in scikit-learn's convention. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { cholesky, diagonalPrecisionCholesky, invertLower, precisionCholesky } from '../../../qmpt/linalg/cholesky.ts';

const A = Float64Array.from([4, 2, 0.6, 2, 5, 1.5, 0.6, 1.5, 3]);
const d = 3;

function multiply(a: Float64Array, b: Float64Array, transposeB = false): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let p = 0; p < d; p++) out[i * d + j] += a[i * d + p]! * (transposeB ? b[j * d + p]! : b[p * d + j]!);
  return out;
}

function close(actual: Float64Array, expected: ArrayLike<number>, tol = 1e-12): void {
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('cholesky gives a lower-triangular L with L Lᵀ = A, and invertLower its inverse', () => {
  const L = cholesky(A, d, 'A');
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) assert.is(L[i * d + j], 0);
  assert.is(L[0], 2);
  close(multiply(L, L, true), A);
  close(multiply(L, invertLower(L, d)), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
});

test('precisionCholesky: P upper-triangular, Σ P Pᵀ = I, log det P = −½ log det Σ', () => {
  const { p, logDet } = precisionCholesky(A, d, 'A');
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) assert.is(p[i * d + j], 0);
  close(multiply(A, multiply(p, p, true)), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const L = cholesky(A, d, 'A');
  const logDetSigma = 2 * (Math.log(L[0]!) + Math.log(L[4]!) + Math.log(L[8]!));
  assert.ok(Math.abs(logDet + 0.5 * logDetSigma) < 1e-14);
  // scipy: linalg.solve_triangular(linalg.cholesky(A, lower=True), np.eye(3), lower=True).T
  close(p, [0.5, -0.25, 0, 0, 0.5, -0.18786728732554486, 0, 0, 0.6262242910851495], 1e-15);
});

test('diagonalPrecisionCholesky: 1/√σ² on the diagonal of a full block', () => {
  const { p, logDet } = diagonalPrecisionCholesky(Float64Array.from([4, 0.25]), 2, 'v');
  assert.equal(Array.from(p), [0.5, 0, 0, 2]);
  assert.ok(Math.abs(logDet - Math.log(0.5 * 2)) < 1e-15);
});

test('a matrix that is not positive definite is named, with its pivot and the hint', () => {
  const singular = Float64Array.from([1, 1, 1, 1]);
  try {
    precisionCholesky(singular, 2, 'gmm (K=2): the covariance of component 1', 'raise reg_covar');
    assert.unreachable('accepted a singular matrix');
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).code, 'RUNTIME');
    assert.match((err as Error).message, /^gmm \(K=2\): the covariance of component 1 is not positive definite \(pivot 1 is 0\): raise reg_covar$/);
  }
  assert.throws(() => cholesky(Float64Array.from([Number.NaN]), 1, 'N'), /N is not positive definite \(pivot 0 is NaN\)/);
  assert.throws(() => diagonalPrecisionCholesky(Float64Array.from([1, -2]), 2, 'v'), /v is not positive definite \(pivot 1 is -2\)/);
});

test.run();
