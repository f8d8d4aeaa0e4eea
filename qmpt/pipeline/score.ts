/**
 * Batch scoring (docs/QMPT.md §1–§6, seed 000 §9): observations in, scored
 * patterns, per-observation scores and measured layers out.
 *
 * 1. the feature spec is fitted on all observations; X = their rows;
 * 2. an anomaly estimator is fitted on X (the reference set is the
 *    observation rows) and scores every observation;
 * 3. x_Ψ = the mean row of a pattern's observations; Â(Ψ) = Â(x_Ψ) under an
 *    estimator fitted on the patterns' rows: a mean of m rows is not
 *    distributed like one row (under a mixture of K ≥ 2 components the mean
 *    of an ordinary pattern's observations falls between the components and
 *    would score as rare against the observations), so patterns are ranked
 *    among patterns. Measured on generateObservations (seed 1, 50 patterns,
 *    3 anomalous): against the observations' estimator ordinary patterns
 *    reached Â 0.87 and the planted anomalies ranked 39th–41st; against the
 *    patterns' own they rank 1st–3rd. Both references choose the mixture's
 *    K among admissible fits (reference.ts);
 * 4. R̂_norm per pattern from its observations, the feature rows as vectors;
 * 5. Ô_self with the population of the patterns' Â and the self-reports;
 * 6. per layer, σ, P and S on the §6 grid from the observation scores.
 *
 * Observations are taken in (timestamp, obs_id) order whatever order they
 * come in, so the output depends on the set of observations only; the
 * executor only decides where the density fit's chunks run (bit-identical).
 */
import { MaasflowError } from '../../engine/errors.ts';
import type { FeatureSpec } from '../features/base.ts';
import type { EmbedderProvider } from '../features/embedder-provider.ts';
import { patternFeatures } from '../features/pattern-features.ts';
import { featureSpecFromConfig } from '../features/registry.ts';
import { groupByPattern, sortObservations } from '../data/indexing.ts';
import { matrix } from '../matrix.ts';
import type { AnomalyScores } from '../metrics/anomaly.ts';
import type { ChunkExecutor } from '../metrics/density/executor.ts';
import { ReflexivityEstimator } from '../metrics/reflexivity.ts';
import { checkSelfReport, populationStats, SelfOperatorEstimator, type SelfReport } from '../metrics/self-operator.ts';
import type { Layer, Matrix, Observation, Pattern, QmptConfig } from '../types.ts';
import { measureLayers } from './layers.ts';
import { fitReference, type ComponentCandidate } from './reference.ts';

/** The layer of patterns whose observations name none. */
export const DEFAULT_LAYER = 'default';

export interface ScoreOptions {
  /** Where the GMM fit's chunks run (default the main thread); the numbers are the same either way. */
  executor?: ChunkExecutor;
  /** Embedders of the text spec's `model` (default: the model registry, `builtin` the hashed embedder). */
  embedders?: EmbedderProvider;
  /** pattern_id → what the pattern reports about itself (s_self, s_meta of Ô_self). */
  selfReports?: ReadonlyMap<string, SelfReport>;
}

/** One observation's Â and its components (the per-observation output table). */
export interface ScoredObservationRow {
  obs_id: string;
  pattern_id: string;
  layer_id: string;
  timestamp: number;
  modality: string;
  anomaly: number;
  rarity: number;
  distance: number;
  isolation: number;
}

export interface ScoreVersions {
  feature_spec: string;
  anomaly: string;
  reflexivity: string;
  self_operator: string;
}

/** A pattern scored with a part of R̂_norm or Ô_self undefined (docs/QMPT.md §4, §5). */
export interface DegradedPattern {
  pattern_id: string;
  /** r_text and/or r_dyn. */
  reflexivity_missing: string[];
  /** s_pop, s_self, s_meta and/or s_R. */
  self_operator_missing: string[];
}

export interface ScoreDiagnostics {
  density: 'gmm' | 'kde';
  /** K of the mixture of each reference (null for the kernel density). */
  components: { observations: number | null; patterns: number | null };
  /** Every K tried for each reference, with its BIC and smallest component (GMM only). */
  candidates: { observations: ComponentCandidate[]; patterns: ComponentCandidate[] };
  /** Feature columns d. */
  dim: number;
  degraded: DegradedPattern[];
  /** Observations with Â ≥ threshold, of all: the reference's own anomalous share. */
  anomalous_observation_share: number;
  /** Patterns with Â ≥ threshold. */
  anomalous_patterns: number;
  /** Self-report ids that name no scored pattern (ignored). */
  unmatched_self_reports: string[];
}

