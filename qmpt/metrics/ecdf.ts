/**
 * The mid-rank empirical CDF of docs/QMPT.md §3.2, which maps a raw score to
 * [0, 1] by where it falls among reference scores (the probability integral
 * transform under the reference distribution):
 *   F̃(x) = (#{i : rᵢ < x} + ½ #{i : rᵢ = x} + ½) / (n + 1).
 * The +½ and n + 1 keep F̃ strictly inside (0, 1) (an empty reference gives
 * ½), and ties count half, so a reference point scores its own mid-rank.
 * The reference is kept sorted: two binary searches per query, O(log n).
 */
import { MaasflowError } from '../../engine/errors.ts';
import { dataError } from './checks.ts';

export interface EcdfState {
  /** The reference values, ascending. */
  sorted: number[];
}

export class MidRankEcdf {
  private constructor(private readonly sorted: Float64Array) {}

  /** Over the reference `values` (finite numbers); `what` names them in errors. */
  static fit(values: ArrayLike<number>, what = 'values'): MidRankEcdf {
    const sorted = Float64Array.from(values);
    for (let i = 0; i < sorted.length; i++) {
      if (!Number.isFinite(sorted[i]!)) throw dataError('MidRankEcdf', `${what}[${i}]`, `is ${sorted[i]}; every reference value must be a finite number`);
    }
    return new MidRankEcdf(sorted.sort());
  }

  static fromState(state: EcdfState, what = 'ecdf'): MidRankEcdf {
    const s = state?.sorted;
    if (!Array.isArray(s)) throw new MaasflowError('RUNTIME', `MidRankEcdf.fromState: ${what}.sorted must be an array of numbers`);
    const sorted = Float64Array.from(s);
    for (let i = 0; i < sorted.length; i++) {
      const ok = Number.isFinite(sorted[i]!) && (i === 0 || sorted[i - 1]! <= sorted[i]!);
      if (!ok) throw new MaasflowError('RUNTIME', `MidRankEcdf.fromState: ${what}.sorted[${i}] = ${String(s[i])} is not a finite number in ascending order`);
    }
    return new MidRankEcdf(sorted);
  }

  /** Reference size n. */
  get size(): number {
    return this.sorted.length;
  }

  /** F̃(x). ±Infinity gives the extreme mid-ranks ½/(n+1) and (n+½)/(n+1); NaN is an error. */
  value(x: number): number {
    if (x !== x) throw new MaasflowError('RUNTIME', 'MidRankEcdf.value: x is NaN');
    const a = this.sorted;
    const n = a.length;
    // below = #{rᵢ < x}: first index with a[i] >= x
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    const below = lo;
    // atOrBelow = #{rᵢ <= x}: first index with a[i] > x, searched from `below`
    hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return (below + 0.5 * (lo - below) + 0.5) / (n + 1);
  }

  /** F̃ of every value of `xs` into `out` (default a new array). */
  values(xs: ArrayLike<number>, out: Float64Array = new Float64Array(xs.length)): Float64Array {
    for (let i = 0; i < xs.length; i++) out[i] = this.value(xs[i]!);
    return out;
  }

  toState(): EcdfState {
    return { sorted: Array.from(this.sorted) };
  }
}
