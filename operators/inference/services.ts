import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import { ModelRegistry } from '../../models/registry/registry.ts';
import { InferenceService } from '../../models/runtime/inference-service.ts';
import { createModelLoader } from '../../models/runtime/loaders.ts';

/** What the `inference` operators of one process share per (manifests folder, threads, gpu): the registry and one service, so a model is loaded once and its queue serializes every caller. */
export interface SharedInference {
  readonly registry: ModelRegistry;
  readonly service: InferenceService;
}

export interface InferenceServiceKey {
  /** The manifests folder (resolved against the working directory). */
  manifests: string;
  /** CPU threads of each llama.cpp context. */
  threads: number;
  gpu: 'auto' | false;
}

interface Entry { shared: SharedInference; users: number }
const open = new Map<string, Entry>();

/**
 * The process's service for these settings, created (manifests read and
 * validated, nothing loaded yet) by the first operator that asks; pair with
 * `releaseInference`. Models load on first use and unload when the last user
 * releases.
 */
export function acquireInference(k: InferenceServiceKey): SharedInference {
  const dir = path.resolve(k.manifests);
  const id = `${dir}\0${k.threads}\0${String(k.gpu)}`;
  let entry = open.get(id);
  if (!entry) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new MaasflowError('CONFIG', `inference: the manifests folder ${dir} does not exist`);
    const registry = ModelRegistry.load(dir);
    const service = new InferenceService({ registry, loader: createModelLoader({ threads: k.threads, gpu: k.gpu }), device: k.gpu === false ? 'cpu' : 'gpu-auto' });
    entry = { shared: { registry, service }, users: 0 };
    open.set(id, entry);
  }
  entry.users++;
  return entry.shared;
}

/** Drops one use; the last one unloads every model of the service. */
export async function releaseInference(shared: SharedInference): Promise<void> {
  for (const [id, entry] of open) {
    if (entry.shared !== shared) continue;
    if (--entry.users > 0) return;
    open.delete(id);
    await shared.service.close();
    return;
  }
}

/** Services held now (0 once every operator released). */
export function openInferenceServices(): number {
  return open.size;
}
