import path from 'node:path';
import { BuiltinEmbedder } from '../../models/builtin/embedder.ts';
import { cachedEmbedder, EmbeddingCache } from '../../models/embedding-cache.ts';
import type { Embedder } from '../../models/builtin/types.ts';
import { ModelRegistry } from '../../models/registry/registry.ts';
import { InferenceService } from '../../models/runtime/inference-service.ts';
import { createModelLoader } from '../../models/runtime/loaders.ts';
import { FileParamSource } from './param-source.ts';
import type { StageModels } from './stages.ts';
import { MemoryStore } from './store.ts';

/** What the MaaS stage operators of one process share: the memory store, the embedder, the parameter source, the models. */
export interface MaasServices {
  readonly store: MemoryStore;
  readonly embedder: Embedder;
  readonly params: FileParamSource;
  /** Present when the stages were given a manifests folder holding model files. */
  readonly models?: StageModels;
  /** On-disk vectors of a model-file embedder (DATA/maas.duckdb.embeddings). */
  readonly embeddingCache?: EmbeddingCache;
}

/** Model files for the stages: a manifests folder, and the CPU threads llama.cpp may use. */
export interface StageModelOptions { dir: string; threads: number }

interface Entry { services: Promise<MaasServices>; users: number }
const open = new Map<string, Entry>();

/**
 * One set of services per (store file, parameter file, manifests folder) in
 * a process, opened by the first stage operator that asks and closed when the
 * last releases it.
 */
export async function acquireMaasServices(storePath: string, paramsFile: string, models?: StageModelOptions): Promise<MaasServices> {
  const id = `${path.resolve(storePath)}\0${path.resolve(paramsFile)}\0${models ? `${path.resolve(models.dir)}\0${models.threads}` : ''}`;
  let entry = open.get(id);
  if (!entry) {
    entry = { users: 0, services: openServices(storePath, paramsFile, models) };
    open.set(id, entry);
  }
  entry.users++;
  try {
    return await entry.services;
  } catch (err) {
    if (--entry.users === 0) open.delete(id);
    throw err;
  }
}

/**
 * The embedder is the registry's when a model file serves `embedding` (its
 * vectors cached on disk next to the store, keyed by text and model version),
 * else the built-in; the store's vector width follows it.
 */
async function openServices(storePath: string, paramsFile: string, models: StageModelOptions | undefined): Promise<MaasServices> {
  const stage = models ? stageModels(models) : undefined;
  let embedder: Embedder = new BuiltinEmbedder();
  let embeddingCache: EmbeddingCache | undefined;
  const chosen = stage?.registry.manifests.some((m) => m.format !== 'builtin' && m.capabilities.includes('embedding')) ? stage.registry.select({ capability: 'embedding' }).manifest : undefined;
  if (stage && chosen) {
    const embed = async (texts: string[]): Promise<Float32Array[]> => (await stage.service.embed({ model: chosen.id, texts, role: 'memory' })).vectors;
    const [probe] = await embed(['dimension probe']);
    const version = `${chosen.id}@${chosen.revision}`;
    embeddingCache = new EmbeddingCache({ dir: `${path.resolve(storePath)}.embeddings`, modelVersion: version, dim: probe!.length });
    embedder = cachedEmbedder({ id: version, dim: probe!.length, embed }, embeddingCache);
  }
  const store = new MemoryStore({ path: path.resolve(storePath), dim: embedder.dim });
  await store.open();
  return { store, embedder, params: new FileParamSource(path.resolve(paramsFile)), ...(stage ? { models: stage } : {}), ...(embeddingCache ? { embeddingCache } : {}) };
}

function stageModels(o: StageModelOptions): StageModels {
  const registry = ModelRegistry.load(path.resolve(o.dir));
  return { registry, service: new InferenceService({ registry, loader: createModelLoader({ threads: o.threads }) }) };
}

export async function releaseMaasServices(services: MaasServices): Promise<void> {
  for (const [id, entry] of open) {
    if ((await entry.services) !== services) continue;
    if (--entry.users > 0) return;
    open.delete(id);
    await services.store.close();
    await services.models?.service.close();
    services.embeddingCache?.close();
    return;
  }
}
