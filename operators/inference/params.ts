import fs from 'node:fs';
import path from 'node:path';
import { compileExpression } from '../../engine/expression/index.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { CAPABILITIES } from '../../models/registry/manifest.ts';
import type { SelectionRequest } from '../../models/registry/registry.ts';
import { promptTemplate, type PromptTemplate } from '../../models/runtime/prompt-template.ts';
import { RECORD_VARIABLES, type ExpressionSite } from '../definition.ts';

/** Capabilities that produce text (embedding and classification models are not generators). */
export const TEXT_CAPABILITIES = CAPABILITIES.filter((c) => c !== 'embedding' && c !== 'classification');

export interface InferenceParams {
  template?: string;
  templateFile?: string;
  vars?: Record<string, string>;
  select?: SelectionRequest;
  model?: string;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  stop?: string[];
  priority?: number;
  timeoutMs?: number;
  maxConcurrent?: number;
  output?: string;
  manifests?: string;
  threads?: number;
  gpu?: 'auto' | false;
}

const NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

export const inferenceParamsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    template: { type: 'string', minLength: 1 },
    templateFile: { type: 'string', minLength: 1 },
    vars: { type: 'object', propertyNames: { pattern: NAME }, additionalProperties: { type: 'string', minLength: 1 } },
    select: {
      type: 'object',
      additionalProperties: false,
      required: ['capability'],
      properties: {
        capability: { enum: TEXT_CAPABILITIES },
        fullContext: { type: 'boolean' },
        latencyCritical: { type: 'boolean' },
        resourcesBusy: { type: 'boolean' },
        comparison: { type: 'boolean' },
        micro: { type: 'boolean' },
      },
    },
    model: { type: 'string', minLength: 1 },
    maxTokens: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    temperature: { type: 'number', minimum: 0, maximum: 10 },
    seed: { type: 'integer', minimum: 0 },
    stop: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 16 },
    priority: { type: 'integer' },
    timeoutMs: { type: 'integer', minimum: 1 },
    maxConcurrent: { type: 'integer', minimum: 1, maximum: 4096 },
    output: { type: 'string', pattern: NAME },
    manifests: { type: 'string', minLength: 1 },
    threads: { type: 'integer', minimum: 1, maximum: 1024 },
    gpu: { enum: ['auto', false] },
  },
} as const;

export const DEFAULTS = { maxTokens: 64, temperature: 0, output: 'completion', manifests: 'models/manifests', threads: 1, gpu: 'auto' } as const;

/** Rules the schema cannot express; paths are below params. */
export function checkInferenceParams(p: InferenceParams): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (p.template !== undefined && p.templateFile !== undefined) problems.push({ path: 'templateFile', message: 'use either "template" (inline text) or "templateFile", not both' });
  if (p.template === undefined && p.templateFile === undefined) problems.push({ path: '', message: 'needs a prompt: "template" (text with {{name}} placeholders) or "templateFile"' });
  if (p.select !== undefined && p.model !== undefined) problems.push({ path: 'model', message: 'use either "model" (a model id) or "select" (capability and §3.1 flags), not both' });
  if (p.template !== undefined) {
    const t = promptTemplate('inline', p.template);
    for (const name of Object.keys(p.vars ?? {})) {
      if (!t.variables.includes(name)) problems.push({ path: `vars/${name}`, message: `the template has no placeholder {{${name}}}; its placeholders: ${t.variables.map((v) => `{{${v}}}`).join(', ') || '(none)'}` });
    }
  }
  return problems;
}

export function varExpressions(p: InferenceParams): ExpressionSite[] {
  return Object.entries(p.vars ?? {}).map(([name, expr]) => ({ path: `vars/${name}`, expr, variables: RECORD_VARIABLES }));
}

/** The template, read from `templateFile` (relative to the working directory) when it is not inline. */
export function loadTemplate(p: InferenceParams, operatorId: string): PromptTemplate {
  if (p.template !== undefined) return promptTemplate(operatorId, p.template);
  const file = path.resolve(p.templateFile ?? '');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new MaasflowError('CONFIG', `inference operator "${operatorId}": cannot read templateFile ${file}: ${(err as Error).message}`, { location: { file }, cause: err });
  }
  const t = promptTemplate(file, text);
  const extra = Object.keys(p.vars ?? {}).filter((v) => !t.variables.includes(v));
  if (extra.length > 0) throw new MaasflowError('CONFIG', `inference operator "${operatorId}": ${file} has no placeholder for vars ${extra.join(', ')}; its placeholders: ${t.variables.map((v) => `{{${v}}}`).join(', ') || '(none)'}`, { location: { file } });
  return t;
}

/** Reads one template variable from a record (value, key, timestamp). */
export type VarReader = { name: string; source: string; read(value: unknown, key: unknown, timestamp: number): unknown };

/** One reader per placeholder: its expression in `vars`, else the value's own field of that name. */
export function compileVars(t: PromptTemplate, p: InferenceParams): VarReader[] {
  return t.variables.map((name) => {
    const expr = p.vars?.[name];
    if (expr !== undefined) {
      const fn = compileExpression(expr, { variables: RECORD_VARIABLES, source: `vars/${name}` });
      return { name, source: expr, read: (v, k, ts) => fn(v, k, ts) };
    }
    return { name, source: `value.${name}`, read: (v) => (v !== null && typeof v === 'object' && Object.hasOwn(v, name) ? (v as Record<string, unknown>)[name] : undefined) };
  });
}

/** A variable's text: strings as they are, numbers and booleans printed, objects as JSON; null/undefined have none. */
export function varText(x: unknown): string | undefined {
  if (x === null || x === undefined) return undefined;
  if (typeof x === 'string') return x;
  if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') return String(x);
  return JSON.stringify(x);
}
