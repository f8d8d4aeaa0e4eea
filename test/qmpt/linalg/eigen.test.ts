/**
 * Jacobi eigen-decomposition against matrices whose eigenpairs are known in
 * closed form, plus the sign rule, the order and the argument checks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { symmetricEigen } from '../../../qmpt/linalg/eigen.ts';
import { fromRows, matrix } from '../../../qmpt/matrix.ts';
import { Rng } from '../../../qmpt/random.ts';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

test('2×2 [[2,1],[1,2]]: eigenvalues 3 and 1, axes (1,1)/√2 and (1,−1)/√2 with the first of equal loadings positive', () => {
  const e = symmetricEigen(fromRows([[2, 1], [1, 2]]));
  close(e.values[0]!, 3, 1e-15, 'λ1');
  close(e.values[1]!, 1, 1e-15, 'λ2');
  const h = Math.SQRT1_2;
  [h, h, h, -h].forEach((v, i) => close(e.vectors[i]!, v, 1e-15, `v[${i}]`));
});

test('tridiagonal Toeplitz (2 on the diagonal, −1 beside it): λ_k = 2 − 2cos(kπ/(n+1)), v_k(j) ∝ sin(jkπ/(n+1))', () => {
  const n = 12;
  const A = matrix(n, n);
  for (let i = 0; i < n; i++) {
    A.data[i * n + i] = 2;
    if (i + 1 < n) A.data[i * n + i + 1] = A.data[(i + 1) * n + i] = -1;
  }
  const e = symmetricEigen(A);
  const norm = Math.sqrt(2 / (n + 1));
  for (let r = 0; r < n; r++) {
    const k = n - r; // descending: the largest eigenvalue has k = n
    close(e.values[r]!, 2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 1e-13, `λ${r}`);
    const expected = Array.from({ length: n }, (_, j) => norm * Math.sin(((j + 1) * k * Math.PI) / (n + 1)));
    // the sign rule: the largest-magnitude loading positive
    // (this matrix has pairs of loadings equal in magnitude: the tie goes to the first)
    const largest = Math.max(...expected.map(Math.abs));
    const big = expected.findIndex((v) => Math.abs(v) >= largest * (1 - 1e-9));
    const sign = expected[big]! < 0 ? -1 : 1;
    for (let j = 0; j < n; j++) close(e.vectors[r * n + j]!, sign * expected[j]!, 1e-12, `v${r}[${j}]`);
  }
});

test('a random symmetric matrix: A v = λ v, orthonormal vectors, descending values, deterministic bits', () => {
  const rng = new Rng(7);
  const n = 20;
  const A = matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) A.data[i * n + j] = A.data[j * n + i] = rng.normal();
  const before = A.data.slice();
  const e = symmetricEigen(A);
  assert.equal(A.data, before, 'the input is not modified');
  for (let r = 0; r < n; r++) {
    if (r > 0) assert.ok(e.values[r]! <= e.values[r - 1]!, 'descending');
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += A.data[i * n + j]! * e.vectors[r * n + j]!;
      close(av, e.values[r]! * e.vectors[r * n + i]!, 1e-12, `(Av − λv)[${r}][${i}]`);
    }
    for (let s = 0; s <= r; s++) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += e.vectors[r * n + j]! * e.vectors[s * n + j]!;
      close(dot, r === s ? 1 : 0, 1e-13, `v${r}·v${s}`);
    }
  }
  const again = symmetricEigen(A);
  assert.equal(again.values, e.values);
  assert.equal(again.vectors, e.vectors);
});

test('a diagonal matrix is already converged; the zero and 1×1 matrices work', () => {
  const d = symmetricEigen(fromRows([[1, 0, 0], [0, 5, 0], [0, 0, 3]]));
  assert.equal(Array.from(d.values), [5, 3, 1]);
  assert.equal(Array.from(d.vectors), [0, 1, 0, 0, 0, 1, 1, 0, 0]);
  assert.is(d.sweeps, 0);
  const z = symmetricEigen(matrix(2, 2));
  assert.equal(Array.from(z.values), [0, 0]);
  assert.equal(Array.from(symmetricEigen(fromRows([[-4]])).values), [-4]);
});

test('non-square, non-symmetric and non-finite input is rejected with the entry named', () => {
  assert.throws(() => symmetricEigen(matrix(2, 3)), /2×3, not square/);
  assert.throws(() => symmetricEigen(fromRows([[1, 2], [3, 1]])), /not symmetric at \(0, 1\)/);
  assert.throws(() => symmetricEigen(fromRows([[1, NaN], [NaN, 1]])), /entry \(0, 1\) is NaN/);
});

test.run();
