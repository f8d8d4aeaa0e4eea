/**
 * JSON Schemas of the QMPT configuration sections (qmpt/types.ts: features,
 * metrics, simulation) with their ranges, and the checks a schema cannot
 * express (configProblems): a weight group not all zero, components.min ≤
 * max, the layer thresholds in order, t_end/dt bounded, interventions within
 * the run, scenario counts fitting the scenario kind.
 */
import { PATTERN_PROPERTIES } from '../data/models.ts';
import type { QmptConfig } from '../types.ts';

const name = { type: 'string', minLength: 1 } as const;
const nonNegative = { type: 'number', minimum: 0 } as const;
const positive = { type: 'number', exclusiveMinimum: 0 } as const;
const unit = { type: 'number', minimum: 0, maximum: 1 } as const;
const count = (minimum: number, maximum?: number) => ({ type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }) }) as const;
const section = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({ type: 'object', additionalProperties: false, required, properties }) as const;

export const FEATURES_SCHEMA = section(
  {
    spec_id: name,
    kind: name,
    model: name,
    max_length: count(1),
    statistics: { type: 'boolean' },
    embedding_dims: count(0),
    modalities: {
      type: 'object',
      minProperties: 1,
      additionalProperties: section({ kind: name, weight: nonNegative, options: { type: 'object' } }, ['kind', 'weight']),
    },
  },
  ['spec_id', 'kind', 'max_length', 'statistics', 'embedding_dims'],
);

export const ANOMALY_SCHEMA = section({
  density_model: { enum: ['gmm', 'kde'] },
  gmm: section({
    components: section({ min: count(1, 32), max: count(1, 32) }),
    covariance: { enum: ['full', 'diag'] },
    reg_covar: nonNegative,
    min_component_share: { type: 'number', minimum: 0, maximum: 0.5 },
    tol: positive,
    max_iter: count(1),
    n_init: count(1),
  }),
  kde: section({ bandwidth: { anyOf: [{ enum: ['scott', 'silverman'] }, positive] }, max_points: count(2) }),
  distance_mode: { enum: ['mahalanobis', 'euclidean', 'knn'] },
  knn_k: count(1),
  isolation: section({ trees: count(1), sample_size: count(2) }),
  w1: nonNegative,
  w2: nonNegative,
  w3: nonNegative,
  threshold: unit,
  seed: { type: 'integer' },
});

const words = { type: 'array', items: name } as const;

export const METRICS_SCHEMA = section({
  anomaly: ANOMALY_SCHEMA,
  reflexivity: section(
    { beta_text: nonNegative, beta_dyn: nonNegative, text_half_saturation: positive, dyn_window: count(1), lexicon: section({ self: words, cognitive: words }, []) },
    ['beta_text', 'beta_dyn', 'text_half_saturation', 'dyn_window'],
  ),
  self_operator: section({ alpha_pop: nonNegative, alpha_self: nonNegative, alpha_meta: nonNegative, alpha_R: nonNegative }),
  layer: section({ window: positive, step: positive, strained: unit, critical: unit, breached: unit }),
});

/** One schema per intervention kind, so a field of another kind is reported as unknown where it stands. */
const interventionOf = (kind: string | string[], extra: Record<string, unknown>, required: string[]) => ({
  if: { required: ['kind'], properties: { kind: Array.isArray(kind) ? { enum: kind } : { const: kind } } },
  then: section({ t: nonNegative, kind: {}, ...extra }, ['t', 'kind', ...required]),
});

export const INTERVENTION_SCHEMA = {
  type: 'object',
  required: ['t', 'kind'],
  properties: { kind: { enum: ['add_pattern', 'remove_pattern', 'set_protection', 'change_protection', 'stress_shock'] } },
  allOf: [
    interventionOf('add_pattern', { pattern: section(PATTERN_PROPERTIES, ['pattern_id', 'anomaly_score', 'reflexivity']) }, ['pattern']),
    interventionOf('remove_pattern', { pattern_id: name }, ['pattern_id']),
    interventionOf('set_protection', { value: unit }, ['value']),
    interventionOf(['change_protection', 'stress_shock'], { value: { type: 'number' } }, ['value']),
  ],
} as const;

