/**
 * Control prompts (seed 001 §15): a small fixed set of prompts a model runs
 * after loading, so a warm-up says whether the model answers, how fast, and
 * whether what it says is what is expected. The file
 * (config/control-prompts.json) is a JSON (or YAML) list of
 * `{ id, prompt, expect?, maxTokens? }`; `expect` is a substring, or a regular
 * expression written `/source/flags`. Used by `maasflow models warmup` and by
 * the update process (models/runtime/update.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { validateAgainst } from '../../topologies/ajv-errors.ts';
import { SourceFile } from '../../topologies/source-file.ts';
import type { ModelManifest } from '../registry/manifest.ts';
import type { InferenceService } from './inference-service.ts';
import { promptTemplate } from './prompt-template.ts';

export const DEFAULT_CONTROL_PROMPTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../config/control-prompts.json');
const DEFAULT_MAX_TOKENS = 16;

export interface ControlPrompt {
  id: string;
  prompt: string;
  /** A substring of the output, or `/regex/flags`; absent: the prompt is timed, not judged. */
  expect?: string;
  maxTokens: number;
}

const SCHEMA = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'prompt'],
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
      prompt: { type: 'string', minLength: 1 },
      expect: { type: 'string', minLength: 1 },
      maxTokens: { type: 'integer', minimum: 1, maximum: 4096 },
    },
  },
} as const;

const REGEX = /^\/(.+)\/([dgimsuvy]*)$/s;

/** Parses a control prompt file; every problem as `file:line /path: message`. */
export function parseControlPrompts(file: string, text: string): ControlPrompt[] {
  const { source, errors: syntax } = SourceFile.parse(file, text, 'CONFIG');
  if (!source) throw new ValidationErrors(syntax);
  const errors = validateAgainst(SCHEMA, source.data, source, [], 'CONFIG');
  if (errors.length > 0) throw new ValidationErrors(errors);
  const raw = source.data as { id: string; prompt: string; expect?: string; maxTokens?: number }[];
  const seen = new Set<string>();
  raw.forEach((p, i) => {
    if (seen.has(p.id)) errors.push(source.error('CONFIG', [i, 'id'], `control prompt id "${p.id}" is used twice`));
    seen.add(p.id);
    if (p.expect !== undefined) {
      try {
        compileExpectation(p.expect);
      } catch (e) {
        errors.push(source.error('CONFIG', [i, 'expect'], `${p.expect} is not a valid regular expression: ${(e as Error).message}`));
      }
    }
  });
  if (errors.length > 0) throw new ValidationErrors(errors);
  return raw.map((p) => ({ id: p.id, prompt: p.prompt, ...(p.expect === undefined ? {} : { expect: p.expect }), maxTokens: p.maxTokens ?? DEFAULT_MAX_TOKENS }));
}

export function loadControlPrompts(file: string = DEFAULT_CONTROL_PROMPTS): ControlPrompt[] {
  if (!fs.existsSync(file)) throw new MaasflowError('CONFIG', `control prompt file ${file} does not exist`);
  return parseControlPrompts(file, fs.readFileSync(file, 'utf8'));
}

function compileExpectation(expect: string): (text: string) => boolean {
  const m = REGEX.exec(expect);
  if (!m) return (text) => text.includes(expect);
  const re = new RegExp(m[1]!, m[2]!.replace(/[gy]/g, ''));
  return (text) => re.test(text);
}

/** Whether `text` meets the expectation; null when there is none. */
export function expectationHolds(expect: string | undefined, text: string): boolean | null {
  return expect === undefined ? null : compileExpectation(expect)(text);
}

export type ModelKind = 'generator' | 'embedder' | 'classifier';

/** One control prompt on one model. */
export interface PromptRun {
  id: string;
  prompt: string;
  expect: string | null;
  /** Generated text; for an embedder `[dim N]`; for a classifier `label (score)`. */
  output: string;
  /** Whether the expectation held; null when the prompt has none, or the model is an embedder. */
  pass: boolean | null;
  latencyMs: number;
  completionTokens: number;
  /** Generation speed of this prompt (queue wait excluded); null for embedders and classifiers. */
  tokensPerSecond: number | null;
  /** The error the call ended with, or null. */
  error: string | null;
}

/** A model's warm-up: load, then every control prompt in order. */
export interface ModelWarmup {
  modelId: string;
  kind: ModelKind;
  /** Load time (checksum verification included); 0 when it was already loaded; null when the load failed. */
  loadMs: number | null;
  /** Vector length of an embedder. */
  dim: number | null;
  prompts: PromptRun[];
  /** Why the model could not be loaded, or null. */
  loadError: string | null;
}

