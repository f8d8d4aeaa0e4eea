/**
 * The QMPT data models (docs/QMPT.md §1) checked at every boundary: JSON
 * Schemas for Observation, Pattern, LayerState and Layer, validators that
 * return the typed record with its defaults filled in, and constructors.
 * A bad record is a RECORD_VALIDATE error naming where it came from and each
 * bad field: `observations.jsonl:12 /timestamp: must be number`.
 *
 * With strictNumbers ajv's `number` refuses NaN and ±Infinity, so every
 * number a schema admits is finite.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { MaasflowError } from '../../engine/errors.ts';
import { describeAjvErrors } from '../../engine/schema-errors.ts';
import type { Layer, LayerState, Observation, Pattern } from '../types.ts';

const id = { type: 'string', minLength: 1 } as const;
const finite = { type: 'number' } as const;
const score = { type: ['number', 'null'], minimum: 0, maximum: 1 } as const;
const jsonObject = { type: 'object' } as const;

/** A numeric payload: a non-empty number[] or a non-empty { name: number } record. */
const NUMERIC_PAYLOAD = {
  type: ['array', 'object'],
  if: { type: 'array' },
  then: { minItems: 1, items: finite },
  else: { minProperties: 1, additionalProperties: finite },
} as const;

export const OBSERVATION_SCHEMA = {
  $id: 'qmpt.Observation',
  type: 'object',
  additionalProperties: false,
  required: ['obs_id', 'pattern_id', 'timestamp', 'modality', 'payload'],
  properties: {
    obs_id: id,
    pattern_id: id,
    layer_id: { type: ['string', 'null'], minLength: 1 },
    timestamp: finite,
    modality: id,
    payload: {},
    tags: { type: 'array', items: { type: 'string' } },
  },
  // the payload's shape follows the modality: text a string, any other modality numbers
  if: { required: ['modality'], properties: { modality: { const: 'text' } } },
  then: { properties: { payload: { type: 'string' } } },
  else: { properties: { payload: NUMERIC_PAYLOAD } },
} as const;

/** Pattern fields a partial pattern (a simulation intervention) may carry; reused by qmpt/config/schemas.ts. */
export const PATTERN_PROPERTIES = {
  pattern_id: id,
  layer_id: id,
  metadata: jsonObject,
  features: { type: ['array', 'null'], items: finite },
  anomaly_score: score,
  reflexivity: score,
  self_operator: score,
  components: { type: ['object', 'null'], additionalProperties: finite },
  feature_spec_version: { type: ['string', 'null'], minLength: 1 },
  metrics_version: { type: ['object', 'null'], additionalProperties: id },
} as const;

export const PATTERN_SCHEMA = {
  $id: 'qmpt.Pattern',
  type: 'object',
  additionalProperties: false,
  required: ['pattern_id', 'layer_id'],
  properties: PATTERN_PROPERTIES,
} as const;

export const LAYER_STATE_SCHEMA = {
  $id: 'qmpt.LayerState',
  type: 'object',
  additionalProperties: false,
  required: ['t'],
  properties: { t: finite, stress: score, protection: score, macro_state: jsonObject },
} as const;

export const LAYER_SCHEMA = {
  $id: 'qmpt.Layer',
  type: 'object',
  additionalProperties: false,
  required: ['layer_id'],
  properties: {
    layer_id: id,
    description: { type: 'string' },
    patterns: { type: 'array', uniqueItems: true, items: id },
    state_trajectory: { type: 'array', items: LAYER_STATE_SCHEMA },
  },
} as const;

// strictNumbers: NaN and ±Infinity are not numbers (non-strict ajv would let them through)
const ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true, allowUnionTypes: true });
const validators = {
  observation: ajv.compile(OBSERVATION_SCHEMA),
  pattern: ajv.compile(PATTERN_SCHEMA),
  layerState: ajv.compile(LAYER_STATE_SCHEMA),
  layer: ajv.compile(LAYER_SCHEMA),
};

function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const seg of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'number' ? String(v) : typeof v);

/** ajv errors of one record as `/field: message; ...`, without if/then echoes, with the value's kind on type errors. */
function describeRecordErrors(errors: readonly ErrorObject[], data: unknown): string {
  const specific = errors.filter((e) => e.keyword !== 'if');
  const described = specific.map((e): ErrorObject => {
    if (e.keyword !== 'type') return e;
    const got = valueAt(data, e.instancePath);
    if (e.instancePath === '/payload') {
      const modality = valueAt(data, '/modality');
      const which = typeof modality === 'string' ? `a ${JSON.stringify(modality)} observation` : 'an observation';
      const wanted = modality === 'text' ? 'a string' : 'a non-empty number[] or { name: number } record';
      return { ...e, message: `${which} needs ${wanted} as payload, got ${kindOf(got)}` };
    }
    if (typeof got === 'number') return { ...e, message: `must be a finite number, got ${got}` };
    return { ...e, message: `${e.message ?? 'wrong type'}, got ${kindOf(got)}` };
  });
  return describeAjvErrors(described);
}

