/**
 * The QMPT toolkit's shared types (seed 000, docs/QMPT.md): the data models,
 * the matrix every numeric routine takes, and the configuration sections.
 * Field names of the data models are snake_case: they are the wire and table
 * format (JSONL, Parquet, DuckDB, Avro), the same as the seed's.
 */

/** A dense row-major matrix: row i is data[i*cols .. (i+1)*cols). */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A unit of analysis Ψ: its observations share its pattern_id. */
export interface Pattern {
  pattern_id: string;
  layer_id: string;
  metadata: Record<string, unknown>;
  /** x_Ψ: the mean of its observations' feature rows (docs/QMPT.md §2). */
  features: number[] | null;
  /** Â(Ψ) ∈ [0, 1]. */
  anomaly_score: number | null;
  /** R̂_norm(Ψ) ∈ [0, 1]. */
  reflexivity: number | null;
  /** Ô_self(Ψ) ∈ [0, 1]. */
  self_operator: number | null;
  /** The component scores behind the three (R̃, D̃, Ĩ, r_text, r_dyn, s_pop, ...), by name. */
  components: Record<string, number> | null;
  feature_spec_version: string | null;
  /** Metric name → the version it was scored with (e.g. anomaly → "anomaly.v1#3f2a9c1e"). */
  metrics_version: Record<string, string> | null;
}

/** One observation of a pattern. */
export interface Observation {
  obs_id: string;
  pattern_id: string;
  /** The pattern's layer, when the producer knows it (streams and layer metrics group by it). */
  layer_id?: string | null;
  /** Seconds (any epoch); observations of a pattern are ordered by it. */
  timestamp: number;
  /** "text", "behavior", "eeg", "logits", ... */
  modality: string;
  /** text: a string; numeric modalities: a number[] or a { name: number } record. */
  payload: unknown;
  tags: string[];
}

export interface LayerState {
  t: number;
  /** σ_k(t) ∈ [0, 1]. */
  stress: number | null;
  /** P_k(t) ∈ [0, 1]. */
  protection: number | null;
  /** S_k(t): the macro state (regime, coherence, counts; docs/QMPT.md §6). */
  macro_state: Record<string, unknown>;
}

export interface Layer {
  layer_id: string;
  description: string;
  /** pattern_ids */
  patterns: string[];
  state_trajectory: LayerState[];
}

// ---- configuration (config/*.yaml; schemas in qmpt/config/schemas.ts) ----

export interface FeaturesConfig {
  spec_id: string;
  /** Registered FeatureSpec name: "text", "numeric" or "multimodal" (or a user's). */
  kind: string;
  /** Embedding model: a model-registry id, or "builtin" for the built-in hashed embedder; omitted: no embedding block. */
  model?: string;
  /** Characters of a text kept (the rest is cut before featurising). */
  max_length: number;
  /** Text statistics block on/off. */
  statistics: boolean;
  /** PCA components the embedding block is projected to at fit (0: the raw embedding). */
  embedding_dims: number;
  /** multimodal: the spec per modality and its block weight. */
  modalities?: Record<string, { kind: string; weight: number; options?: Record<string, unknown> }>;
}

export interface GmmConfig {
  /** BIC picks the number of components in [min, max]. */
  components: { min: number; max: number };
  covariance: 'full' | 'diag';
  reg_covar: number;
  /**
   * BIC compares only mixtures whose every component holds at least
   * max(d + 1, share × n) rows (docs/QMPT.md §3.1); 0 turns the rule off
   * (scikit-learn's plain BIC).
   */
  min_component_share: number;
  tol: number;
  max_iter: number;
  n_init: number;
}

export interface KdeConfig {
  bandwidth: 'scott' | 'silverman' | number;
  /** Reference points kept (a seeded sample beyond this). */
  max_points: number;
}

export interface AnomalyConfig {
  density_model: 'gmm' | 'kde';
  gmm: GmmConfig;
  kde: KdeConfig;
  distance_mode: 'mahalanobis' | 'euclidean' | 'knn';
  knn_k: number;
  isolation: { trees: number; sample_size: number };
  w1: number;
  w2: number;
  w3: number;
  /** Â at or above it marks an anomalous observation or pattern. */
  threshold: number;
  seed: number;
}

export interface ReflexivityConfig {
  beta_text: number;
  beta_dyn: number;
  /** h in r_text = ρ / (ρ + h). */
  text_half_saturation: number;
  /** Earlier observations compared in r_dyn. */
  dyn_window: number;
  /** Extra words per lexicon (lowercase), added to the built-in ones. */
  lexicon?: { self?: string[]; cognitive?: string[] };
}

export interface SelfOperatorConfig {
  alpha_pop: number;
  alpha_self: number;
  alpha_meta: number;
  alpha_R: number;
}

export interface LayerMetricsConfig {
  /** Seconds of the sliding window behind σ_k(t) and P_k(t). */
  window: number;
  /** Seconds between evaluation times. */
  step: number;
  /** σ below it: stable; below `critical`: strained; else critical. */
  strained: number;
  critical: number;
  /** P below it: breached. */
  breached: number;
}

export interface MetricsConfig {
  anomaly: AnomalyConfig;
  reflexivity: ReflexivityConfig;
  self_operator: SelfOperatorConfig;
  layer: LayerMetricsConfig;
}

export type InterventionKind = 'add_pattern' | 'remove_pattern' | 'set_protection' | 'change_protection' | 'stress_shock';

export interface Intervention {
  t: number;
  kind: InterventionKind;
  /** add_pattern: the pattern (scored); remove_pattern: its pattern_id. */
  pattern?: Pick<Pattern, 'pattern_id' | 'anomaly_score' | 'reflexivity'> & Partial<Pattern>;
  pattern_id?: string;
  /** set_protection: the new P; change_protection: ΔP; stress_shock: Δσ. */
  value?: number;
}

export interface ScenarioConfig {
  kind: 'baseline' | 'single_anomaly' | 'multiple_anomalies';
  patterns: number;
  /** Anomalous patterns (single_anomaly: 1; baseline: 0). */
  anomalous: number;
  seed: number;
}

export interface SimulationConfig {
  layer_id: string;
  dt: number;
  t_end: number;
  model_id: string;
  seed: number;
  params: Record<string, number>;
  scenario?: ScenarioConfig;
  interventions: Intervention[];
}

/** Everything one file may hold; each section is optional in a file and filled from defaults. */
export interface QmptConfig {
  features: FeaturesConfig;
  metrics: MetricsConfig;
  simulation: SimulationConfig;
}
