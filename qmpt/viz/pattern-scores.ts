/**
 * The figures the anomaly plots and report draw from scored patterns: each
 * score checked once (a number in [0, 1] or null), summaries of Â, R̂_norm
 * and Ô_self, the per-layer view, the top anomalies and the versions the
 * patterns were scored with (docs/QMPT.md §3–§5, §8). Unscored patterns
 * (a null score) are skipped and counted, never guessed.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { quantile } from '../../operators/stats/bootstrap.ts';
import { badArgument } from '../../operators/stats/check.ts';
import { DEFAULT_CONFIG } from '../config/loader.ts';
import type { Pattern } from '../types.ts';

export type PatternInput = ReadonlyMap<string, Pattern> | readonly Pattern[];
export type ScoreField = 'anomaly_score' | 'reflexivity' | 'self_operator';

/** The default configuration's `metrics.anomaly.threshold`, used when the caller gives none. */
export const DEFAULT_THRESHOLD = DEFAULT_CONFIG.metrics.anomaly.threshold;

export function patternList(patterns: PatternInput): Pattern[] {
  return Array.isArray(patterns) ? [...patterns] : [...(patterns as ReadonlyMap<string, Pattern>).values()];
}

/** A pattern's score, checked: null when unscored; an error naming the pattern and the field when out of [0, 1]. */
export function scoreOf(p: Pattern, index: number, field: ScoreField): number | null {
  const v: unknown = p[field];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    const got = typeof v === 'number' ? String(v) : typeof v;
    throw new MaasflowError('RECORD_VALIDATE', `patterns[${index}] (pattern_id ${JSON.stringify(p.pattern_id)}) /${field}: must be a number in [0, 1] or null, got ${got}`, {
      location: { path: `/${index}/${field}` },
    });
  }
  return v;
}

/** Checks a threshold option (`fn: threshold must be in [0, 1]`); undefined gives the default. */
export function checkThreshold(fn: string, threshold: number | undefined): number {
  if (threshold === undefined) return DEFAULT_THRESHOLD;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw badArgument(fn, 'threshold', `must be a number in [0, 1], got ${String(threshold)}`);
  }
  return threshold;
}

export interface ScoreSummary {
  field: ScoreField;
  scored: number;
  unscored: number;
  /** null when nothing is scored. */
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  /** Scores ≥ the threshold given (null without one). */
  atOrAbove: number | null;
}

/** Count, mean, min/max and the p50/p90/p99 quantiles (numpy's linear method) of one score over the patterns. */
export function summarizeScores(patterns: readonly Pattern[], field: ScoreField, threshold?: number): ScoreSummary {
  const values = new Float64Array(patterns.length);
  let n = 0;
  let sum = 0;
  let above = 0;
  patterns.forEach((p, i) => {
    const v = scoreOf(p, i, field);
    if (v === null) return;
    values[n++] = v;
    sum += v;
    if (threshold !== undefined && v >= threshold) above++;
  });
  const sorted = values.subarray(0, n).sort();
  const q = (p: number): number | null => (n === 0 ? null : quantile(sorted, p));
  return {
    field,
    scored: n,
    unscored: patterns.length - n,
    mean: n === 0 ? null : sum / n,
    min: n === 0 ? null : sorted[0]!,
    max: n === 0 ? null : sorted[n - 1]!,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    atOrAbove: threshold === undefined ? null : above,
  };
}

export interface LayerSummary {
  layer_id: string;
  patterns: number;
  /** Patterns with an Â. */
  scored: number;
  /** Patterns with Â ≥ the threshold. */
  anomalous: number;
  meanAnomaly: number | null;
  maxAnomaly: number | null;
  meanReflexivity: number | null;
  meanSelfOperator: number | null;
}

