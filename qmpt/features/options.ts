/**
 * A feature spec's configuration, checked where it enters (createFeatureSpec,
 * featureSpecFromConfig, a multimodal block's options, a saved state)
 * against the `features` schema of the config files (qmpt/config/schemas.ts),
 * so both accept the same values; each error names the field
 * (`features.embedding_dims: must be >= 0, got -1`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { MaasflowError } from '../../engine/errors.ts';
import { FEATURES_SCHEMA } from '../config/schemas.ts';
import type { FeaturesConfig } from '../types.ts';

/** What an option left out of createFeatureSpec(name, options) takes: statistics only, no embedding model. */
export const FEATURE_DEFAULTS = { max_length: 4096, statistics: true, embedding_dims: 0 } as const;

/** A value for an error message: `missing`, a number as written (NaN, Infinity), else its JSON (cut). */
export function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

let validator: ValidateFunction | undefined;

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(data: unknown, path: readonly string[]): unknown {
  let cur = data;
  for (const seg of path) cur = isRecord(cur) ? cur[seg] : undefined;
  return cur;
}

function toError(e: ErrorObject, data: unknown, where: string): MaasflowError {
  const path = segments(e.instancePath);
  let message: string;
  if (e.keyword === 'required') {
    path.push(String(e.params.missingProperty));
    message = 'missing';
  } else if (e.keyword === 'additionalProperties') {
    path.push(String(e.params.additionalProperty));
    message = 'unknown field';
  } else {
    message = `${e.message ?? e.keyword}, got ${describe(valueAt(data, path))}`;
  }
  const field = [...where.split('.'), ...path];
  return new MaasflowError('CONFIG', `${field.join('.')}: ${message}`, { location: { path: `/${field.join('/')}` } });
}

/**
 * `raw` with FEATURE_DEFAULTS filled in, checked against the `features`
 * schema; `where` names the section in errors ("features",
 * "features.modalities.text.options"). Returns a fresh object.
 */
export function normalizeFeaturesConfig(raw: unknown, where = 'features'): FeaturesConfig {
  if (!isRecord(raw)) throw new MaasflowError('CONFIG', `${where}: must be an object, got ${describe(raw)}`, { location: { path: `/${where.split('.').join('/')}` } });
  const config: Record<string, unknown> = structuredClone({ ...FEATURE_DEFAULTS, ...raw });
  // strictNumbers: NaN and ±Infinity are no numbers
  validator ??= new Ajv({ allErrors: false, strict: false, strictNumbers: true }).compile(FEATURES_SCHEMA);
  if (!validator(config)) throw toError(validator.errors![0]!, config, where);
  return config as unknown as FeaturesConfig;
}