/** The kind of model a manifest describes: capabilities embedding and classification select the transformers pipelines. */
export function modelKind(m: ModelManifest): ModelKind {
  return m.embedding ? 'embedder' : m.capabilities.includes('classification') ? 'classifier' : 'generator';
}

const TEMPLATE = promptTemplate('control-prompt', '{{prompt}}');

/**
 * Loads the model through the service's host (lazy load, rule 4's checksum,
 * GGUF validation before llama.cpp) and runs the control prompts one after
 * another at temperature 0: generators generate, embedders embed each prompt,
 * classifiers label it (the expectation is then matched against the label).
 * Failures are recorded, not thrown, so a report can show them.
 */
export async function warmUpModel(service: InferenceService, m: ModelManifest, prompts: readonly ControlPrompt[], o: { timeoutMs?: number } = {}): Promise<ModelWarmup> {
  const kind = modelKind(m);
  const w: ModelWarmup = { modelId: m.id, kind, loadMs: null, dim: null, prompts: [], loadError: null };
  const host = service.host(m);
  const t0 = performance.now();
  try {
    const loaded = await host.acquire();
    host.release();
    w.loadMs = performance.now() - t0;
    if (loaded.kind !== kind) throw new MaasflowError('CONFIG', `model ${m.id} loaded as a ${loaded.kind}, its manifest (${m.file}) describes a ${kind}`);
    if (loaded.kind === 'embedder') w.dim = loaded.model.dim;
  } catch (e) {
    w.loadError = message(e);
    return w;
  }
  for (const p of prompts) {
    const run: PromptRun = { id: p.id, prompt: p.prompt, expect: p.expect ?? null, output: '', pass: null, latencyMs: 0, completionTokens: 0, tokensPerSecond: null, error: null };
    const c0 = performance.now();
    try {
      if (kind === 'generator') {
        const r = await service.generate({ model: m.id, template: TEMPLATE, vars: { prompt: p.prompt }, maxTokens: p.maxTokens, temperature: 0, role: 'control', ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
        run.output = r.text;
        run.completionTokens = r.completionTokens;
        const genMs = r.latencyMs - r.queueMs;
        run.tokensPerSecond = genMs > 0 ? (r.completionTokens * 1000) / genMs : null;
      } else if (kind === 'embedder') {
        const r = await service.embed({ model: m.id, texts: [p.prompt], role: 'control', ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
        run.output = `[dim ${r.vectors[0]!.length}]`;
      } else {
        const loaded = await host.acquire();
        try {
          if (loaded.kind !== 'classifier') throw new MaasflowError('CONFIG', `model ${m.id} is a ${loaded.kind}, not a classifier`);
          const best = (await loaded.model.classify([p.prompt]))[0]![0]!;
          run.output = `${best.label} (${best.score.toFixed(3)})`;
        } finally {
          host.release();
        }
      }
      run.latencyMs = performance.now() - c0;
      // an embedding has nothing to expect of; a classifier is judged on its label alone
      run.pass = kind === 'embedder' ? null : expectationHolds(p.expect, kind === 'classifier' ? run.output.split(' ')[0]! : run.output);
    } catch (e) {
      run.latencyMs = performance.now() - c0;
      run.error = message(e);
      run.pass = p.expect === undefined || kind === 'embedder' ? null : false;
    }
    w.prompts.push(run);
  }
  return w;
}

/** Aggregates of a warm-up: expectations held, mean latency, tokens/s over all prompts. */
export function summarizeWarmup(w: ModelWarmup): { judged: number; passed: number; errors: number; meanLatencyMs: number | null; tokensPerSecond: number | null } {
  const judged = w.prompts.filter((p) => p.pass !== null);
  const ok = w.prompts.filter((p) => p.error === null);
  const tokens = ok.reduce((s, p) => s + p.completionTokens, 0);
  const genMs = ok.reduce((s, p) => s + (p.tokensPerSecond ? (p.completionTokens * 1000) / p.tokensPerSecond : 0), 0);
  return {
    judged: judged.length,
    passed: judged.filter((p) => p.pass).length,
    errors: w.prompts.length - ok.length,
    meanLatencyMs: ok.length > 0 ? ok.reduce((s, p) => s + p.latencyMs, 0) / ok.length : null,
    tokensPerSecond: genMs > 0 ? (tokens * 1000) / genMs : null,
  };
}

function message(e: unknown): string {
  if (e instanceof MaasflowError) return e.format();
  return e instanceof Error ? e.message : String(e);
}
