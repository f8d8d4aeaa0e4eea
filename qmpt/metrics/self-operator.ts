/**
 * The self-operator Ô_self (docs/QMPT.md §5): Σ_c α_c s_c / Σ_c α_c over the
 * components that are defined:
 *   pop  = the mid-rank ECDF of the pattern's Â among its population's Â;
 *   self = 1 − mean |report_m − measured_m| over m ∈ {anomaly, reflexivity}
 *          that the self-report states and the pattern has a score for;
 *   meta = 1 − |confidence − self| (the reported confidence against the
 *          accuracy the report had);
 *   R    = R̂_norm(Ψ).
 * A component with α = 0 is not used; an undefined one with α > 0 is named
 * in `missing` (by its key in `components`) and the result is `degraded`.
 */
import type { Pattern, SelfOperatorConfig } from '../types.ts';
import { metricVersion } from '../version.ts';
import { checkWeights, configError, dataError, describeValue } from './checks.ts';
import { MidRankEcdf } from './ecdf.ts';

export const SELF_OPERATOR_REVISION = 1;
const CONFIG_PATH = 'metrics.self_operator.';

/** The population a pattern is ranked in: its patterns' Â values (read as immutable: the ECDF built from them is cached). */
export interface PopulationStats {
  anomaly: number[];
}

/** What a pattern (or its source) reports about itself, each in [0, 1]. */
export interface SelfReport {
  anomaly?: number;
  reflexivity?: number;
  confidence?: number;
}

export interface SelfOperatorComponents {
  pop: number | null;
  self: number | null;
  meta: number | null;
  R: number | null;
}

export interface SelfOperatorDetail {
  value: number | null;
  components: SelfOperatorComponents;
  degraded: boolean;
  /** Keys of `components` with α > 0 that were undefined. */
  missing: (keyof SelfOperatorComponents)[];
}

/** The Â values of the scored patterns (unscored ones are left out). */
export function populationStats(patterns: Iterable<Pattern> | ReadonlyMap<string, Pattern>): PopulationStats {
  const list = patterns instanceof Map ? patterns.values() : (patterns as Iterable<Pattern>);
  const anomaly: number[] = [];
  for (const p of list) if (typeof p.anomaly_score === 'number') anomaly.push(p.anomaly_score);
  return { anomaly };
}

const REPORT_FIELDS = ['anomaly', 'reflexivity', 'confidence'] as const;

export class SelfOperatorEstimator {
  readonly version: string;
  readonly config: SelfOperatorConfig;
  private readonly ecdfs = new WeakMap<readonly number[], MidRankEcdf>();

  constructor(config: SelfOperatorConfig) {
    if (config === null || typeof config !== 'object') throw configError('SelfOperatorEstimator', 'metrics.self_operator', 'must be an object');
    checkWeights('SelfOperatorEstimator', CONFIG_PATH, { alpha_pop: config.alpha_pop, alpha_self: config.alpha_self, alpha_meta: config.alpha_meta, alpha_R: config.alpha_R });
    this.config = structuredClone(config);
    this.version = metricVersion('self_operator', SELF_OPERATOR_REVISION, this.config);
  }

  score(pattern: Pattern, population: PopulationStats, selfReports?: SelfReport | null): number | null {
    return this.scoreDetailed(pattern, population, selfReports).value;
  }

  scoreDetailed(pattern: Pattern, population: PopulationStats, selfReports?: SelfReport | null): SelfOperatorDetail {
    const fn = 'SelfOperatorEstimator.score';
    const anomaly = unitScore(fn, 'pattern.anomaly_score', pattern?.anomaly_score);
    const reflexivity = unitScore(fn, 'pattern.reflexivity', pattern?.reflexivity);
    const report = checkSelfReport(fn, selfReports);
    const ecdf = this.population(fn, population);

    const pop = anomaly !== null && ecdf.size > 0 ? ecdf.value(anomaly) : null;
    let errorSum = 0;
    let stated = 0;
    if (report?.anomaly !== undefined && anomaly !== null) {
      errorSum += Math.abs(report.anomaly - anomaly);
      stated++;
    }
    if (report?.reflexivity !== undefined && reflexivity !== null) {
      errorSum += Math.abs(report.reflexivity - reflexivity);
      stated++;
    }
    const self = stated > 0 ? 1 - errorSum / stated : null;
    const meta = report?.confidence !== undefined && self !== null ? 1 - Math.abs(report.confidence - self) : null;
    const components: SelfOperatorComponents = { pop, self, meta, R: reflexivity };

    const { alpha_pop, alpha_self, alpha_meta, alpha_R } = this.config;
    const weights: [keyof SelfOperatorComponents, number][] = [['pop', alpha_pop], ['self', alpha_self], ['meta', alpha_meta], ['R', alpha_R]];
    let num = 0;
    let den = 0;
    const missing: (keyof SelfOperatorComponents)[] = [];
    for (const [key, alpha] of weights) {
      if (alpha === 0) continue;
      const s = components[key];
      if (s === null) missing.push(key);
      else {
        num += alpha * s;
        den += alpha;
      }
    }
    return { value: den > 0 ? num / den : null, components, degraded: missing.length > 0, missing };
  }

  /** The population's ECDF, built once per Â array. */
  private population(fn: string, stats: PopulationStats): MidRankEcdf {
    const values = stats?.anomaly;
    if (!Array.isArray(values)) throw dataError(fn, 'populationStats.anomaly', 'must be an array of Â values');
    let ecdf = this.ecdfs.get(values);
    if (ecdf === undefined || ecdf.size !== values.length) {
      ecdf = MidRankEcdf.fit(values, 'populationStats.anomaly');
      this.ecdfs.set(values, ecdf);
    }
    return ecdf;
  }
}

function unitScore(fn: string, field: string, x: unknown): number | null {
  if (x === null || x === undefined) return null;
  if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw dataError(fn, field, `= ${describeValue(x)} must be null or a number in [0, 1]`);
  return x;
}

/** A self-report: null/undefined, or an object of known fields, each a number in [0, 1]. */
export function checkSelfReport(fn: string, report: unknown): SelfReport | null {
  if (report === null || report === undefined) return null;
  if (typeof report !== 'object' || Array.isArray(report)) throw dataError(fn, 'selfReports', 'must be an object { anomaly?, reflexivity?, confidence? } or null');
  const r = report as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!(REPORT_FIELDS as readonly string[]).includes(key)) throw dataError(fn, `selfReports.${key}`, `is not a self-report field; known: ${REPORT_FIELDS.join(', ')}`);
    const v = r[key];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) throw dataError(fn, `selfReports.${key}`, `= ${describeValue(v)} must be a number in [0, 1]`);
  }
  return r as SelfReport;
}