export interface ScoreResult {
  /** pattern_id → pattern, in code-unit order of pattern_id. */
  patterns: Map<string, Pattern>;
  /** In (timestamp, obs_id) order. */
  observationScores: ScoredObservationRow[];
  /** In code-unit order of layer_id, each with its measured trajectory. */
  layers: Layer[];
  versions: ScoreVersions;
  diagnostics: ScoreDiagnostics;
}

/** The component names a scored pattern carries (only the defined ones are stored). */
const SELF_OPERATOR_PARTS = { pop: 's_pop', self: 's_self', meta: 's_meta', R: 's_R' } as const;

export async function scoreObservations(observations: readonly Observation[], config: QmptConfig, options: ScoreOptions = {}): Promise<ScoreResult> {
  const obs = checkedInput(observations);
  for (const [id, report] of options.selfReports ?? []) checkSelfReport(`scoreObservations: the self-report of pattern ${JSON.stringify(id)}`, report);
  const spec: FeatureSpec = featureSpecFromConfig(config.features, options.embedders ? { embedders: options.embedders } : {});
  const X = await spec.fitTransform(obs);
  const observationRef = await fitReference(X, config.metrics.anomaly, 'observations', options.executor);
  const estimator = observationRef.estimator;
  const obsScores = estimator.batchScore(X);

  const groups = groupByPattern(obs);
  const layerOf = patternLayers(groups);
  const rowIndex = new Map(obs.map((o, k) => [o, k]));
  const features = patternFeatures(obs, X);
  const ids = [...groups.keys()];
  if (ids.length < 2) throw new MaasflowError('RECORD_VALIDATE', `scoreObservations: observations: a pattern's Â ranks it among the patterns, so at least 2 patterns are needed; all ${obs.length} observations are of pattern ${JSON.stringify(ids[0])}`);
  const XPsi = matrix(ids.length, X.cols);
  ids.forEach((id, i) => XPsi.data.set(features.get(id)!, i * X.cols));
  const patternRef = await fitReference(XPsi, config.metrics.anomaly, 'patterns', options.executor);
  const patternScores = patternRef.estimator.batchScore(XPsi);

  const reflexivity = new ReflexivityEstimator(config.metrics.reflexivity);
  const selfOperator = new SelfOperatorEstimator(config.metrics.self_operator);
  const versions: ScoreVersions = { feature_spec: spec.version, anomaly: estimator.version, reflexivity: reflexivity.version, self_operator: selfOperator.version };
  const metricsVersion = { anomaly: versions.anomaly, reflexivity: versions.reflexivity, self_operator: versions.self_operator };

  const patterns = new Map<string, Pattern>();
  const degraded = new Map<string, DegradedPattern>();
  ids.forEach((id, i) => {
    const members = groups.get(id)!;
    const r = reflexivity.scoreDetailed(members, members.map((o) => rowOf(X, rowIndex.get(o)!)));
    if (r.degraded) degraded.set(id, { pattern_id: id, reflexivity_missing: r.missing, self_operator_missing: [] });
    patterns.set(id, {
      pattern_id: id,
      layer_id: layerOf.get(id)!,
      metadata: { n_observations: members.length, modalities: [...new Set(members.map((o) => o.modality))].sort() },
      features: Array.from(features.get(id)!),
      anomaly_score: patternScores.anomaly[i]!,
      reflexivity: r.value,
      self_operator: null,
      components: definedOnly({ rarity: patternScores.rarity[i]!, distance: patternScores.distance[i]!, isolation: patternScores.isolation[i]!, r_text: r.r_text, r_dyn: r.r_dyn }),
      feature_spec_version: versions.feature_spec,
      metrics_version: { ...metricsVersion },
    });
  });

  // Ô_self ranks each pattern's Â among all patterns' Â: every Â first, then the ranking
  const population = populationStats(patterns);
  for (const p of patterns.values()) {
    const s = selfOperator.scoreDetailed(p, population, options.selfReports?.get(p.pattern_id) ?? null);
    p.self_operator = s.value;
    Object.assign(p.components!, definedOnly({ s_pop: s.components.pop, s_self: s.components.self, s_meta: s.components.meta }));
    if (s.degraded) {
      const entry = degraded.get(p.pattern_id) ?? { pattern_id: p.pattern_id, reflexivity_missing: [], self_operator_missing: [] };
      entry.self_operator_missing = s.missing.map((m) => SELF_OPERATOR_PARTS[m]);
      degraded.set(p.pattern_id, entry);
    }
  }

  const observationScores = obs.map((o, k) => observationScore(o, layerOf.get(o.pattern_id)!, obsScores, k));
  const layers = measureLayers(observationScores, patterns, config);
  const threshold = config.metrics.anomaly.threshold;
  let anomalousObs = 0;
  for (let k = 0; k < obsScores.rows; k++) if (obsScores.anomaly[k]! >= threshold) anomalousObs++;
  return {
    patterns,
    observationScores,
    layers,
    versions,
    diagnostics: {
      density: config.metrics.anomaly.density_model,
      components: { observations: observationRef.components, patterns: patternRef.components },
      candidates: { observations: observationRef.candidates, patterns: patternRef.candidates },
      dim: X.cols,
      degraded: [...degraded.values()].sort((a, b) => byString(a.pattern_id, b.pattern_id)),
      anomalous_observation_share: anomalousObs / obs.length,
      anomalous_patterns: [...patterns.values()].filter((p) => p.anomaly_score! >= threshold).length,
      unmatched_self_reports: [...(options.selfReports?.keys() ?? [])].filter((id) => !patterns.has(id)).sort(byString),
    },
  };
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The observations in (timestamp, obs_id) order; at least two, obs_ids unique. */
function checkedInput(observations: readonly Observation[]): Observation[] {
  if (!Array.isArray(observations)) throw new MaasflowError('RECORD_VALIDATE', 'scoreObservations: observations must be an array of observations');
  if (observations.length < 2) throw new MaasflowError('RECORD_VALIDATE', `scoreObservations: observations: the anomaly reference needs at least 2 observations, got ${observations.length}`);
  const seen = new Set<string>();
  observations.forEach((o, i) => {
    if (o === null || typeof o !== 'object' || typeof o.obs_id !== 'string' || typeof o.pattern_id !== 'string' || o.pattern_id === '') {
      throw new MaasflowError('RECORD_VALIDATE', `scoreObservations: observations[${i}] must be an observation with a string obs_id and a non-empty pattern_id`, { location: { path: `/${i}` } });
    }
    if (seen.has(o.obs_id)) throw new MaasflowError('RECORD_VALIDATE', `scoreObservations: observations[${i}] /obs_id: ${JSON.stringify(o.obs_id)} is given twice`, { location: { path: `/${i}/obs_id` } });
    seen.add(o.obs_id);
  });
  return sortObservations(observations);
}

/** pattern_id → the one layer its observations name (DEFAULT_LAYER when none does); two layers is an error naming both. */
function patternLayers(groups: ReadonlyMap<string, readonly Observation[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, members] of groups) {
    let first: Observation | null = null;
    for (const o of members) {
      if (o.layer_id === null || o.layer_id === undefined) continue;
      if (first === null) first = o;
      else if (o.layer_id !== first.layer_id) {
        throw new MaasflowError(
          'RECORD_VALIDATE',
          `scoreObservations: pattern ${JSON.stringify(id)} /layer_id: its observations name two layers, ${JSON.stringify(first.layer_id)} (observation ${JSON.stringify(first.obs_id)}) and ${JSON.stringify(o.layer_id)} (observation ${JSON.stringify(o.obs_id)}); a pattern belongs to one layer`,
          { location: { path: '/layer_id' } },
        );
      }
    }
    out.set(id, first?.layer_id ?? DEFAULT_LAYER);
  }
  return out;
}

function rowOf(X: Matrix, k: number): Float64Array {
  return X.data.subarray(k * X.cols, (k + 1) * X.cols);
}

/** The entries whose value is a number (a pattern's components hold only defined parts). */
function definedOnly(values: Record<string, number | null>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (v !== null) out[k] = v;
  return out;
}

/** Row k of `s` as the score of observation `o` in layer `layer` (the batch pipeline and the stream decide the layer differently). */
export function observationScore<L extends string | null>(o: Observation, layer: L, s: Pick<AnomalyScores, 'anomaly' | 'rarity' | 'distance' | 'isolation'>, k: number): Omit<ScoredObservationRow, 'layer_id'> & { layer_id: L } {
  return {
    obs_id: o.obs_id,
    pattern_id: o.pattern_id,
    layer_id: layer,
    timestamp: o.timestamp,
    modality: o.modality,
    anomaly: s.anomaly[k]!,
    rarity: s.rarity[k]!,
    distance: s.distance[k]!,
    isolation: s.isolation[k]!,
  };
}
