/**
 * Model manifests (seed 001 §9.1): one YAML/JSON file per model in
 * models/manifests/, validated by schema and by the five rules of §9.1 plus
 * the naming notation of §10; every problem is reported as
 * `file:line /path: message`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { validateAgainst } from '../../topologies/ajv-errors.ts';
import { SourceFile } from '../../topologies/source-file.ts';
import { parseModelName, sameQuant, type ModelName } from './naming.ts';

export const ROLES = ['primary', 'secondary', 'lightweight', 'micro', 'optional_moe'] as const;
export type ModelRole = (typeof ROLES)[number];
export const FORMATS = ['gguf', 'onnx', 'builtin'] as const;
export type ModelFormat = (typeof FORMATS)[number];
export const ADAPTERS = ['llama_cpp', 'transformers', 'builtin'] as const;
export type AdapterName = (typeof ADAPTERS)[number];
/** What a model can be asked to do; `embedding` and `classification` select the transformers pipelines. */
export const CAPABILITIES = ['chat', 'completion', 'reasoning', 'judge', 'plan', 'long_context', 'keywords', 'embedding', 'classification'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface ModelManifest {
  /** The manifest file. */
  file: string;
  id: string;
  /** The id's parts (§10). */
  name: ModelName;
  family: string;
  role: ModelRole;
  /** Absolute path of the weights (a file for gguf, a folder for onnx), or `builtin:NAME`. */
  path: string;
  format: ModelFormat;
  quant: string;
  context_length: number;
  capabilities: Capability[];
  revision: string;
  checksum_sha256: string | null;
  avg_latency_tokens_per_s?: number;
  load: 'eager' | 'on_demand';
  idle_unload_seconds?: number;
  reasoning_modes?: string[];
  tokenizer?: string;
  adapter: AdapterName;
  embedding: boolean;
  description?: string;
  license?: string;
  metadata: Record<string, unknown>;
  /** Rule 4's escape hatch: do not verify checksum_sha256 on first load. */
  skip_checksum: boolean;
  /** Context sequences of an LLM (parallel generations); default 1. */
  sequences: number;
}

export const MANIFEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'family', 'role', 'path', 'format', 'quant', 'context_length', 'capabilities', 'revision', 'checksum_sha256'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 200 },
    family: { type: 'string', minLength: 1 },
    role: { enum: [...ROLES] },
    path: { type: 'string', minLength: 1 },
    format: { enum: [...FORMATS] },
    quant: { type: 'string', minLength: 1 },
    context_length: { type: 'integer', minimum: 1, maximum: 10_000_000 },
    capabilities: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...CAPABILITIES] } },
    revision: { type: 'string', minLength: 1 },
    checksum_sha256: { anyOf: [{ type: 'string', pattern: '^[0-9a-f]{64}$' }, { const: 'none' }] },
    avg_latency_tokens_per_s: { type: 'number', exclusiveMinimum: 0 },
    load: { enum: ['eager', 'on_demand'] },
    idle_unload_seconds: { type: 'integer', minimum: 1 },
    reasoning_modes: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
    tokenizer: { type: 'string', minLength: 1 },
    adapter: { enum: [...ADAPTERS] },
    embedding: { type: 'boolean' },
    description: { type: 'string' },
    license: { type: 'string' },
    metadata: { type: 'object' },
    skip_checksum: { type: 'boolean' },
    sequences: { type: 'integer', minimum: 1, maximum: 64 },
  },
} as const;

const DEFAULT_ADAPTER: Record<ModelFormat, AdapterName> = { gguf: 'llama_cpp', onnx: 'transformers', builtin: 'builtin' };

type RawManifest = Omit<ModelManifest, 'file' | 'name' | 'load' | 'adapter' | 'embedding' | 'metadata' | 'skip_checksum' | 'sequences' | 'checksum_sha256'> & {
  load?: ModelManifest['load'];
  adapter?: AdapterName;
  embedding?: boolean;
  metadata?: Record<string, unknown>;
  skip_checksum?: boolean;
  sequences?: number;
  checksum_sha256: string;
};

/**
 * Parses one manifest and checks the rules that concern it alone (rules 2, 3
 * and 5 of §9.1, the §10 name, format/adapter/path consistency). Rule 1 (id
 * unique) is checked across files by `loadManifests`; rule 4 (checksum) at
 * first load (models/runtime/model-host.ts). Paths are relative to `modelsRoot`.
 */