export const SIMULATION_SCHEMA = section(
  {
    layer_id: name,
    dt: positive,
    t_end: positive,
    model_id: name,
    seed: { type: 'integer' },
    // the model's own keys are checked by the model; here every value is a (finite) number
    params: { type: 'object', additionalProperties: { type: 'number' } },
    scenario: section({ kind: { enum: ['baseline', 'single_anomaly', 'multiple_anomalies'] }, patterns: count(1), anomalous: count(0), seed: { type: 'integer' } }),
    interventions: { type: 'array', items: INTERVENTION_SCHEMA },
  },
  ['layer_id', 'dt', 't_end', 'model_id', 'seed', 'params', 'interventions'],
);

/** A whole configuration (after the file was merged over the defaults). */
export const QMPT_CONFIG_SCHEMA = section({ features: FEATURES_SCHEMA, metrics: METRICS_SCHEMA, simulation: SIMULATION_SCHEMA });

/** Steps a run may take: beyond this t_end/dt is a mistake (a dt in the wrong unit), not a simulation. */
export const MAX_SIMULATION_STEPS = 1e6;

/** A problem found after the schema passed, at a path of the configuration. */
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

function notAllZero(problems: ConfigProblem[], path: string[], group: Record<string, number>): void {
  const names = Object.keys(group);
  if (names.every((k) => group[k] === 0)) problems.push({ path, message: `weights ${names.join(', ')} are all 0: at least one must be > 0` });
}

/** Rules JSON Schema cannot say; `c` has passed QMPT_CONFIG_SCHEMA. */
export function configProblems(c: QmptConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { anomaly, reflexivity, self_operator: so, layer } = c.metrics;
  notAllZero(problems, ['metrics', 'anomaly'], { w1: anomaly.w1, w2: anomaly.w2, w3: anomaly.w3 });
  notAllZero(problems, ['metrics', 'reflexivity'], { beta_text: reflexivity.beta_text, beta_dyn: reflexivity.beta_dyn });
  notAllZero(problems, ['metrics', 'self_operator'], { alpha_pop: so.alpha_pop, alpha_self: so.alpha_self, alpha_meta: so.alpha_meta, alpha_R: so.alpha_R });
  const { min, max } = anomaly.gmm.components;
  if (min > max) problems.push({ path: ['metrics', 'anomaly', 'gmm', 'components', 'min'], message: `min ${min} is above max ${max}` });
  if (layer.strained > layer.critical) problems.push({ path: ['metrics', 'layer', 'strained'], message: `strained ${layer.strained} is above critical ${layer.critical}` });

  const f = c.features;
  if (f.modalities) notAllZero(problems, ['features', 'modalities'], Object.fromEntries(Object.entries(f.modalities).map(([m, s]) => [m, s.weight])));
  if (f.kind === 'multimodal' && !f.modalities) problems.push({ path: ['features', 'kind'], message: 'a multimodal spec needs modalities (a spec and a weight per modality)' });
  if (f.kind === 'text' && !f.statistics && f.model === undefined) problems.push({ path: ['features', 'statistics'], message: 'a text spec with neither statistics nor a model has no columns' });

  const s = c.simulation;
  if (s.t_end / s.dt > MAX_SIMULATION_STEPS) problems.push({ path: ['simulation', 'dt'], message: `t_end / dt = ${s.t_end / s.dt} steps is more than ${MAX_SIMULATION_STEPS}` });
  s.interventions.forEach((iv, i) => {
    if (iv.t > s.t_end) problems.push({ path: ['simulation', 'interventions', i, 't'], message: `t ${iv.t} is after t_end ${s.t_end}: the intervention would never take effect` });
  });
  const sc = s.scenario;
  if (sc) {
    if (sc.anomalous > sc.patterns) problems.push({ path: ['simulation', 'scenario', 'anomalous'], message: `${sc.anomalous} anomalous patterns of ${sc.patterns}` });
    const wanted = { baseline: [0, 0], single_anomaly: [1, 1], multiple_anomalies: [2, Infinity] }[sc.kind];
    if (sc.anomalous < wanted[0]! || sc.anomalous > wanted[1]!) {
      problems.push({ path: ['simulation', 'scenario', 'anomalous'], message: `a ${sc.kind} scenario has ${wanted[1] === Infinity ? `at least ${wanted[0]}` : wanted[0]} anomalous pattern(s), not ${sc.anomalous}` });
    }
  }
  return problems;
}
