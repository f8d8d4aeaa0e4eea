/**
 * `inference`: per record, a prompt template filled from the record, one
 * call of the process's shared InferenceService (selection by capability and
 * §3.1 flags, or a named model), and the record out again with the
 * completion under `output`; a call that fails (timeout, model error, a
 * missing variable) sends the record to `errors` with the reason instead of
 * failing the topology.
 *
 * Records of a batch are submitted together, so the model's queue keeps all
 * its sequences busy, but never more than `maxConcurrent` requests sit in the
 * queue (`whenBelow`); outputs keep input order. The operator resolves its
 * batch only when every call settled: the engine processes one batch per
 * node at a time, so the batches behind it wait in the node's queue and
 * count as in flight, and the driver stops polling the sources while more
 * than `runtime.maxInFlightBatches` are in flight (backpressure).
 */
import type { Batch } from '../../engine/batch.ts';
import { MaasflowError } from '../../engine/errors.ts';
import type { Output } from '../../engine/operator.ts';
import type { ModelManifest } from '../../models/registry/manifest.ts';
import type { GenerateCall, GenerateResult } from '../../models/runtime/inference-service.ts';
import { promptTemplate } from '../../models/runtime/prompt-template.ts';
import { defineOperator } from '../definition.ts';
import { checkInferenceParams, compileVars, DEFAULTS, inferenceParamsSchema, loadTemplate, varExpressions, varText, type InferenceParams } from './params.ts';
import { acquireInference, releaseInference, type SharedInference } from './services.ts';

/** What the operator adds to a record under `output`. */
export interface Completion {
  text: string;
  model_id: string;
  /** Why this model (the §3.1 rule and any fallback, or "named by the caller"). */
  reason: string;
  prompt_template_hash: string;
  prompt_tokens: number;
  completion_tokens: number;
  /** Submission to completion, queue wait included. */
  latency_ms: number;
}

/** A record on the `errors` port. */
export interface InferenceFailure {
  reason: string;
  code: string;
  retriable: boolean;
  model_id: string;
  value: unknown;
}

type Outcome = { ok: true; result: GenerateResult } | { ok: false; error: MaasflowError };

/**
 * Calls share an abort signal by groups of this many: the queue keeps a
 * listener per call on a call's signal (until it aborts), and adding one
 * walks the others, so one signal per batch would cost O(batch²); one per
 * call costs an AbortController each.
 */
const SIGNAL_GROUP = 8;

