/**
 * What each rule kind decides about one closed window, and the sentence an
 * alert gives as its reason. Pure functions of per-run values; the monitor
 * (degradation-monitor.ts) owns windows, streaks and references.
 */
import { METRICS, type MetricName } from '../../control/teacher/catalogue.ts';
import { msprt } from '../stats/index.ts';
import type { DropRule, MsprtRule, ThresholdRule } from './degradation-rules.ts';
import { aggregate, aggregateValues } from './run-metrics.ts';

/** One window judged: whether the condition held, the window's figure and the limit it was compared with. */
export interface WindowCheck {
  held: boolean;
  observed: number;
  /** above/below: the threshold; drop: the reference's figure moved by the allowed change. */
  threshold: number;
  /** The reference's figure (drop), else null. */
  reference: number | null;
}

/** above / below / drop on one window; null when it cannot be judged (too few values, no reference). */
export function checkWindow(rule: ThresholdRule | DropRule, window: readonly number[], reference: readonly number[] | null): WindowCheck | null {
  if (window.length < rule.min_values) return null;
  const observed = aggregateValues(rule.metric, window)!;
  if (rule.kind !== 'drop') return { held: rule.kind === 'above' ? observed > rule.threshold : observed < rule.threshold, observed, threshold: rule.threshold, reference: null };
  if (reference === null || reference.length < rule.min_values) return null;
  const ref = aggregateValues(rule.metric, reference)!;
  const allowed = 'relative' in rule.change ? rule.change.relative * Math.abs(ref) : rule.change.absolute;
  // "worse" follows the catalogue: a fall for higher-is-better metrics, a rise for lower-is-better ones
  const higher = METRICS[rule.metric].direction === 'higher';
  const limit = higher ? ref - allowed : ref + allowed;
  return { held: higher ? observed < limit : observed > limit, observed, threshold: limit, reference: ref };
}

export interface SequentialCheck {
  worse: boolean;
  /** Mean of the current version's values, of the reference's, the always-valid p-value. */
  observed: number;
  reference: number;
  pValue: number;
  n: number;
  referenceN: number;
}

/**
 * mSPRT (operators/stats) of the current version's values against the
 * reference's. Its p-value is always valid, so asking after every window
 * keeps the false-alarm rate at alpha; a rejection counts only when the
 * current version is the worse one. Null: too few values in an arm.
 */
export function checkSequential(rule: MsprtRule, current: readonly number[], reference: readonly number[]): SequentialCheck | null {
  const minPerArm = Math.max(2, rule.min_values);
  if (current.length < minPerArm || reference.length < minPerArm) return null;
  const r = msprt(current, reference, { tau2: rule.tau * rule.tau, alpha: rule.alpha, minPerArm });
  const higher = METRICS[rule.metric].direction === 'higher';
  const worse = r.rejected && (higher ? r.diff < 0 : r.diff > 0);
  return { worse, observed: aggregate('mean', current)!, reference: aggregate('mean', reference)!, pValue: r.pValue, n: current.length, referenceN: reference.length };
}

/** A metric's figure for a sentence: ratios to 3 decimals, milliseconds and tokens to 1. */
export function formatValue(metric: MetricName, x: number): string {
  return METRICS[metric].unit === 'ratio' ? x.toFixed(3) : x.toFixed(1);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface ReasonInput {
  version: string;
  referenceVersion: string | null;
  /** Windows the condition held (threshold kinds) or windows observed (mSPRT). */
  windows: number;
  windowRuns: number;
}

/** One sentence naming the rule, metric, observed value, threshold or reference, and windows. */
export function windowReason(rule: ThresholdRule | DropRule, c: WindowCheck, w: ReasonInput): string {
  const head = `rule ${rule.id}: ${rule.metric} ${formatValue(rule.metric, c.observed)} of ${w.version}`;
  const span = `for ${plural(w.windows, 'window')} of ${w.windowRuns} runs`;
  if (rule.kind !== 'drop') return `${head} is ${rule.kind} ${rule.threshold} ${span}`;
  const ref = c.reference!;
  const side = c.observed < ref ? 'below' : 'above';
  const against = `${w.referenceVersion}'s ${formatValue(rule.metric, ref)}`;
  if ('relative' in rule.change && ref !== 0) {
    const pct = (Math.abs(c.observed - ref) / Math.abs(ref)) * 100;
    return `${head} is ${pct.toFixed(1)}% ${side} ${against} (allowed ${(rule.change.relative * 100).toFixed(1)}%) ${span}`;
  }
  const allowed = 'relative' in rule.change ? '0' : formatValue(rule.metric, rule.change.absolute);
  return `${head} is ${formatValue(rule.metric, Math.abs(c.observed - ref))} ${side} ${against} (allowed ${allowed}) ${span}`;
}

export function sequentialReason(rule: MsprtRule, c: SequentialCheck, w: ReasonInput): string {
  return (
    `rule ${rule.id}: ${rule.metric} ${formatValue(rule.metric, c.observed)} of ${w.version} is worse than ${w.referenceVersion}'s ${formatValue(rule.metric, c.reference)} ` +
    `(mSPRT p = ${c.pValue.toPrecision(3)} ≤ alpha ${rule.alpha}, ${c.n} vs ${c.referenceN} runs) after ${plural(w.windows, 'window')} of ${w.windowRuns} runs`
  );
}
