/**
 * Q(θ): the one number the Manager maximises, from a goal and a version's
 * metric figures (docs/CONTROL.md). Q is the weighted mean of the goal's
 * primary metrics, each scored in [0, 1] so that higher is better (a ratio
 * as is, a lower-is-better ratio as 1 − value). Constraints do not enter Q:
 * a version that breaks one is infeasible and is never activated.
 */
import { normalPpf } from '../../operators/stats/distributions.ts';
import { METRICS, type MetricName } from '../teacher/catalogue.ts';
import type { MetricValue } from '../teacher/metrics.ts';
import type { Goal } from '../types.ts';

export type Figures = Partial<Record<MetricName, number | null>>;

export interface Evaluation {
  q: number | null;
  /** Standard error of q (observed figures only; null for point figures). */
  qSe: number | null;
  feasible: boolean;
  /** One line per broken constraint (or constraint without data). */
  violations: string[];
}

/** The score in [0, 1] of a primary metric's value: higher is better. */
export function score(metric: MetricName, value: number): number {
  return METRICS[metric].direction === 'higher' ? value : 1 - value;
}

/** Q and feasibility from point figures (expected metrics, or observed ones taken at face value). */
export function evaluate(goal: Goal, figures: Figures): Evaluation {
  let sum = 0;
  let weights = 0;
  let missing = false;
  for (const p of goal.primary) {
    const v = figures[p.metric];
    if (v === null || v === undefined) missing = true;
    else {
      sum += p.weight * score(p.metric, v);
      weights += p.weight;
    }
  }
  const violations: string[] = [];
  for (const c of goal.constraints) {
    const v = figures[c.metric];
    if (v === null || v === undefined) violations.push(`${c.metric}: no data`);
    else if (c.max !== undefined && v > c.max) violations.push(`${c.metric} ${fmt(v)} > ${fmt(c.max)}`);
    else if (c.min !== undefined && v < c.min) violations.push(`${c.metric} ${fmt(v)} < ${fmt(c.min)}`);
  }
  return { q: missing || weights === 0 ? null : sum / weights, qSe: null, feasible: violations.length === 0, violations };
}

/**
 * Like evaluate, for figures observed on a sample: a constraint on a ratio
 * metric must also hold for the one-sided `confidence` bound of its mean
 * (value ± z·√(max(v(1−v), 1/n)/n)), so that noise is less likely to make an
 * infeasible version look feasible. The Manager asks this of a candidate on
 * two independent samples (exploration and confirmation): a 95 % bound
 * would need thousands of runs per arm to clear a 1 % error-rate limit after
 * a single error, so each check is at 80 % and the two together reach ~96 %.
 */
export function evaluateObserved(goal: Goal, observed: Partial<Record<MetricName, MetricValue>>, confidence = 0.8): Evaluation {
  const z = normalPpf(confidence);
  const figures: Figures = {};
  for (const [m, v] of Object.entries(observed) as [MetricName, MetricValue][]) figures[m] = v.value;
  const base = evaluate(goal, figures);
  const violations = [...base.violations];
  for (const c of goal.constraints) {
    const o = observed[c.metric];
    if (!o || o.value === null || METRICS[c.metric].unit !== 'ratio' || o.n === 0) continue;
    const half = z * Math.sqrt(Math.max(o.value * (1 - o.value), 1 / o.n) / o.n);
    if (c.max !== undefined && o.value <= c.max && o.value + half > c.max) violations.push(`${c.metric} ${fmt(o.value)} (${pct(confidence)} bound ${fmt(o.value + half)}) may exceed ${fmt(c.max)}`);
    if (c.min !== undefined && o.value >= c.min && o.value - half < c.min) violations.push(`${c.metric} ${fmt(o.value)} (${pct(confidence)} bound ${fmt(o.value - half)}) may fall below ${fmt(c.min)}`);
  }
  return { q: base.q, qSe: qStandardError(goal, observed), feasible: violations.length === 0, violations };
}

/**
 * The standard error of Q from each primary metric's binomial-type variance
 * v(1−v)/n (every primary metric is a mean of per-run values in [0, 1], whose
 * variance is at most that). Correlations between metrics are ignored, so it
 * is a rough yardstick for "is this gain more than noise", not a test.
 */
export function qStandardError(goal: Goal, observed: Partial<Record<MetricName, MetricValue>>): number | null {
  let variance = 0;
  let weights = 0;
  for (const p of goal.primary) {
    const o = observed[p.metric];
    if (!o || o.value === null || o.n === 0) return null;
    variance += p.weight ** 2 * Math.max(o.value * (1 - o.value), 1 / o.n) / o.n;
    weights += p.weight;
  }
  return weights === 0 ? null : Math.sqrt(variance) / weights;
}

const pct = (c: number): string => `${Math.round(100 * c)} %`;
const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3));
