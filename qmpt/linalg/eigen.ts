/**
 * Symmetric eigen-decomposition by the cyclic Jacobi method (Golub & Van
 * Loan §8.5; the rotation of Numerical Recipes' `jacobi`): slow for large n
 * but simple, accurate for small eigenvalues, and deterministic: the same
 * matrix gives the same bits on every engine, which the PCA of the feature
 * specs needs for stable versions (docs/QMPT.md §2).
 */
import type { Matrix } from '../types.ts';

export interface SymmetricEigen {
  readonly n: number;
  /** The n eigenvalues, descending (ties keep their diagonal order). */
  readonly values: Float64Array;
  /**
   * The unit eigenvectors as rows, row i (vectors[i*n .. (i+1)*n)) for
   * values[i]; each signed so that its largest-magnitude entry is positive
   * (of entries equal in magnitude to 1e-9 relative, the first).
   */
  readonly vectors: Float64Array;
  /** Sweeps the rotations took to converge. */
  readonly sweeps: number;
}

const MAX_SWEEPS = 100;
/** Converged when the off-diagonal norm is this small next to the whole matrix's. */
const RELATIVE_OFF_DIAGONAL = 1e-15;
/** Entries this far from symmetric (relative to the largest) are a caller's bug, not rounding. */
const SYMMETRY_TOLERANCE = 1e-9;
/** Loadings within this relative distance of the largest magnitude tie for the sign rule. */
const SIGN_TIE_TOLERANCE = 1e-9;

/** Eigenvalues and eigenvectors of the symmetric matrix `a` (which is not modified). */
export function symmetricEigen(a: Matrix): SymmetricEigen {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError(`symmetricEigen: matrix is ${a.rows}×${a.cols}, not square`);
  const A = symmetrizedCopy(a);
  // Vt holds the accumulated rotations transposed: row j is the eigenvector of A[j][j].
  const Vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Vt[i * n + i] = 1;

  let sweeps = 0;
  const frobenius2 = sumOfSquares(A);
  while (sweeps < MAX_SWEEPS && offDiagonalSquares(A, n) > RELATIVE_OFF_DIAGONAL * RELATIVE_OFF_DIAGONAL * frobenius2) {
    sweeps++;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) rotate(A, Vt, n, p, q);
    }
  }
  return sorted(A, Vt, n, sweeps);
}

function symmetrizedCopy(a: Matrix): Float64Array {
  const n = a.rows;
  const src = a.data;
  let scale = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`symmetricEigen: entry (${Math.floor(i / n)}, ${i % n}) is ${v}`);
    scale = Math.max(scale, Math.abs(v));
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    A[i * n + i] = src[i * n + i]!;
    for (let j = i + 1; j < n; j++) {
      const x = src[i * n + j]!;
      const y = src[j * n + i]!;
      if (Math.abs(x - y) > SYMMETRY_TOLERANCE * scale) throw new RangeError(`symmetricEigen: matrix is not symmetric at (${i}, ${j}): ${x} vs ${y}`);
      A[i * n + j] = A[j * n + i] = 0.5 * (x + y);
    }
  }
  return A;
}

function sumOfSquares(A: Float64Array): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) s += A[i]! * A[i]!;
  return s;
}

function offDiagonalSquares(A: Float64Array, n: number): number {
  let s = 0;
  for (let p = 0; p < n - 1; p++) {
    for (let q = p + 1; q < n; q++) s += 2 * A[p * n + q]! * A[p * n + q]!;
  }
  return s;
}

/** One Jacobi rotation J(p, q, θ) chosen to zero A[p][q]: A ← JᵀAJ, Vt ← JᵀVt. */
function rotate(A: Float64Array, Vt: Float64Array, n: number, p: number, q: number): void {
  const apq = A[p * n + q]!;
  if (apq === 0) return;
  const app = A[p * n + p]!;
  const aqq = A[q * n + q]!;
  const theta = (aqq - app) / (2 * apq);
  // the smaller root of t² + 2tθ − 1 = 0: |rotation angle| ≤ π/4, which makes the method converge
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    if (k === p || k === q) continue;
    const akp = A[k * n + p]!;
    const akq = A[k * n + q]!;
    const kp = c * akp - s * akq;
    const kq = s * akp + c * akq;
    A[k * n + p] = A[p * n + k] = kp;
    A[k * n + q] = A[q * n + k] = kq;
  }
  A[p * n + p] = app - t * apq;
  A[q * n + q] = aqq + t * apq;
  A[p * n + q] = A[q * n + p] = 0;
  const rp = p * n;
  const rq = q * n;
  for (let k = 0; k < n; k++) {
    const vp = Vt[rp + k]!;
    const vq = Vt[rq + k]!;
    Vt[rp + k] = c * vp - s * vq;
    Vt[rq + k] = s * vp + c * vq;
  }
}

/** Orders the pairs by descending eigenvalue (stable) and applies the sign rule. */
function sorted(A: Float64Array, Vt: Float64Array, n: number, sweeps: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j]! - A[i * n + i]! || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = A[src * n + src]!;
    const from = src * n;
    let largest = 0;
    for (let k = 0; k < n; k++) largest = Math.max(largest, Math.abs(Vt[from + k]!));
    // Loadings equal in magnitude up to rounding (symmetric data make them) count as a tie, won by the first:
    // a strict "largest" would let a last-bit difference flip the sign.
    let lead = 0;
    while (lead < n - 1 && Math.abs(Vt[from + lead]!) < largest * (1 - SIGN_TIE_TOLERANCE)) lead++;
    const sign = Vt[from + lead]! < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[dst * n + k] = sign * Vt[from + k]!;
  });
  return { n, values, vectors, sweeps };
}
