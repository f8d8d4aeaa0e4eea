/**
 * The Teacher's verdict on one experiment: per variant and metric, the test
 * the spec asks for (Welch or Mann-Whitney at a fixed horizon, or mSPRT
 * always-valid p-values when sequential) on the per-run values of the sensor
 * history, a seeded bootstrap interval of the difference, Holm or
 * Benjamini-Hochberg across the primary comparisons, guardrails, a
 * sample-ratio-mismatch check, and a recommendation in the format of seed
 * 002. The tests run in piscina workers when a pool is given (identical
 * results; operators/stats/pool.ts).
 */
import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DEFAULT_PARAMS } from '../../operators/maas/params.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import { adjustPValues, bootstrapDiff, mannWhitney, msprt, sampleSize, srm, welch, type StatsPool } from '../../operators/stats/index.ts';
import { METRICS, type MetricName } from './catalogue.ts';
import type { ExperimentSpec, GuardrailSpec } from './experiment-spec.ts';
import { aggregateMetrics, perRunValues } from './metrics.ts';

export type Verdict = 'winner' | 'loser' | 'inconclusive';

export interface ArmFigures {
  /** Runs with a value of the metric (its population). */
  n: number;
  /** The metric as the catalogue aggregates it (mean, p50 or p95); null without runs. */
  value: number | null;
  /** Mean of the per-run values (what the tests compare). */
  mean: number | null;
}

export interface MetricComparison {
  metric: MetricName;
  role: 'primary' | 'guardrail';
  direction: 'higher' | 'lower';
  baseline: ArmFigures;
  variant: ArmFigures;
  /** variant − baseline on the aggregate figure; relative to the baseline figure. */
  delta: number | null;
  relative_delta: number | null;
  /** variant − baseline of the per-run means, with its seeded bootstrap interval at 1 − alpha. */
  mean_diff: number | null;
  ci: [number, number] | null;
  test: 'welch' | 'mann_whitney' | 'msprt';
  p_value: number | null;
  /** After Holm / BH across the primary comparisons (primary only). */
  p_adjusted: number | null;
  significant: boolean;
  /** Significant and in the good direction / in the bad direction. */
  improved: boolean;
  worsened: boolean;
  /** Guardrails: the allowed worsening and whether the variant went past it. */
  limit?: { relative?: number; absolute?: number; violated: boolean };
}

export interface VariantResult {
  variant: string;
  verdict: Verdict;
  reasons: string[];
  primary: MetricComparison[];
  guardrails: MetricComparison[];
  /** Runs per arm a fixed-horizon test needs to detect the spec's mde on the first primary metric (observed spread). */
  required_n_per_arm: number | null;
}

export interface Recommendation {
  action: 'update_params' | 'keep_params';
  experiment_id: string;
  variant: string | null;
  reason: string;
  changes: { param: string; from: number | string; to: number | string }[];
  rollback_conditions: { metric: MetricName; direction: 'drop' | 'rise'; max_relative_change?: number; max_absolute_change?: number; cycles: number }[];
}

export interface ExperimentResult {
  experiment_id: string;
  analyzed_at: number;
  design: ExperimentSpec['design'];
  baseline: string;
  alpha: number;
  arms: Record<string, { units: number; runs: number }>;
  srm: { p_value: number; mismatch: boolean; expected: Record<string, number> } | null;
  variants: VariantResult[];
  /** The experiment's verdict: `winner` when some variant won (the best is recommended), `loser` when every variant lost, else `inconclusive`. */
  verdict: Verdict;
  recommendation: Recommendation;
  seed: number;
}

export interface AnalyzeOptions {
  /** The active parameter version the arms change (default: the defaults of docs/IMPACTS.md). */
  activeParams?: MaasParams;
  /** Bootstrap seed (default: derived from the experiment id). */
  seed?: number;
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Run the tests in these workers instead of on this thread. */
  pool?: StatsPool;
  /** Sample-ratio-mismatch threshold (default 0.001, as is usual for SRM alarms). */
  srmAlpha?: number;
  /** Cycles a recommendation's rollback conditions look back (default 3). */
  rollbackCycles?: number;
  /** Only runs of this client type (default: all). */
  clientType?: string;
  now?: number;
}