export const inferenceOperator = defineOperator<InferenceParams>({
  type: 'inference',
  summary: 'Fill a prompt template from each record, run it on a model of the registry, add the completion (failures to errors)',
  paramsSchema: inferenceParamsSchema,
  ports: () => ['out', 'errors'],
  check: checkInferenceParams,
  expressions: varExpressions,
  describe(p) {
    const target = p.model !== undefined ? `model ${p.model}` : `select ${describeSelect(p.select)}`;
    const template = p.template !== undefined ? `template ${promptTemplate('inline', p.template).hash}` : `template file ${p.templateFile}`;
    return { notes: `${target}; ${template}; output ${p.output ?? DEFAULTS.output}; outputs out, errors` };
  },
  async create(p, ctx) {
    const template = loadTemplate(p, ctx.id);
    const readers = compileVars(template, p);
    const shared = acquireInference({ manifests: p.manifests ?? DEFAULTS.manifests, threads: p.threads ?? DEFAULTS.threads, gpu: p.gpu ?? DEFAULTS.gpu });
    let manifest: ModelManifest;
    let reason: string;
    try {
      ({ manifest, reason } = await prepare(shared, p, ctx.id));
    } catch (err) {
      await releaseInference(shared);
      throw err;
    }
    const queue = shared.service.queue(manifest);
    const maxConcurrent = p.maxConcurrent ?? manifest.sequences * 2;
    const output = p.output ?? DEFAULTS.output;
    const failures = ctx.counter('inference_errors', 'records sent to the errors port of an inference operator');
    /** Signals of the calls in flight, aborted by `release` (a failed run, a revoked partition). */
    const signals = new Set<AbortController>();
    /** Batches in flight (`release` waits for them). */
    const batches = new Set<Promise<unknown>>();
    let released: Error | undefined;
    // The selection is a pure function of the registry and the params, both fixed: made once in `prepare`, its reason reported with every record.
    const base = {
      model: manifest.id,
      template,
      maxTokens: p.maxTokens ?? DEFAULTS.maxTokens,
      temperature: p.temperature ?? DEFAULTS.temperature,
      seed: p.seed,
      stop: p.stop,
      priority: p.priority,
      timeoutMs: p.timeoutMs,
      role: ctx.id,
    } satisfies Omit<GenerateCall, 'vars'>;
    const cancelled = (): Outcome => ({ ok: false, error: new MaasflowError('INFERENCE_CANCELLED', `model ${manifest.id}: request cancelled (${released!.message})`) });

    const call = (vars: Record<string, string>, signal: AbortSignal): Promise<Outcome> =>
      shared.service.generate({ ...base, vars, signal }).then(
        (result): Outcome => ({ ok: true, result }),
        (err: unknown): Outcome => ({ ok: false, error: asError(err) }),
      );

    /** Every record of the batch submitted (at most maxConcurrent in the model's queue), outcomes in input order. */
    const submit = async ({ values, timestamps, keys }: Batch): Promise<Outcome[]> => {
      const outcomes = new Array<Promise<Outcome> | Outcome>(values.length);
      const mine: AbortController[] = [];
      let group: AbortController | undefined;
      let used = SIGNAL_GROUP;
      try {
        for (let i = 0; i < values.length; i++) {
          const vars: Record<string, string> = {};
          let missing: string | undefined;
          for (const r of readers) {
            const text = varText(r.read(values[i], keys === null ? null : keys[i], timestamps[i]!));
            if (text === undefined) {
              missing = `{{${r.name}}} (${r.source}) is null or undefined`;
              break;
            }
            vars[r.name] = text;
          }
          if (missing !== undefined) {
            outcomes[i] = { ok: false, error: new MaasflowError('RECORD_VALIDATE', `inference operator "${ctx.id}": template variable ${missing}`) };
            continue;
          }
          if (queue.depth >= maxConcurrent) await queue.whenBelow(maxConcurrent);
          if (released) {
            outcomes[i] = cancelled();
            continue;
          }
          if (used === SIGNAL_GROUP) {
            group = new AbortController();
            mine.push(group);
            signals.add(group);
            used = 0;
          }
          used++;
          outcomes[i] = call(vars, group!.signal);
        }
        return await Promise.all(outcomes);
      } finally {
        for (const c of mine) signals.delete(c);
      }
    };

    return {
      async process(batch, _input, out: Output) {
        const pending = submit(batch);
        batches.add(pending);
        let results: Outcome[];
        try {
          results = await pending;
        } finally {
          batches.delete(pending);
        }
        const { values, timestamps, keys } = batch;
        for (let i = 0; i < results.length; i++) {
          const o = results[i]!;
          const key = keys === null ? null : keys[i]!;
          if (o.ok) {
            out.push(withOutput(values[i], output, completion(o.result, reason)), timestamps[i]!, key);
          } else {
            failures.inc();
            const failure: InferenceFailure = { reason: o.error.message, code: o.error.code, retriable: o.error.retriable, model_id: manifest.id, value: values[i] };
            out.push(failure, timestamps[i]!, key, 'errors');
          }
        }
      },
      async release() {
        // calls still queued or running (a failed run, a revoked partition) are cancelled before the model can unload under them
        released = new Error(`inference operator "${ctx.id}" released`);
        for (const c of signals) c.abort(released);
        await Promise.allSettled(batches);
        await releaseInference(shared);
      },
    };
  },
});

/**
 * Selects the model once (§3.1, or the named one) and loads it (checksum
 * verified on the first load), so an unknown model, a built-in, or a missing
 * or broken file fails the run at start with its reason instead of sending
 * every record to errors.
 */
async function prepare(shared: SharedInference, p: InferenceParams, id: string): Promise<{ manifest: ModelManifest; reason: string }> {
  const { manifest, reason } = p.model !== undefined
    ? { manifest: shared.registry.get(p.model), reason: `model ${p.model} named by the caller` }
    : shared.registry.select(p.select ?? { capability: 'chat' });
  if (manifest.format === 'builtin' || manifest.embedding || manifest.capabilities.includes('classification')) {
    throw new MaasflowError('CONFIG', `inference operator "${id}": model ${manifest.id} (${manifest.file}) is not a text generator served by the inference service; add a GGUF model to the manifests folder`);
  }
  const host = shared.service.host(manifest);
  const loaded = await host.acquire();
  host.release();
  if (loaded.kind !== 'generator') throw new MaasflowError('CONFIG', `inference operator "${id}": model ${manifest.id} is a ${loaded.kind}, not a text generator`);
  return { manifest, reason };
}

function completion(r: GenerateResult, reason: string): Completion {
  return {
    text: r.text,
    model_id: r.modelId,
    reason,
    prompt_template_hash: r.promptTemplateHash,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    latency_ms: Math.round(r.latencyMs * 1000) / 1000,
  };
}

/** The value with the completion added (a copy); a value that is not an object becomes `{ value, [output]: ... }`. */
function withOutput(value: unknown, output: string, c: Completion): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { ...(value as Record<string, unknown>), [output]: c };
  return { value, [output]: c };
}

function asError(err: unknown): MaasflowError {
  if (err instanceof MaasflowError) return err;
  return new MaasflowError('RUNTIME', err instanceof Error ? err.message : String(err), { cause: err });
}

function describeSelect(s: InferenceParams['select']): string {
  if (!s) return 'chat (default -> primary)';
  const flags = (['fullContext', 'latencyCritical', 'resourcesBusy', 'comparison', 'micro'] as const).filter((f) => s[f]);
  return flags.length > 0 ? `${s.capability} (${flags.join(', ')})` : s.capability;
}
