/**
 * Multiple-testing adjustments, as statsmodels.stats.multitest.multipletests:
 *   holm:   sorted ascending, p̃_(i) = max_{j<=i} (m - j + 1) p_(j), capped at 1;
 *           reject the (i) before the first p_(i) > alpha / (m - i + 1)
 *   fdr_bh: p̃_(i) = min_{j>=i} m p_(j) / j, capped at 1;
 *           reject every (i) up to the largest i with p_(i) <= i alpha / m
 * Results are in the input order.
 */
import { badArgument, checkProbability } from './check.ts';

export type CorrectionMethod = 'holm' | 'fdr_bh';

export interface CorrectionResult {
  method: CorrectionMethod;
  adjusted: Float64Array;
  rejected: boolean[];
  alpha: number;
}

export function holm(pValues: ArrayLike<number>, alpha = 0.05): CorrectionResult {
  return adjustPValues(pValues, { method: 'holm', alpha });
}

export function benjaminiHochberg(pValues: ArrayLike<number>, alpha = 0.05): CorrectionResult {
  return adjustPValues(pValues, { method: 'fdr_bh', alpha });
}

export function adjustPValues(pValues: ArrayLike<number>, options: { method: CorrectionMethod; alpha?: number }): CorrectionResult {
  const fn = 'adjustPValues';
  const method = options.method;
  if (method !== 'holm' && method !== 'fdr_bh') throw badArgument(fn, 'method', `= ${JSON.stringify(method)} must be "holm" or "fdr_bh"`);
  const alpha = checkProbability(fn, 'alpha', options.alpha ?? 0.05);
  if (pValues === null || typeof pValues !== 'object' || typeof pValues.length !== 'number') throw badArgument(fn, 'pValues', 'must be an array of p-values');
  const m = pValues.length;
  if (m === 0) throw badArgument(fn, 'pValues', 'is empty');
  for (let i = 0; i < m; i++) {
    const p = pValues[i];
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw badArgument(fn, `pValues[${i}]`, `= ${String(p)} must be a number in [0, 1]`);
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => pValues[x]! - pValues[y]! || x - y);
  const sorted = order.map((i) => pValues[i]!);
  const adjSorted = new Float64Array(m);
  const rejSorted = new Array<boolean>(m).fill(false);
  if (method === 'holm') {
    let firstKept = m;
    for (let i = 0; i < m; i++) {
      if (sorted[i]! > alpha / (m - i)) {
        firstKept = i;
        break;
      }
    }
    let running = 0;
    for (let i = 0; i < m; i++) {
      running = Math.max(running, sorted[i]! * (m - i));
      adjSorted[i] = Math.min(1, running);
      rejSorted[i] = i < firstKept;
    }
  } else {
    let lastRejected = -1;
    for (let i = 0; i < m; i++) if (sorted[i]! <= ((i + 1) / m) * alpha) lastRejected = i;
    let running = Number.POSITIVE_INFINITY;
    for (let i = m - 1; i >= 0; i--) {
      running = Math.min(running, sorted[i]! / ((i + 1) / m));
      adjSorted[i] = Math.min(1, running);
      rejSorted[i] = i <= lastRejected;
    }
  }
  const adjusted = new Float64Array(m);
  const rejected = new Array<boolean>(m);
  for (let r = 0; r < m; r++) {
    adjusted[order[r]!] = adjSorted[r]!;
    rejected[order[r]!] = rejSorted[r]!;
  }
  return { method, adjusted, rejected, alpha };
}