export async function analyzeExperiment(conn: DuckDBConnection, spec: ExperimentSpec, options: AnalyzeOptions = {}): Promise<ExperimentResult> {
  const alpha = spec.success.alpha;
  const seed = options.seed ?? seedOf(spec.id);
  const arms = await armCounts(conn, spec, options.clientType);
  const names = [spec.baseline.name, ...spec.variants.map((v) => v.name)];
  const observed = names.map((n) => arms[n]?.units ?? 0);
  const total = observed.reduce((s, n) => s + n, 0);
  const ratios = names.map((n) => spec.assignment.split[n]!);
  const srmResult = total > 0 && observed.every((n) => n > 0) ? srm(observed, { ratios, alpha: options.srmAlpha ?? 0.001 }) : null;

  const run = async (a: Float64Array, b: Float64Array, kind: MetricComparison['test']): Promise<number> => {
    // a = variant, b = baseline; two-sided p-value
    if (kind === 'msprt') {
      const tau = spec.tau ?? spec.success.mde;
      const r = options.pool ? await options.pool.msprt(a, b, { tau2: tau * tau, alpha, every: 1 }) : msprt(a, b, { tau2: tau * tau, alpha, every: 1 });
      return r.pValue;
    }
    if (kind === 'mann_whitney') return (options.pool ? await options.pool.mannWhitney(a, b) : mannWhitney(a, b)).pValue;
    return (options.pool ? await options.pool.welch(a, b) : welch(a, b)).pValue;
  };
  const test: MetricComparison['test'] = spec.design === 'sequential' ? 'msprt' : spec.test;

  // Each arm's values and each metric's per-variant figures are read once, whatever the number of variants and roles.
  const filter = { experimentId: spec.id, ...(options.clientType ? { clientType: options.clientType } : {}) };
  const valuesRead = new Map<string, Promise<Float64Array>>();
  const valuesOf = (metric: MetricName, variant: string): Promise<Float64Array> => {
    const key = `${metric}\0${variant}`;
    let v = valuesRead.get(key);
    if (!v) valuesRead.set(key, (v = perRunValues(conn, { ...filter, metric, variant })));
    return v;
  };
  const figuresRead = new Map<MetricName, Promise<Awaited<ReturnType<typeof aggregateMetrics>>>>();
  const figuresOf = (metric: MetricName): ReturnType<typeof aggregateMetrics> => {
    let f = figuresRead.get(metric);
    if (!f) figuresRead.set(metric, (f = aggregateMetrics(conn, { ...filter, metrics: [metric], groupBy: ['variant'] })));
    return f;
  };

  const compare = async (variant: string, metric: MetricName, role: MetricComparison['role'], guardrail?: GuardrailSpec): Promise<MetricComparison> => {
    const def = METRICS[metric];
    const a = await valuesOf(metric, variant);
    const b = await valuesOf(metric, spec.baseline.name);
    const figures = await figuresOf(metric);
    const figure = (arm: string, values: Float64Array): ArmFigures => {
      const row = figures.find((r) => r.group.variant === arm);
      return { n: values.length, value: row?.metrics[metric]?.value ?? null, mean: values.length > 0 ? mean(values) : null };
    };
    const baseline = figure(spec.baseline.name, b);
    const treated = figure(variant, a);
    const sized = a.length >= 2 && b.length >= 2;
    // Both arms constant (e.g. recall 0 in every run of one arm, 1 in the other): no spread to test against;
    // the difference is exact, so p is 0 when the constants differ and 1 when they are equal.
    const constant = sized && variance(a) === 0 && variance(b) === 0;
    let pValue: number | null = null;
    let ci: [number, number] | null = null;
    if (constant) {
      pValue = a[0] === b[0] ? 1 : 0;
      ci = [a[0]! - b[0]!, a[0]! - b[0]!];
    } else if (sized) {
      pValue = await run(a, b, test);
      const bootOptions = { seed, resamples: options.resamples ?? 2000, confidence: 1 - alpha };
      ci = (options.pool ? await options.pool.bootstrapDiff(a, b, bootOptions) : bootstrapDiff(a, b, bootOptions)).ci;
    }
    const delta = treated.value !== null && baseline.value !== null ? treated.value - baseline.value : null;
    const meanDiff = treated.mean !== null && baseline.mean !== null ? treated.mean - baseline.mean : null;
    const good = meanDiff !== null && (def.direction === 'higher' ? meanDiff > 0 : meanDiff < 0);
    const significant = pValue !== null && pValue <= alpha;
    const comparison: MetricComparison = {
      metric,
      role,
      direction: def.direction,
      baseline,
      variant: treated,
      delta,
      relative_delta: delta !== null && baseline.value ? delta / Math.abs(baseline.value) : null,
      mean_diff: meanDiff,
      ci,
      test,
      p_value: pValue,
      p_adjusted: null,
      significant,
      improved: significant && good,
      worsened: significant && !good && meanDiff !== 0,
    };
    if (guardrail) comparison.limit = guardrailLimit(comparison, guardrail, alpha);
    return comparison;
  };

  const variants: VariantResult[] = [];
  for (const v of spec.variants) {
    const primary: MetricComparison[] = [];
    for (const m of spec.primary_metrics) primary.push(await compare(v.name, m, 'primary'));
    const guardrails: MetricComparison[] = [];
    for (const g of spec.guardrails) guardrails.push(await compare(v.name, g.metric, 'guardrail', g));
    variants.push({ variant: v.name, verdict: 'inconclusive', reasons: [], primary, guardrails, required_n_per_arm: requiredN(spec, await valuesOf(primary[0]!.metric, spec.baseline.name)) });
  }
  // Multiple comparisons: every (variant, primary metric) pair is one hypothesis.
  const all = variants.flatMap((v) => v.primary.filter((c) => c.p_value !== null));
  if (all.length > 0) {
    const adjusted = adjustPValues(all.map((c) => c.p_value!), { method: spec.correction === 'bh' ? 'fdr_bh' : 'holm', alpha });
    all.forEach((c, i) => {
      c.p_adjusted = adjusted.adjusted[i]!;
      c.significant = c.p_adjusted <= alpha;
      const good = c.mean_diff !== null && (c.direction === 'higher' ? c.mean_diff > 0 : c.mean_diff < 0);
      c.improved = c.significant && good;
      c.worsened = c.significant && !good;
    });
  }
  for (const v of variants) decide(v, srmResult?.mismatch === true);

  const winners = variants.filter((v) => v.verdict === 'winner');
  const verdict: Verdict = winners.length > 0 ? 'winner' : variants.every((v) => v.verdict === 'loser') ? 'loser' : 'inconclusive';
  const active = options.activeParams ?? DEFAULT_PARAMS;
  const best = winners.sort((x, y) => score(y) - score(x))[0];
  return {
    experiment_id: spec.id,
    analyzed_at: options.now ?? Date.now(),
    design: spec.design,
    baseline: spec.baseline.name,
    alpha,
    arms,
    srm: srmResult ? { p_value: srmResult.pValue, mismatch: srmResult.mismatch, expected: Object.fromEntries(names.map((n, i) => [n, srmResult.expected[i]!])) } : null,
    variants,
    verdict,
    recommendation: recommend(spec, best, active, variants, options.rollbackCycles ?? 3),
    seed,
  };
}

