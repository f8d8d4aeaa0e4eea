import type { Matrix } from './types.ts';

/** A rows×cols matrix of zeros, or over `data` (which must hold rows*cols values). */
export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) throw new RangeError(`matrix: bad shape ${rows}×${cols}`);
  const d = data ?? new Float64Array(rows * cols);
  if (d.length !== rows * cols) throw new RangeError(`matrix: ${d.length} values for a ${rows}×${cols} matrix`);
  return { rows, cols, data: d };
}

/** Rows of equal length to a Matrix; `what` names the input in the error. */
export function fromRows(rows: readonly (readonly number[] | Float64Array | Float32Array)[], what = 'rows'): Matrix {
  const cols = rows.length === 0 ? 0 : rows[0]!.length;
  const m = matrix(rows.length, cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new RangeError(`${what}: row ${i} has ${r.length} values, row 0 has ${cols}`);
    m.data.set(r, i * cols);
  });
  return m;
}

/** Row i as a view (no copy). */
export function row(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

export function toRows(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(row(m, i)));
}
