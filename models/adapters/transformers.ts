/**
 * transformers.js (ONNX Runtime, CPU) behind the model interfaces: embedders
 * (`feature-extraction`) and classifiers (`text-classification`) loaded from a
 * local model folder only; nothing is ever downloaded.
 *
 * Local paths: transformers.js 4.x treats a path that is not a valid Hub
 * model id (an absolute path never is) as the folder itself and reads
 * `<path>/config.json`, `<path>/onnx/model.onnx` (dtype fp32 = no suffix)...
 * A relative path like `models/minilm` *is* a valid Hub id and would be
 * looked up under `env.localModelPath`, so the folder is always resolved to an
 * absolute path first.
 *
 * The library is imported lazily, on the first load: importing this module
 * does not load the ONNX Runtime native binding.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import type { LoadedClassifier, LoadedEmbedder } from '../types.ts';

/** Texts per forward pass: bounds the padded [batch, seq] tensors for long inputs. */
const DEFAULT_BATCH_SIZE = 32;

export interface TransformersEmbedderOptions {
  /** Model folder: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx. */
  dir: string;
  /** How token vectors become one vector: masked mean (sentence-transformers) or the first ([CLS]) token. Default 'mean'. */
  pooling?: 'mean' | 'cls';
  /** L2-normalise each vector. Default true; `false` breaks the LoadedEmbedder contract and is for inspection only. */
  normalize?: boolean;
  /** ONNX Runtime intra-op threads. Default: the runtime's own (its count of physical cores). */
  threads?: number;
  /** Texts per forward pass. Default 32. */
  batchSize?: number;
}

export interface TransformersClassifierOptions {
  /** Model folder as for the embedder; config.json must have `id2label`. */
  dir: string;
  threads?: number;
  batchSize?: number;
}

interface FolderCheck {
  dir: string;
  config: Record<string, unknown>;
}

function invalid(message: string, file: string, cause?: unknown): MaasflowError {
  return new MaasflowError('MODEL_INVALID', message, { location: { file }, cause });
}

