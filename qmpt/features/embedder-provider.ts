/**
 * Where a text spec's embedding block comes from: an EmbedderProvider turns
 * the config's `model` into an embedder. The default one serves "builtin"
 * with the built-in hashed embedder and any other id from the model registry
 * (models/manifests/*.yaml) through the repository's loaders, the same path
 * the inference service takes; tests inject their own. Nothing is loaded
 * before the first call.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { BuiltinEmbedder } from '../../models/builtin/embedder.ts';
import { ModelRegistry } from '../../models/registry/registry.ts';
import { ModelHost, type ModelLoader } from '../../models/runtime/model-host.ts';

/** `model: builtin` in a features config. */
export const BUILTIN_EMBEDDER = 'builtin';

export interface TextEmbedder {
  /** Length of every vector. */
  readonly dim: number;
  /** One vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export type EmbedderProvider = (modelId: string) => Promise<TextEmbedder>;

export interface RegistryEmbedderOptions {
  /** The registry to look ids up in (default: models/manifests, loaded on the first non-builtin id). */
  registry?: ModelRegistry;
  /** Default: models/runtime/loaders.ts createModelLoader(), imported on the first load (it pulls in node-llama-cpp). */
  loader?: ModelLoader;
}

/** An EmbedderProvider over the model registry; one load per model id, shared by every spec that asks. */
export function registryEmbedderProvider(o: RegistryEmbedderOptions = {}): EmbedderProvider {
  const loaded = new Map<string, Promise<TextEmbedder>>();
  let registry = o.registry;
  const load = async (modelId: string): Promise<TextEmbedder> => {
    if (modelId === BUILTIN_EMBEDDER) {
      const e = new BuiltinEmbedder();
      return { dim: e.dim, embed: (texts) => e.embed([...texts]) };
    }
    registry ??= ModelRegistry.load();
    const manifest = registry.get(modelId);
    if (!manifest.capabilities.includes('embedding')) {
      throw new MaasflowError('CONFIG', `features.model: model ${modelId} cannot embed (capabilities: ${manifest.capabilities.join(', ')}; manifest ${manifest.file})`, { location: { path: '/features/model' } });
    }
    const loader = o.loader ?? (await import('../../models/runtime/loaders.ts')).createModelLoader();
    // Acquired and never released: the spec keeps using it, so it must not idle-unload.
    const model = await new ModelHost(manifest, loader).acquire();
    if (model.kind !== 'embedder') throw new MaasflowError('MODEL_LOAD', `features.model: model ${modelId} loaded as a ${model.kind}, not an embedder (manifest ${manifest.file})`);
    return model.model;
  };
  return (modelId) => {
    let p = loaded.get(modelId);
    if (!p) {
      p = load(modelId);
      loaded.set(modelId, p);
      // a failed load is not cached: the next call tries again
      p.catch(() => loaded.delete(modelId));
    }
    return p;
  };
}

let shared: EmbedderProvider | undefined;

/** The process-wide registry provider (created on first use). */
export function defaultEmbedderProvider(): EmbedderProvider {
  shared ??= registryEmbedderProvider();
  return shared;
}
