/**
 * Which impact factor dominates each metric, from one exploration's arms:
 * a factor's effect on a metric is the largest |metric(arm) − metric(baseline)|
 * over its one-factor arms, and its share is its effect over the sum of all
 * factors' effects. Deterministic (sorted by effect, then name) and costs
 * nothing beyond the experiment already run.
 */
import type { MetricName } from '../teacher/catalogue.ts';
import type { ArmOutcome, SensitivityRanking } from '../types.ts';
import type { ArmPlan } from './explorer.ts';

/** `q` ranks factors by their effect on Q itself. */
export type RankedMetric = MetricName | 'q';

export function rankFromArms(arms: readonly ArmPlan[], outcomes: ReadonlyMap<string, ArmOutcome>, baseline: ArmOutcome, metrics: readonly RankedMetric[]): SensitivityRanking[] {
  const valueOf = (o: ArmOutcome, m: RankedMetric): number | null => (m === 'q' ? o.q : (o.metrics[m] ?? null));
  return metrics.map((metric) => {
    const effects = new Map<string, number>();
    const base = valueOf(baseline, metric);
    for (const a of arms) {
      const out = outcomes.get(a.name);
      const v = out ? valueOf(out, metric) : null;
      // one-factor arms only: a pair's effect belongs to neither factor alone
      if (a.factors.length !== 1 || v === null || base === null) continue;
      const f = a.factors[0]!;
      effects.set(f, Math.max(effects.get(f) ?? 0, Math.abs(v - base)));
    }
    const total = [...effects.values()].reduce((s, e) => s + e, 0);
    const factors = [...effects.entries()]
      .map(([factor, effect]) => ({ factor, effect, share: total > 0 ? effect / total : 0 }))
      .sort((x, y) => y.effect - x.effect || x.factor.localeCompare(y.factor));
    return { metric, factors };
  });
}