function readJsonObject(dir: string, name: string): Record<string, unknown> {
  const file = join(dir, name);
  if (!existsSync(file)) throw invalid(`model folder ${dir} has no ${name}`, file);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw invalid(`${name} in model folder ${dir} is not valid JSON: ${(e as Error).message}`, file, e);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${name} in model folder ${dir} is not a JSON object`, file);
  return value as Record<string, unknown>;
}

/**
 * Checks the files transformers.js needs before handing the folder over, so
 * a broken folder is reported as "which folder, which file, what is wrong"
 * rather than as a runtime stack trace.
 */
export function checkTransformersFolder(dirIn: string): FolderCheck {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw invalid(`model folder ${dir} does not exist`, dir);
  const config = readJsonObject(dir, 'config.json');
  if (typeof config.model_type !== 'string' || config.model_type === '') {
    throw invalid(`config.json in model folder ${dir} has no "model_type" string`, join(dir, 'config.json'));
  }
  const tokenizer = readJsonObject(dir, 'tokenizer.json');
  if (tokenizer.model === null || typeof tokenizer.model !== 'object') {
    throw invalid(`tokenizer.json in model folder ${dir} has no "model" object`, join(dir, 'tokenizer.json'));
  }
  readJsonObject(dir, 'tokenizer_config.json');
  const onnx = join(dir, 'onnx', 'model.onnx');
  if (!existsSync(onnx)) throw invalid(`model folder ${dir} has no onnx/model.onnx`, onnx);
  if (statSync(onnx).size === 0) throw invalid(`onnx/model.onnx in model folder ${dir} is empty`, onnx);
  return { dir, config };
}

type Transformers = typeof import('@huggingface/transformers');

async function transformers(): Promise<Transformers> {
  const t = await import('@huggingface/transformers');
  // local folders only: no Hub look-ups, no copies of local files in the library's cache folder
  t.env.allowRemoteModels = false;
  t.env.allowLocalModels = true;
  t.env.useFSCache = false;
  return t;
}

function pretrainedOptions(threads: number | undefined) {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new MaasflowError('CONFIG', `transformers adapter: threads must be a positive integer, got ${threads}`);
  }
  return {
    device: 'cpu' as const,
    dtype: 'fp32' as const,
    local_files_only: true,
    session_options: threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 },
  };
}

function checkBatchSize(n: number | undefined): number {
  const b = n ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(b) || b < 1) throw new MaasflowError('CONFIG', `transformers adapter: batchSize must be a positive integer, got ${n}`);
  return b;
}

function loadError(dir: string, task: string, e: unknown): MaasflowError {
  return new MaasflowError('MODEL_LOAD', `cannot load ${task} model from ${dir}: ${(e as Error).message ?? String(e)}`, {
    location: { file: dir },
    cause: e,
  });
}

/** Runs `fn` over `texts` in slices of `size`, concatenating results in order. */
async function inBatches<T>(texts: readonly string[], size: number, fn: (slice: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < texts.length; i += size) out.push(...(await fn(texts.slice(i, i + size))));
  return out;
}

/** Loads a feature-extraction model from a local folder; one (by default L2-normalised) vector per text. */
export async function loadTransformersEmbedder(o: TransformersEmbedderOptions): Promise<LoadedEmbedder> {
  const { dir } = checkTransformersFolder(o.dir);
  const pooling = o.pooling ?? 'mean';
  const normalize = o.normalize ?? true;
  const batchSize = checkBatchSize(o.batchSize);
  const options = pretrainedOptions(o.threads);
  const t = await transformers();
  let extractor: Awaited<ReturnType<typeof t.pipeline<'feature-extraction'>>>;
  try {
    extractor = await t.pipeline('feature-extraction', dir, options);
  } catch (e) {
    throw loadError(dir, 'feature-extraction', e);
  }

  const run = async (texts: string[]): Promise<Float32Array[]> => {
    const out = await extractor(texts, { pooling, normalize });
    const [rows, dim] = out.dims as [number, number];
    if (out.dims.length !== 2 || rows !== texts.length) {
      throw new MaasflowError('MODEL_LOAD', `feature-extraction model ${dir} returned dims [${out.dims.join(', ')}] for ${texts.length} texts`);
    }
    const data = out.data as Float32Array;
    const vectors: Float32Array[] = [];
    for (let r = 0; r < rows; r++) vectors.push(data.slice(r * dim, (r + 1) * dim));
    return vectors;
  };

  // one probe: learns the dimension and proves the graph runs, so a broken model fails at load, not at the first request
  let dim: number;
  try {
    dim = (await run(['dimension probe']))[0]!.length;
  } catch (e) {
    await extractor.dispose();
    throw e instanceof MaasflowError ? e : loadError(dir, 'feature-extraction', e);
  }

  return {
    dim,
    async embed(texts) {
      if (texts.length === 0) return [];
      return inBatches(texts, batchSize, run);
    },
    async unload() {
      await extractor.dispose();
    },
  };
}

function labelsOf(dir: string, config: Record<string, unknown>): string[] {
  const file = join(dir, 'config.json');
  const id2label = config.id2label;
  if (id2label === null || typeof id2label !== 'object' || Array.isArray(id2label)) {
    throw invalid(`config.json in model folder ${dir} has no "id2label" object (a classifier needs its labels)`, file);
  }
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels: string[] = [];
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof v !== 'string') {
      throw invalid(`config.json in model folder ${dir}: id2label must map 0..${entries.length - 1} to strings (bad entry ${JSON.stringify(k)})`, file);
    }
    labels[i] = v;
  }
  if (labels.length === 0) throw invalid(`config.json in model folder ${dir}: id2label is empty`, file);
  return labels;
}

interface Scored {
  label: string;
  score: number;
}

/** Loads a text-classification model from a local folder; per text, every label with its score, best first. */
export async function loadTransformersClassifier(o: TransformersClassifierOptions): Promise<LoadedClassifier> {
  const { dir, config } = checkTransformersFolder(o.dir);
  const labels = labelsOf(dir, config);
  const known = new Set(labels);
  const batchSize = checkBatchSize(o.batchSize);
  const options = pretrainedOptions(o.threads);
  const t = await transformers();
  let classifier: Awaited<ReturnType<typeof t.pipeline<'text-classification'>>>;
  try {
    classifier = await t.pipeline('text-classification', dir, options);
  } catch (e) {
    throw loadError(dir, 'text-classification', e);
  }

  const run = async (texts: string[]): Promise<Scored[][]> => {
    const raw = (await classifier(texts, { top_k: labels.length })) as unknown;
    // with top_k = 1 the pipeline flattens to one {label, score} per text
    const rows = (labels.length === 1 ? (raw as Scored[]).map((s) => [s]) : raw) as Scored[][];
    if (!Array.isArray(rows) || rows.length !== texts.length) {
      throw new MaasflowError('MODEL_LOAD', `text-classification model ${dir} returned ${Array.isArray(rows) ? rows.length : 'no'} results for ${texts.length} texts`);
    }
    return rows.map((r) =>
      r.map(({ label, score }) => {
        if (!known.has(label)) throw new MaasflowError('MODEL_LOAD', `text-classification model ${dir} returned label ${JSON.stringify(label)}, not one of its id2label`);
        return { label, score: Number(score) };
      }),
    );
  };

  try {
    await run(['label probe']);
  } catch (e) {
    await classifier.dispose();
    throw e instanceof MaasflowError ? e : loadError(dir, 'text-classification', e);
  }

  return {
    labels,
    async classify(texts) {
      if (texts.length === 0) return [];
      return inBatches(texts, batchSize, run);
    },
    async unload() {
      await classifier.dispose();
    },
  };
}