function decide(v: VariantResult, srmMismatch: boolean): void {
  if (srmMismatch) {
    v.verdict = 'inconclusive';
    v.reasons.push('sample ratio mismatch: the arms did not get the traffic the split asks for, so the comparison is not trusted');
    return;
  }
  const violated = v.guardrails.filter((g) => g.limit?.violated);
  const worse = v.primary.filter((c) => c.worsened);
  const better = v.primary.filter((c) => c.improved);
  for (const g of violated) v.reasons.push(`guardrail ${g.metric} worsened past its limit (${fmt(g.delta)} vs baseline ${fmt(g.baseline.value)})`);
  for (const c of worse) v.reasons.push(`${c.metric} significantly worse: ${fmt(c.baseline.value)} -> ${fmt(c.variant.value)} (p_adj ${fmt(c.p_adjusted)})`);
  for (const c of better) v.reasons.push(`${c.metric} significantly better: ${fmt(c.baseline.value)} -> ${fmt(c.variant.value)} (p_adj ${fmt(c.p_adjusted)})`);
  if (violated.length > 0 || worse.length > 0) v.verdict = 'loser';
  else if (better.length > 0) v.verdict = 'winner';
  else {
    v.verdict = 'inconclusive';
    const untested = v.primary.filter((c) => c.p_value === null);
    v.reasons.push(untested.length > 0 ? `no test possible for ${untested.map((c) => c.metric).join(', ')} (fewer than 2 runs per arm, or no variation)` : 'no primary metric changed significantly');
  }
}