/** One row per layer, in layer_id order; each mean over the patterns that have that score. */
export function summarizeLayers(patterns: readonly Pattern[], threshold: number): LayerSummary[] {
  const byLayer = new Map<string, number[]>();
  patterns.forEach((p, i) => {
    const list = byLayer.get(p.layer_id);
    if (list) list.push(i);
    else byLayer.set(p.layer_id, [i]);
  });
  const mean = (idx: readonly number[], field: ScoreField): number | null => {
    let s = 0;
    let n = 0;
    for (const i of idx) {
      const v = scoreOf(patterns[i]!, i, field);
      if (v === null) continue;
      s += v;
      n++;
    }
    return n === 0 ? null : s / n;
  };
  return [...byLayer.keys()].sort().map((layer_id) => {
    const idx = byLayer.get(layer_id)!;
    const anomaly = idx.map((i) => scoreOf(patterns[i]!, i, 'anomaly_score')).filter((v): v is number => v !== null);
    return {
      layer_id,
      patterns: idx.length,
      scored: anomaly.length,
      anomalous: anomaly.filter((v) => v >= threshold).length,
      meanAnomaly: mean(idx, 'anomaly_score'),
      maxAnomaly: anomaly.length === 0 ? null : Math.max(...anomaly),
      meanReflexivity: mean(idx, 'reflexivity'),
      meanSelfOperator: mean(idx, 'self_operator'),
    };
  });
}

/** The n patterns of highest Â, highest first; ties by pattern_id so the order never depends on the input's. */
export function topAnomalies(patterns: readonly Pattern[], n: number): Pattern[] {
  const scored = patterns.flatMap((p, i) => {
    const a = scoreOf(p, i, 'anomaly_score');
    return a === null ? [] : [{ p, a }];
  });
  scored.sort((x, y) => y.a - x.a || (x.p.pattern_id < y.p.pattern_id ? -1 : x.p.pattern_id > y.p.pattern_id ? 1 : 0));
  return scored.slice(0, n).map((s) => s.p);
}

/** The feature spec's key in a version tally, beside the metric names. */
export const FEATURE_SPEC = 'feature_spec';

/** What (FEATURE_SPEC or a metric name) → version → patterns scored with it; null counts patterns without a recorded version. */
export type VersionTally = Map<string, Map<string | null, number>>;

/** The versions the patterns were scored with: the feature spec first, then the metrics by name. */
export function tallyVersions(patterns: readonly Pattern[]): VersionTally {
  const tally: VersionTally = new Map([[FEATURE_SPEC, new Map()]]);
  const add = (what: string, version: string | null): void => {
    let m = tally.get(what);
    if (!m) tally.set(what, (m = new Map()));
    m.set(version, (m.get(version) ?? 0) + 1);
  };
  const metrics = new Set<string>();
  for (const p of patterns) for (const k of Object.keys(p.metrics_version ?? {})) metrics.add(k);
  for (const p of patterns) {
    add(FEATURE_SPEC, p.feature_spec_version ?? null);
    for (const m of [...metrics].sort()) add(m, p.metrics_version?.[m] ?? null);
  }
  return tally;
}

/**
 * One warning per tallied item whose patterns were scored with more than one
 * version, and per item whose patterns differ from the expected version
 * (`expected`: what → the current configuration's version). Scores of
 * different versions are not comparable (docs/QMPT.md §8).
 */
export function versionWarnings(tally: VersionTally, expected: Readonly<Record<string, string>> = {}): string[] {
  const warnings: string[] = [];
  const list = (m: ReadonlyMap<string | null, number>): string =>
    [...m].map(([v, n]) => `${v ?? 'unrecorded'}: ${n}`).join(', ');
  for (const [what, versions] of tally) {
    const recorded = [...versions.keys()].filter((v) => v !== null);
    if (recorded.length > 1) warnings.push(`${what} comes from ${recorded.length} versions (${list(versions)}): these scores are not comparable with each other.`);
    const want = expected[what];
    if (want === undefined) continue;
    const other = [...versions].filter(([v]) => v !== want).reduce((s, [, n]) => s + n, 0);
    if (other > 0) warnings.push(`${other} pattern${other === 1 ? '' : 's'} not scored with the current ${what} version ${want}.`);
  }
  return warnings;
}
