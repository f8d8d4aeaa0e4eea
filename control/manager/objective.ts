/**
 * Q(θ): the one number the Manager maximises, from a goal and a version's
 * metric figures (docs/CONTROL.md). Q is the weighted mean of the goal's
 * primary metrics, each scored in [0, 1] so that higher is better (a ratio
 * as is, a lower-is-better ratio as 1 − value). Constraints do not enter Q:
 * a version that breaks one is infeasible and is never activated.
 */
import { METRICS, type MetricName } from '../teacher/catalogue.ts';
import type { MetricValue } from '../teacher/metrics.ts';
import type { Goal } from '../types.ts';

export type Figures = Partial<Record<MetricName, number | null>>;

export interface Evaluation {
  q: number | null;
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
  return { q: missing || weights === 0 ? null : sum / weights, feasible: violations.length === 0, violations };
}

/** One-sided z for the 95 % bound the observed-constraint check uses. */
const Z = 1.6448536269514722;

/**
 * Like evaluate, for figures observed on a sample: a constraint on a ratio
 * metric must hold for the one-sided 95 % bound of its mean (value ± z·√(v(1−v)/n)),
 * so that noise cannot make an infeasible version look feasible.
 */
export function evaluateObserved(goal: Goal, observed: Partial<Record<MetricName, MetricValue>>): Evaluation {
  const figures: Figures = {};
  for (const [m, v] of Object.entries(observed) as [MetricName, MetricValue][]) figures[m] = v.value;
  const base = evaluate(goal, figures);
  const violations = [...base.violations];
  for (const c of goal.constraints) {
    const o = observed[c.metric];
    if (!o || o.value === null || METRICS[c.metric].unit !== 'ratio' || o.n === 0) continue;
    const half = Z * Math.sqrt(Math.max(o.value * (1 - o.value), 1 / o.n) / o.n);
    if (c.max !== undefined && o.value <= c.max && o.value + half > c.max) violations.push(`${c.metric} ${fmt(o.value)} (95 % bound ${fmt(o.value + half)}) may exceed ${fmt(c.max)}`);
    if (c.min !== undefined && o.value >= c.min && o.value - half < c.min) violations.push(`${c.metric} ${fmt(o.value)} (95 % bound ${fmt(o.value - half)}) may fall below ${fmt(c.min)}`);
  }
  return { q: base.q, feasible: violations.length === 0, violations };
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3));
