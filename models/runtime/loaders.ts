import os from 'node:os';
import { MaasflowError } from '../../engine/errors.ts';
import { loadLlamaCpp } from '../adapters/llama-cpp.ts';
import { loadTransformersClassifier, loadTransformersEmbedder } from '../adapters/transformers.ts';
import { BuiltinEmbedder } from '../builtin/embedder.ts';
import type { ModelManifest } from '../registry/manifest.ts';
import type { LoadedModel, ModelLoader } from './model-host.ts';

export interface LoaderOptions {
  /** CPU threads a model may use (default: every core given to the process). */
  threads?: number;
  /** `auto` (default) uses a GPU when there is one (llama.cpp; falls back to the CPU binary, measured here); false stays on the CPU. */
  gpu?: 'auto' | false;
}

/**
 * The real loaders, by manifest adapter: node-llama-cpp for GGUF (prebuilt
 * binary, metadata validated before llama.cpp sees the file), transformers.js
 * for local ONNX folders (embedding or classification by capability), and the
 * built-in models (the hashed embedder; the other built-ins are called by
 * the MaaS stages directly).
 */
export function createModelLoader(o: LoaderOptions = {}): ModelLoader {
  const threads = o.threads ?? os.availableParallelism();
  return async (m: ModelManifest): Promise<LoadedModel> => {
    switch (m.adapter) {
      case 'llama_cpp':
        return { kind: 'generator', model: await loadLlamaCpp({ path: m.path, contextLength: m.context_length, sequences: m.sequences, threads, gpu: o.gpu ?? 'auto' }) };
      case 'transformers':
        if (m.capabilities.includes('classification')) return { kind: 'classifier', model: await loadTransformersClassifier({ dir: m.path, threads }) };
        return { kind: 'embedder', model: await loadTransformersEmbedder({ dir: m.path, threads }) };
      case 'builtin':
        if (m.path === 'builtin:hash-embedder') {
          const dim = typeof m.metadata.dim === 'number' ? m.metadata.dim : 256;
          const e = new BuiltinEmbedder(dim);
          return { kind: 'embedder', model: { dim, embed: (texts) => e.embed([...texts]), unload: async () => undefined } };
        }
        throw new MaasflowError('CONFIG', `built-in model ${m.id} (${m.path}) is called by the MaaS stages directly, not through the inference service`);
    }
  };
}
