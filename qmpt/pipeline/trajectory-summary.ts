/**
 * The figures runs and layers are compared by (the CLI's summaries,
 * --json-metrics, the examples, the scoring report): final and mean σ and P,
 * the final regime and each regime's share of the time.
 */
import type { Layer } from '../types.ts';
import { readTrajectory, regimeTimes, type SeriesKey, type TrajectoryPoint } from '../viz/trajectory.ts';

export interface TrajectorySummary {
  states: number;
  final_stress: number | null;
  final_protection: number | null;
  final_regime: string | null;
  /** Means over the states that have a value. */
  mean_stress: number | null;
  mean_protection: number | null;
  /** Regime → its share of the trajectory's time (null for a trajectory spanning no time). */
  regime_shares: Record<string, number | null>;
}

/** The mean of a series over the states that have a value; null when none has. */
export function seriesMean(points: readonly TrajectoryPoint[], key: SeriesKey): number | null {
  let sum = 0;
  let n = 0;
  for (const p of points) {
    const v = p[key];
    if (v !== null) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? null : sum / n;
}

export function summarizeTrajectory(layer: Layer): TrajectorySummary {
  const points = readTrajectory(layer);
  const last = points[points.length - 1];
  return {
    states: points.length,
    final_stress: last?.stress ?? null,
    final_protection: last?.protection ?? null,
    final_regime: last?.regime ?? null,
    mean_stress: seriesMean(points, 'stress'),
    mean_protection: seriesMean(points, 'protection'),
    regime_shares: Object.fromEntries(regimeTimes(points).map((r) => [r.regime, r.share])),
  };
}