export function parseManifest(file: string, text: string, modelsRoot: string): ModelManifest {
  const { source, errors: syntax } = SourceFile.parse(file, text, 'CONFIG');
  if (!source) throw new ValidationErrors(syntax);
  const structural = validateAgainst(MANIFEST_SCHEMA, source.data, source, [], 'CONFIG');
  if (structural.length > 0) throw new ValidationErrors(structural);
  const raw = source.data as RawManifest;
  const errors: MaasflowError[] = [];
  const err = (at: (string | number)[], message: string): void => void errors.push(source.error('CONFIG', at, message));

  const name = parseModelName(raw.id);
  if (!name) err(['id'], `"${raw.id}" does not follow the notation <family>-<size>-<purpose>-<quant>-v<major>.<minor>[.<patch>] (seed 001 §10), e.g. qwen2.5-7b-instruct-q5_k_m-v1.1`);
  else {
    if (name.family !== raw.family) err(['family'], `"${raw.family}" is not the family in the id ("${name.family}")`);
    if (!sameQuant(name.quant, raw.quant)) err(['quant'], `"${raw.quant}" is not the quantisation in the id ("${name.quant}")`);
  }
  const load = raw.load ?? (raw.role === 'primary' ? 'eager' : 'on_demand');
  // Rule 2: a primary model is loaded at start.
  if (raw.role === 'primary' && load === 'on_demand') err(['load'], 'rule 2: a primary model must not be on_demand (it is loaded at start)');
  // Rule 3: idle unload only makes sense for a model loaded on demand.
  if (raw.idle_unload_seconds !== undefined && load !== 'on_demand') err(['idle_unload_seconds'], `rule 3: idle_unload_seconds needs load: on_demand (load is ${load})`);
  // Rule 5: reasoning profiles only for MoE models or models that plan or judge.
  if (raw.reasoning_modes !== undefined && raw.role !== 'optional_moe' && !raw.capabilities.some((c) => c === 'plan' || c === 'judge')) {
    err(['reasoning_modes'], 'rule 5: reasoning_modes are allowed only for role optional_moe or capabilities with plan or judge');
  }
  const adapter = raw.adapter ?? DEFAULT_ADAPTER[raw.format];
  if (adapter !== DEFAULT_ADAPTER[raw.format]) err(['adapter'], `adapter ${adapter} cannot run format ${raw.format} (use ${DEFAULT_ADAPTER[raw.format]})`);
  if (raw.format === 'builtin' ? !raw.path.startsWith('builtin:') : raw.path.startsWith('builtin:')) err(['path'], raw.format === 'builtin' ? 'a builtin model\'s path is builtin:NAME' : `builtin: paths are for format builtin, not ${raw.format}`);
  if (raw.format !== 'builtin' && raw.checksum_sha256 === 'none' && raw.skip_checksum !== true) err(['checksum_sha256'], 'rule 4: a model file needs its sha256 (or skip_checksum: true)');
  const embedding = raw.embedding ?? raw.capabilities.includes('embedding');
  if (embedding !== raw.capabilities.includes('embedding')) err(['embedding'], `embedding: ${embedding} contradicts capabilities (${raw.capabilities.join(', ')})`);
  if (raw.sequences !== undefined && raw.format !== 'gguf') err(['sequences'], 'sequences are context sequences of a gguf model');
  if (errors.length > 0) throw new ValidationErrors(errors);

  const resolved = raw.format === 'builtin' ? raw.path : path.resolve(modelsRoot, raw.path);
  return {
    ...raw,
    file,
    name: name!,
    path: resolved,
    load,
    adapter,
    embedding,
    metadata: raw.metadata ?? {},
    skip_checksum: raw.skip_checksum ?? false,
    sequences: raw.sequences ?? 1,
    checksum_sha256: raw.checksum_sha256 === 'none' ? null : raw.checksum_sha256,
  };
}

/** Every manifest of a folder (*.yaml, *.yml, *.json), with rule 1 (unique ids) across them; all problems of all files at once. */
export function loadManifests(dir: string, modelsRoot: string = process.cwd()): ModelManifest[] {
  const { manifests, errors } = scanManifests(dir, modelsRoot);
  if (errors.length > 0) throw new ValidationErrors(errors);
  return manifests;
}

/**
 * Reads every manifest of a folder and reports, rather than throws, what is
 * wrong: the manifests that parsed (a duplicate id's second file left out)
 * and every problem of every file (for `maasflow models validate`, which goes
 * on to verify the model files of the good ones).
 */
export function scanManifests(dir: string, modelsRoot: string = process.cwd()): { manifests: ModelManifest[]; errors: MaasflowError[] } {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort() : [];
  const parsed: { manifest: ModelManifest; text: string }[] = [];
  const errors: MaasflowError[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    const text = fs.readFileSync(file, 'utf8');
    try {
      parsed.push({ manifest: parseManifest(file, text, modelsRoot), text });
    } catch (e) {
      if (e instanceof ValidationErrors) errors.push(...e.errors);
      else throw e;
    }
  }
  const seen = new Map<string, string>();
  const manifests: ModelManifest[] = [];
  for (const { manifest: m, text } of parsed) {
    const first = seen.get(m.id);
    if (first) errors.push(SourceFile.parse(m.file, text, 'CONFIG').source!.error('CONFIG', ['id'], `rule 1: id "${m.id}" is already used by ${first}`));
    else {
      seen.set(m.id, m.file);
      manifests.push(m);
    }
  }
  return { manifests, errors };
}
