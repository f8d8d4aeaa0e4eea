import { Ajv, type ErrorObject } from 'ajv';
import { MaasflowError } from '../../engine/errors.ts';
import { SYSTEM_PROMPT_VERSIONS } from '../../models/builtin/responder.ts';
import type { MaasParams } from './types.ts';

/** Which part of the pipeline a factor steers (the Tuner groups parameter versions by it). */
export type ImpactGroup = 'retrieval' | 'context' | 'llm' | 'archivist';

interface FactorBase {
  readonly name: keyof MaasParams;
  readonly group: ImpactGroup;
  readonly meaning: string;
}
export interface NumericFactor extends FactorBase {
  readonly type: 'integer' | 'number';
  readonly min: number;
  readonly max: number;
  readonly default: number;
}
export interface EnumFactor extends FactorBase {
  readonly type: 'enum';
  readonly allowed: readonly string[];
  readonly default: string;
}
export type ImpactFactor = NumericFactor | EnumFactor;

/**
 * The tunable impact factors: the one source for validation, docs/IMPACTS.md
 * (scripts/gen-impacts.ts) and the Tuner's guards.
 */
export const IMPACT_FACTORS: readonly ImpactFactor[] = [
  { name: 'top_k', group: 'retrieval', type: 'integer', min: 1, max: 50, default: 5, meaning: 'At most this many memories are retrieved (best scores first), before the token budget cut.' },
  { name: 'relevance_weight', group: 'retrieval', type: 'number', min: 0, max: 1, default: 0.7, meaning: 'Weight of relevance (embedding similarity and keyword overlap) in a memory\'s score.' },
  { name: 'recency_weight', group: 'retrieval', type: 'number', min: 0, max: 1, default: 0.3, meaning: 'Weight of recency (exponential decay with age) in a memory\'s score.' },
  { name: 'keyword_count', group: 'retrieval', type: 'integer', min: 1, max: 20, default: 5, meaning: 'Keywords the Analyzer extracts from the message; they drive keyword overlap in retrieval and the answer.' },
  { name: 'token_budget', group: 'context', type: 'integer', min: 64, max: 8192, default: 512, meaning: 'Most tokens of memory text put into the prompt context; ranked memories are kept while they fit.' },
  { name: 'system_prompt_version', group: 'llm', type: 'enum', allowed: SYSTEM_PROMPT_VERSIONS, default: 'v1', meaning: 'Version of the responder\'s system prompt; the built-in responder also takes its strictness from it (see below).' },
  { name: 'temperature', group: 'llm', type: 'number', min: 0, max: 2, default: 0, meaning: 'Sampling temperature of an LLM responder (the built-in extractive responder is deterministic and ignores it).' },
  { name: 'archivist_min_importance', group: 'archivist', type: 'number', min: 0, max: 1, default: 0.3, meaning: 'A candidate memory is kept when its importance score is at least this.' },
  { name: 'archivist_max_per_message', group: 'archivist', type: 'integer', min: 0, max: 10, default: 3, meaning: 'At most this many memories are written per message (the most important first); 0 turns the Archivist off.' },
];

export const DEFAULT_PARAMS: MaasParams = Object.freeze(Object.fromEntries(IMPACT_FACTORS.map((f) => [f.name, f.default])) as unknown as MaasParams);

/** JSON Schema of a (possibly partial) parameter version: missing factors take their defaults. */
export const PARAMS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    IMPACT_FACTORS.map((f) => [f.name, f.type === 'enum' ? { type: 'string', enum: [...f.allowed] } : { type: f.type, minimum: f.min, maximum: f.max }]),
  ),
} as const;

const validate = new Ajv({ allErrors: true, strict: true }).compile(PARAMS_SCHEMA);
const byName = new Map(IMPACT_FACTORS.map((f) => [f.name as string, f]));

/** "integer 1..50" or "one of "v1", "v2"". */
export function allowedText(f: ImpactFactor): string {
  return f.type === 'enum' ? `one of ${f.allowed.map((v) => JSON.stringify(v)).join(', ')}` : `${f.type} ${f.min}..${f.max}`;
}

function problem(e: ErrorObject, data: Record<string, unknown>): string {
  if (e.keyword === 'additionalProperties') {
    const name = String(e.params.additionalProperty);
    return `unknown parameter "${name}" (known: ${IMPACT_FACTORS.map((f) => f.name).join(', ')})`;
  }
  const name = e.instancePath.slice(1);
  const f = byName.get(name);
  const value = data[name];
  const shown = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
  return f ? `${name} = ${shown} is not allowed: expected ${allowedText(f)}` : `${e.instancePath || '/'} ${e.message ?? e.keyword}`;
}

/**
 * Checks a parameter version (parsed JSON) and returns it complete: missing
 * factors take their defaults. Throws one CONFIG error listing every problem,
 * each naming the parameter, its value and the allowed range; unknown
 * parameters are refused (a typo must not silently leave a default in force).
 * `where` names the source (a file, a version id) in the message.
 */
export function validateParams(json: unknown, where: string): MaasParams {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new MaasflowError('CONFIG', `${where}: parameters must be a JSON object, got ${Array.isArray(json) ? 'an array' : JSON.stringify(json) ?? String(json)}`);
  }
  const data = json as Record<string, unknown>;
  if (!validate(data)) {
    const problems = [...new Set((validate.errors ?? []).map((e) => problem(e, data)))];
    throw new MaasflowError('CONFIG', `${where}: invalid parameters: ${problems.join('; ')}`);
  }
  return { ...DEFAULT_PARAMS, ...(data as Partial<MaasParams>) };
}
