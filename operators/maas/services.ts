import path from 'node:path';
import { BuiltinEmbedder } from '../../models/builtin/embedder.ts';
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
}

/** Model files for the stages: a manifests folder, and the CPU threads llama.cpp may use. */
export interface StageModelOptions { dir: string; threads: number }

interface Entry { services: MaasServices; users: number; opened: Promise<void> }
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
    const embedder = new BuiltinEmbedder();
    const store = new MemoryStore({ path: path.resolve(storePath), dim: embedder.dim });
    entry = { services: { store, embedder, params: new FileParamSource(path.resolve(paramsFile)), ...(models ? { models: stageModels(models) } : {}) }, users: 0, opened: store.open() };
    open.set(id, entry);
  }
  entry.users++;
  await entry.opened;
  return entry.services;
}

function stageModels(o: StageModelOptions): StageModels {
  const registry = ModelRegistry.load(path.resolve(o.dir));
  return { registry, service: new InferenceService({ registry, loader: createModelLoader({ threads: o.threads }) }) };
}

export async function releaseMaasServices(services: MaasServices): Promise<void> {
  for (const [id, entry] of open) {
    if (entry.services !== services) continue;
    if (--entry.users > 0) return;
    open.delete(id);
    await services.store.close();
    await services.models?.service.close();
    return;
  }
}