function check<T>(validate: ValidateFunction, value: unknown, where: string): T {
  if (!validate(value)) throw new MaasflowError('RECORD_VALIDATE', `${where} ${describeRecordErrors(validate.errors ?? [], value)}`);
  return value as T;
}

/** Own keys whose value is not undefined (constructors take optional fields as undefined). */
function defined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * An observation from any source (a file line, a topic record, the CLI);
 * `where` names it in errors (`observations.jsonl:12`). Returns a copy with
 * `tags` defaulted to [].
 */
export function validateObservation(value: unknown, where: string): Observation {
  const o = check<Omit<Observation, 'tags'> & { tags?: string[] }>(validators.observation, value, where);
  const layer = o.layer_id === null || o.layer_id === undefined ? {} : { layer_id: o.layer_id };
  return { obs_id: o.obs_id, pattern_id: o.pattern_id, ...layer, timestamp: o.timestamp, modality: o.modality, payload: o.payload, tags: o.tags ?? [] };
}

/** A pattern; a copy with the defaults of makePattern for fields it leaves out. */
export function validatePattern(value: unknown, where: string): Pattern {
  const p = check<PatternInit>(validators.pattern, value, where);
  return {
    pattern_id: p.pattern_id,
    layer_id: p.layer_id,
    metadata: p.metadata ?? {},
    features: p.features ?? null,
    anomaly_score: p.anomaly_score ?? null,
    reflexivity: p.reflexivity ?? null,
    self_operator: p.self_operator ?? null,
    components: p.components ?? null,
    feature_spec_version: p.feature_spec_version ?? null,
    metrics_version: p.metrics_version ?? null,
  };
}

/** A layer state; stress and protection default to null (no data), macro_state to {}. */
export function validateLayerState(value: unknown, where: string): LayerState {
  return stateWithDefaults(check<LayerStateInit>(validators.layerState, value, where));
}

function stateWithDefaults(s: LayerStateInit): LayerState {
  return { t: s.t, stress: s.stress ?? null, protection: s.protection ?? null, macro_state: s.macro_state ?? {} };
}

/** A layer; its trajectory's times must not decrease (a trajectory is a time series). */
export function validateLayer(value: unknown, where: string): Layer {
  const l = check<LayerInit>(validators.layer, value, where);
  const trajectory = (l.state_trajectory ?? []).map(stateWithDefaults);
  for (let i = 1; i < trajectory.length; i++) {
    if (trajectory[i]!.t < trajectory[i - 1]!.t) {
      throw new MaasflowError('RECORD_VALIDATE', `${where} /state_trajectory/${i}/t: ${trajectory[i]!.t} is before the previous state's t ${trajectory[i - 1]!.t}`);
    }
  }
  return { layer_id: l.layer_id, description: l.description ?? '', patterns: l.patterns ?? [], state_trajectory: trajectory };
}

export type ObservationInit = Pick<Observation, 'obs_id' | 'pattern_id' | 'timestamp' | 'modality' | 'payload'> & { tags?: string[] };
export type PatternInit = Pick<Pattern, 'pattern_id' | 'layer_id'> & Partial<Pattern>;
export type LayerStateInit = Pick<LayerState, 't'> & Partial<LayerState>;
export type LayerInit = Pick<Layer, 'layer_id'> & Partial<Omit<Layer, 'state_trajectory'>> & { state_trajectory?: LayerStateInit[] };

/** An observation with defaults (tags []); validated, so a bad field throws naming it. */
export function makeObservation(init: ObservationInit): Observation {
  return validateObservation(defined(init), `makeObservation(${JSON.stringify(init.obs_id)})`);
}

/** A pattern with defaults: metadata {}, no features, scores, components or versions (null). */
export function makePattern(init: PatternInit): Pattern {
  return validatePattern(defined(init), `makePattern(${JSON.stringify(init.pattern_id)})`);
}

export function makeLayerState(init: LayerStateInit): LayerState {
  return validateLayerState(defined(init), 'makeLayerState');
}

/** A layer with defaults: description '', no patterns, an empty trajectory. */
export function makeLayer(init: LayerInit): Layer {
  return validateLayer({ ...defined(init), ...(init.state_trajectory ? { state_trajectory: init.state_trajectory.map((s) => defined(s)) } : {}) }, `makeLayer(${JSON.stringify(init.layer_id)})`);
}