/** A guardrail is violated when the variant is significantly worse and the worsening passes the limit. */
function guardrailLimit(c: MetricComparison, g: GuardrailSpec, alpha: number): NonNullable<MetricComparison['limit']> {
  const worsening = c.delta === null ? 0 : c.direction === 'higher' ? -c.delta : c.delta;
  const base = Math.abs(c.baseline.value ?? 0);
  const past = g.max_absolute_change !== undefined ? worsening > g.max_absolute_change : worsening > (g.max_relative_change ?? 0) * base;
  const significantlyWorse = c.p_value !== null && c.p_value <= alpha && worsening > 0;
  return { ...(g.max_relative_change !== undefined ? { relative: g.max_relative_change } : {}), ...(g.max_absolute_change !== undefined ? { absolute: g.max_absolute_change } : {}), violated: past && significantlyWorse };
}

function requiredN(spec: ExperimentSpec, baselineValues: Float64Array): number | null {
  if (baselineValues.length < 2) return null;
  const sd = Math.sqrt(variance(baselineValues));
  if (!(sd > 0)) return null;
  return sampleSize({ test: 't', effectSize: spec.success.mde / sd, power: spec.success.power, alpha: spec.success.alpha }).n1;
}

function recommend(spec: ExperimentSpec, best: VariantResult | undefined, active: MaasParams, variants: VariantResult[], cycles: number): Recommendation {
  if (!best) {
    return {
      action: 'keep_params',
      experiment_id: spec.id,
      variant: null,
      reason: variants.map((v) => `${v.variant}: ${v.verdict} (${v.reasons.join('; ')})`).join(' | '),
      changes: [],
      rollback_conditions: [],
    };
  }
  const from = { ...active, ...spec.baseline.params } as Record<string, number | string>;
  // every arm's params are changes to the active version
  const to = { ...active, ...spec.variants.find((v) => v.name === best.variant)!.params } as Record<string, number | string>;
  const changes = Object.keys(to).filter((k) => to[k] !== from[k]).sort().map((param) => ({ param, from: from[param]!, to: to[param]! }));
  const rollback = [...best.primary, ...best.guardrails].map((c) => {
    const g = spec.guardrails.find((x) => x.metric === c.metric);
    const limit = g?.max_absolute_change !== undefined ? { max_absolute_change: g.max_absolute_change } : { max_relative_change: g?.max_relative_change ?? 0.1 };
    return { metric: c.metric, direction: c.direction === 'higher' ? ('drop' as const) : ('rise' as const), ...limit, cycles };
  });
  return { action: 'update_params', experiment_id: spec.id, variant: best.variant, reason: `${spec.id}: ${best.variant} wins: ${best.reasons.join('; ')}`, changes, rollback_conditions: rollback };
}

/** Units (distinct users or threads, as the spec assigns) and runs per arm. */
async function armCounts(conn: DuckDBConnection, spec: ExperimentSpec, clientType: string | undefined): Promise<Record<string, { units: number; runs: number }>> {
  const unit = spec.assignment.unit === 'user_id' ? 'user_id' : 'thread_id'; // a fixed identifier, never input
  const sql = `SELECT variant, count(DISTINCT ${unit}) AS units, count(*) AS runs FROM sensor_runs WHERE experiment_id = $experiment${clientType ? ' AND client_type = $client' : ''} GROUP BY variant ORDER BY variant`;
  const reader = await conn.runAndReadAll(sql, clientType ? { experiment: spec.id, client: clientType } : { experiment: spec.id });
  const out: Record<string, { units: number; runs: number }> = {};
  for (const r of reader.getRowObjectsJS()) out[String(r.variant)] = { units: Number(r.units), runs: Number(r.runs) };
  return out;
}

function score(v: VariantResult): number {
  return v.primary.reduce((s, c) => s + (c.improved ? Math.abs(c.relative_delta ?? 0) : 0), 0);
}

function seedOf(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0);
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

function variance(x: Float64Array): number {
  if (x.length < 2) return 0;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - m) ** 2;
  return s / (x.length - 1);
}

function fmt(x: number | null): string {
  return x === null ? 'n/a' : Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

