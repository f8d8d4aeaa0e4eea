import path from 'node:path';
import { BuiltinEmbedder } from '../../models/builtin/embedder.ts';
import type { Embedder } from '../../models/builtin/types.ts';
import { FileParamSource } from './param-source.ts';
import { MemoryStore } from './store.ts';

/** What the MaaS stage operators of one process share: the memory store, the embedder, the parameter source. */
export interface MaasServices {
  readonly store: MemoryStore;
  readonly embedder: Embedder;
  readonly params: FileParamSource;
}

interface Entry { services: MaasServices; users: number; opened: Promise<void> }
const open = new Map<string, Entry>();

/**
 * One set of services per (store file, parameter file) in a process, opened
 * by the first stage operator that asks and closed when the last releases it.
 */
export async function acquireMaasServices(storePath: string, paramsFile: string): Promise<MaasServices> {
  const id = `${path.resolve(storePath)}\0${path.resolve(paramsFile)}`;
  let entry = open.get(id);
  if (!entry) {
    const embedder = new BuiltinEmbedder();
    const store = new MemoryStore({ path: path.resolve(storePath), dim: embedder.dim });
    entry = { services: { store, embedder, params: new FileParamSource(path.resolve(paramsFile)) }, users: 0, opened: store.open() };
    open.set(id, entry);
  }
  entry.users++;
  await entry.opened;
  return entry.services;
}

export async function releaseMaasServices(services: MaasServices): Promise<void> {
  for (const [id, entry] of open) {
    if (entry.services !== services) continue;
    if (--entry.users > 0) return;
    open.delete(id);
    await services.store.close();
    return;
  }
}
