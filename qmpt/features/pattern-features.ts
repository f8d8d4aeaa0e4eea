/**
 * Pattern features (docs/QMPT.md §1): x_Ψ = (1/m) Σᵢ φ(oᵢ), the mean of the
 * rows of a pattern's observations.
 */
import { MaasflowError } from '../../engine/errors.ts';
import type { Matrix, Observation } from '../types.ts';

/** pattern_id → x_Ψ, patterns in the order of their first observation; X holds one row per observation. */
export function patternFeatures(obs: readonly Observation[], X: Matrix): Map<string, Float64Array> {
  if (X.rows !== obs.length) throw new MaasflowError('RUNTIME', `patternFeatures: ${obs.length} observations but ${X.rows} feature rows`);
  const d = X.cols;
  const sums = new Map<string, { sum: Float64Array; m: number }>();
  for (let i = 0; i < obs.length; i++) {
    const id = obs[i]!.pattern_id;
    let acc = sums.get(id);
    if (!acc) sums.set(id, (acc = { sum: new Float64Array(d), m: 0 }));
    const base = i * d;
    for (let j = 0; j < d; j++) acc.sum[j] += X.data[base + j]!;
    acc.m++;
  }
  const out = new Map<string, Float64Array>();
  for (const [id, { sum, m }] of sums) {
    for (let j = 0; j < d; j++) sum[j] /= m;
    out.set(id, sum);
  }
  return out;
}
