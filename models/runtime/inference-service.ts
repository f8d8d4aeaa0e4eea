/**
 * The serialized inference path: a call names a capability (and what §3.1
 * needs to pick a role) or a model id; the registry selects the model and
 * records why; the call waits in that model's queue (one per model and
 * device, a slot per context sequence), runs on a slot with the model loaded
 * by its host (lazy, checksum-verified, idle-unloaded), and comes back with
 * what the Logger records: model id, selection reason, prompt template hash,
 * tokens, latency.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { registerMetricsSource } from '../../engine/metrics-export.ts';
import type { ModelManifest } from '../registry/manifest.ts';
import type { ModelRegistry, SelectionRequest } from '../registry/registry.ts';
import { InferenceQueue } from './inference-queue.ts';
import { ModelHost, type LoadedModel, type ModelHostEvents, type ModelLoader } from './model-host.ts';
import { ModelMetrics } from './model-metrics.ts';
import { renderPrompt, type PromptTemplate } from './prompt-template.ts';
import type { LoadedEmbedder, LoadedGenerator } from '../types.ts';

export interface GenerateCall {
  /** What to do and how §3.1 should choose (ignored when `model` is given). */
  select?: SelectionRequest;
  /** A model id, bypassing the selection. */
  model?: string;
  template: PromptTemplate;
  vars: Readonly<Record<string, string>>;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  stop?: readonly string[];
  /** Higher first in the model's queue. */
  priority?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The role the call plays (analyzer, responder, judge, emulator): a metrics label. */
  role?: string;
}

export interface GenerateResult {
  text: string;
  modelId: string;
  reason: string;
  promptTemplateHash: string;
  promptTokens: number;
  completionTokens: number;
  /** Submission to completion, queue wait included. */
  latencyMs: number;
  queueMs: number;
}

export interface EmbedCall {
  select?: Omit<SelectionRequest, 'capability'>;
  model?: string;
  texts: readonly string[];
  priority?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  role?: string;
}

export interface InferenceServiceOptions {
  registry: ModelRegistry;
  loader: ModelLoader;
  /** Device label of the queues (a model on the GPU and one on the CPU queue apart). Default cpu. */
  device?: string;
  /** Waiting requests per model beyond which calls are refused with INFERENCE_BUSY. Default unbounded. */
  maxQueued?: number;
  events?: ModelHostEvents;
}

export class InferenceService {
  readonly metrics = new ModelMetrics();
  private readonly hosts = new Map<string, ModelHost>();
  private readonly queues = new Map<string, InferenceQueue>();
  private readonly unexport: () => void;

  constructor(private readonly o: InferenceServiceOptions) {
    this.unexport = registerMetricsSource('inference', () => this.metrics.prometheus());
  }

  /** Loads the `load: eager` models (seed 001 rule 2: primaries load at start). */
  async start(): Promise<void> {
    for (const m of this.o.registry.manifests) {
      if (m.load === 'eager' && m.format !== 'builtin') {
        const host = this.host(m);
        await host.acquire();
        host.release();
      }
    }
  }

  host(m: ModelManifest): ModelHost {
    let h = this.hosts.get(m.id);
    if (!h) {
      h = new ModelHost(m, this.o.loader, this.o.events);
      this.hosts.set(m.id, h);
      this.metrics.gauge('model_resident_seconds', m.id, () => h!.residentSeconds);
      this.metrics.gauge('model_loaded', m.id, () => (h!.state === 'loaded' ? 1 : 0));
    }
    return h;
  }

  queue(m: ModelManifest): InferenceQueue {
    const key = `${m.id}@${this.o.device ?? 'cpu'}`;
    let q = this.queues.get(key);
    if (!q) {
      q = new InferenceQueue(key, m.sequences, { maxQueued: this.o.maxQueued });
      this.queues.set(key, q);
      this.metrics.gauge('inference_queue_depth', m.id, () => q!.depth);
    }
    return q;
  }

  async generate(call: GenerateCall): Promise<GenerateResult> {
    const { manifest, reason } = this.choose(call.model, call.select ?? { capability: 'chat' });
    const prompt = renderPrompt(call.template, call.vars);
    const host = this.host(manifest);
    const t0 = performance.now();
    let queueMs = 0;
    let generationMs = 0;
    const generation = await this.queue(manifest).submit({
      priority: call.priority,
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      run: async (slot, signal) => {
        queueMs = performance.now() - t0;
        const loaded = await host.acquire();
        try {
          const g0 = performance.now();
          const out = await asGenerator(loaded, manifest).generate(slot, prompt, { maxTokens: call.maxTokens, temperature: call.temperature ?? 0, seed: call.seed, stop: call.stop, signal });
          generationMs = performance.now() - g0;
          return out;
        } finally {
          host.release();
        }
      },
    });
    const latencyMs = performance.now() - t0;
    this.metrics.observe(manifest.id, call.role ?? 'generate', latencyMs, generation.completionTokens, generationMs);
    return { ...generation, modelId: manifest.id, reason, promptTemplateHash: call.template.hash, latencyMs, queueMs };
  }

  async embed(call: EmbedCall): Promise<{ vectors: Float32Array[]; modelId: string; reason: string }> {
    const { manifest, reason } = this.choose(call.model, { ...call.select, capability: 'embedding' });
    const host = this.host(manifest);
    const t0 = performance.now();
    const vectors = await this.queue(manifest).submit({
      priority: call.priority,
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      run: async () => {
        const loaded = await host.acquire();
        try {
          return await asEmbedder(loaded, manifest).embed(call.texts);
        } finally {
          host.release();
        }
      },
    });
    this.metrics.observe(manifest.id, call.role ?? 'embed', performance.now() - t0, 0, 0);
    return { vectors, modelId: manifest.id, reason };
  }

  /** Unloads every model. */
  async close(): Promise<void> {
    this.unexport();
    for (const h of this.hosts.values()) await h.unload();
  }

  private choose(model: string | undefined, select: SelectionRequest): { manifest: ModelManifest; reason: string } {
    if (model !== undefined) return { manifest: this.o.registry.get(model), reason: `model ${model} named by the caller` };
    const s = this.o.registry.select(select);
    return { manifest: s.manifest, reason: s.reason };
  }
}

function asGenerator(loaded: LoadedModel, m: ModelManifest): LoadedGenerator {
  if (loaded.kind !== 'generator') throw wrongKind(loaded, 'generator', m);
  return loaded.model;
}

function asEmbedder(loaded: LoadedModel, m: ModelManifest): LoadedEmbedder {
  if (loaded.kind !== 'embedder') throw wrongKind(loaded, 'embedder', m);
  return loaded.model;
}

function wrongKind(loaded: LoadedModel, kind: string, m: ModelManifest): MaasflowError {
  return new MaasflowError('CONFIG', `model ${m.id} is a ${loaded.kind}, not a ${kind} (manifest ${m.file})`);
}
