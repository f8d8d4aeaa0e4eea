import { createHash } from 'node:crypto';
import type { Batch } from '../../engine/batch.ts';
import type { Output } from '../../engine/operator.ts';
import { defineOperator, type OperatorDefinition } from '../definition.ts';
import type { PipelineRunEvent, PipelineState } from './events.ts';
import type { ParamVersion } from './param-source.ts';
import { acquireMaasServices, releaseMaasServices, type MaasServices } from './services.ts';
import { analyze, archive, assemble, respond, type StageContext } from './stages.ts';
import type { RetrievedMemory } from './store.ts';
import type { ChatRequest, ChatResponse } from './types.ts';
import { checkChatRequest } from './request-schema.ts';

/** A run as it travels between the stage operators (records of their `out` ports). */
export interface PipelineRun {
  run_id: string;
  message_id: string;
  request: ChatRequest;
  param_version: ParamVersion;
  /** Next transition number. */
  seq: number;
  keywords?: string[];
  retrieved?: RetrievedMemory[];
  answer?: string;
  used?: string[];
  /** What a stage without an exit event reported, for the next exit event. */
  carry?: Partial<PipelineRunEvent>;
}

/** What a stage emits: the run's identity fields plus what the stage reports (the Avro encoder fills the defaults). */
type EmittedEvent = Pick<PipelineRunEvent, 'run_id' | 'seq' | 'state' | 'at' | 'thread_id' | 'user_id' | 'client_type' | 'param_version'> & Partial<PipelineRunEvent>;

interface StageParams { store: string; params: string; maxAttempts?: number; models?: string; modelThreads?: number }

/**
 * The Logger's record: one per model call of a stage attempt (the `inferences`
 * port of the Analyzer and the Responder), failed attempts included.
 */
export interface InferenceRecord {
  run_id: string;
  stage: string;
  attempt: number;
  at: number;
  thread_id: string;
  param_version: string;
  model_id: string | null;
  prompt_template_hash: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  ok: boolean;
  error: string | null;
}

const stageParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['store', 'params'],
  properties: {
    store: { type: 'string', minLength: 1 },
    params: { type: 'string', minLength: 1 },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 10 },
    models: { type: 'string', minLength: 1 },
    modelThreads: { type: 'integer', minimum: 1, maximum: 256 },
  },
} as const;

/** The stages' model files: a manifests folder (none: built-ins only); llama.cpp threads default 1 (CONVENTIONS.md: more is slower on small models here). */
const modelsOf = (p: StageParams): { dir: string; threads: number } | undefined => (p.models ? { dir: p.models, threads: p.modelThreads ?? 1 } : undefined);

/** Run and message ids follow from the request, so a replayed request is the same run (idempotent downstream). */
export function runIdOf(request: ChatRequest, messageId: string): string {
  return createHash('sha256').update(`${request.thread_id}\0${messageId}`).digest('hex').slice(0, 32);
}

function event(run: PipelineRun, state: PipelineState, extra: Partial<PipelineRunEvent> = {}): EmittedEvent {
  const r = run.request;
  return {
    run_id: run.run_id,
    seq: run.seq++,
    state,
    at: Date.now(),
    thread_id: r.thread_id,
    user_id: r.user_id,
    client_type: r.client_type ?? 'real',
    param_version: run.param_version.version,
    experiment_id: r.experiment_id ?? null,
    variant: r.variant ?? null,
    cycle_type: r.cycle_type ?? null,
    attempt: 0,
    reason: null,
    golden_fact_keys: r.eval?.golden_facts ?? [],
    golden_answer: r.eval?.golden_answer ?? null,
    ...extra,
  };
}

function failedResponse(run: PipelineRun, reason: string): ChatResponse {
  return { run_id: run.run_id, thread_id: run.request.thread_id, status: 'FAILED', answer: null, error: reason, memories_used: [], param_version: run.param_version.version };
}

function inferenceRecord(run: PipelineRun, stage: string, attempt: number, latencyMs: number, report: Partial<PipelineRunEvent> | undefined, error: string | null): InferenceRecord {
  return {
    run_id: run.run_id,
    stage,
    attempt,
    at: Date.now(),
    thread_id: run.request.thread_id,
    param_version: run.param_version.version,
    model_id: report?.model_id ?? null,
    prompt_template_hash: report?.prompt_template_hash ?? null,
    prompt_tokens: report?.prompt_tokens ?? 0,
    completion_tokens: report?.completion_tokens ?? 0,
    latency_ms: Math.round(latencyMs * 1000) / 1000,
    ok: error === null,
    error,
  };
}

/**
 * One stage of the state machine as an asynchronous operator: for each run
 * it emits `enter` on `events`, does its work (retried up to maxAttempts, each
 * failed attempt an event with its reason), then `exit` carrying what the
 * work reported (a stage without `exit` hands its report to the next exit
 * event), and the run on `out`; a run that exhausts its attempts ends FAILED
 * (event + response on `responses`). Runs of a batch go one after another.
 */
function defineStage(o: {
  type: string;
  summary: string;
  enter?: PipelineState;
  exit?: PipelineState;
  /** The stage calls a model: every attempt is logged on `inferences`. */
  infers?: boolean;
  work(run: PipelineRun, ctx: StageContext): Promise<Partial<PipelineRunEvent>>;
  /** Instead of passing the run on: what leaves the last stage (the client's answer). */
  finish?(run: PipelineRun, ts: number, out: Output): void;
}): OperatorDefinition {
  return defineOperator<StageParams>({
    type: o.type,
    summary: o.summary,
    paramsSchema: stageParamsSchema,
    ports: () => (o.infers ? ['out', 'events', 'responses', 'inferences'] : ['out', 'events', 'responses']),
    async create(p, ctx) {
      const services = await acquireMaasServices(p.store, p.params, modelsOf(p));
      const maxAttempts = p.maxAttempts ?? 3;
      const failures = ctx.counter('maas_stage_failures', 'failed stage attempts');
      return {
        release: () => releaseMaasServices(services),
        async process(batch: Batch, _input, out) {
          for (let i = 0; i < batch.values.length; i++) {
            const run = batch.values[i] as PipelineRun;
            const ts = batch.timestamps[i]!;
            if (o.enter) out.push(event(run, o.enter), ts, run.run_id, 'events');
            const stageCtx: StageContext = { store: services.store, embedder: services.embedder, params: run.param_version.params, now: Date.now(), ...(services.models ? { models: services.models } : {}) };
            let report: Partial<PipelineRunEvent> | undefined;
            let reason = '';
            for (let attempt = 0; attempt < maxAttempts && !report; attempt++) {
              const t0 = performance.now();
              let error: string | null = null;
              try {
                report = await o.work(run, stageCtx);
                run.carry = { ...run.carry, ...report, stage_latency_ms: (run.carry?.stage_latency_ms ?? 0) + performance.now() - t0 };
              } catch (err) {
                failures.inc();
                error = (err as Error).message;
                reason = `${o.type}: ${error}`;
                if (attempt + 1 < maxAttempts) out.push(event(run, o.enter ?? 'RESPONDING', { attempt: attempt + 1, reason }), ts, run.run_id, 'events');
              }
              if (o.infers) out.push(inferenceRecord(run, o.type, attempt, performance.now() - t0, report, error), ts, run.run_id, 'inferences');
            }
            if (!report) {
              out.push(event(run, 'FAILED', { reason, attempt: maxAttempts - 1 }), ts, run.run_id, 'events');
              out.push(failedResponse(run, reason), ts, run.request.thread_id, 'responses');
              continue;
            }
            if (o.exit) {
              out.push(event(run, o.exit, run.carry), ts, run.run_id, 'events');
              run.carry = undefined;
            }
            if (o.finish) o.finish(run, ts, out);
            else out.push(run, ts, run.request.thread_id, 'out');
          }
        },
      };
    },
  });
}

/**
 * Intake: a request becomes a run (NEW) under its parameter version (the arm
 * of a running experiment, else the active version); the user's message is
 * stored. Bad requests leave on `invalid`.
 */
export const intakeOperator = defineOperator<Omit<StageParams, 'maxAttempts'>>({
  type: 'maas.intake',
  summary: 'MaaS: request -> run (NEW) with the active parameter version; stores the message',
  paramsSchema: { ...stageParamsSchema, properties: { store: stageParamsSchema.properties.store, params: stageParamsSchema.properties.params, models: stageParamsSchema.properties.models, modelThreads: stageParamsSchema.properties.modelThreads } },
  ports: () => ['out', 'events', 'invalid'],
  async create(p) {
    const services: MaasServices = await acquireMaasServices(p.store, p.params, modelsOf(p as StageParams));
    return {
      release: () => releaseMaasServices(services),
      async process(batch, _input, out) {
        for (let i = 0; i < batch.values.length; i++) {
          const ts = batch.timestamps[i]!;
          const problem = checkChatRequest(batch.values[i]);
          if (problem) {
            out.push({ reason: problem, request: batch.values[i] }, ts, null, 'invalid');
            continue;
          }
          const received = batch.values[i] as ChatRequest;
          // the version of the run: an experiment arm (assigned here by the hash of the user or thread) or the active one
          const chosen = services.params.forRequest(received);
          const request: ChatRequest = chosen.experiment_id === null ? received : { ...received, experiment_id: chosen.experiment_id, ...(chosen.variant === null ? {} : { variant: chosen.variant }) };
          const messageId = request.message_id ?? createHash('sha256').update(`${request.thread_id}\0${ts}\0${i}\0${request.message}`).digest('hex').slice(0, 24);
          const run: PipelineRun = { run_id: runIdOf(request, messageId), message_id: messageId, request, param_version: chosen.version, seq: 0 };
          const now = Date.now();
          await services.store.ensureUserThread(request.user_id, request.thread_id, now);
          await services.store.addMessage({ messageId, threadId: request.thread_id, userId: request.user_id, role: 'user', text: request.message, createdAt: now, runId: run.run_id });
          out.push(event(run, 'NEW'), ts, run.run_id, 'events');
          out.push(run, ts, request.thread_id, 'out');
        }
      },
    };
  },
});

export const analyzeOperator = defineStage({
  type: 'maas.analyze',
  summary: 'MaaS Analyzer: keywords of the message (ANALYZING -> ANALYZED)',
  enter: 'ANALYZING',
  exit: 'ANALYZED',
  infers: true,
  async work(run, ctx) {
    const r = await analyze(run.request, ctx);
    run.keywords = r.keywords;
    return { keywords: r.keywords, prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, model_id: r.modelId, prompt_template_hash: r.promptTemplateHash };
  },
});

export const assembleOperator = defineStage({
  type: 'maas.assemble',
  summary: 'MaaS Assembler: memory search, ranking, top_k and token budget (ASSEMBLING -> READY)',
  enter: 'ASSEMBLING',
  exit: 'READY',
  async work(run, ctx) {
    const r = await assemble(run.request, run.keywords ?? [], ctx);
    run.retrieved = r.retrieved;
    return {
      memories_found: r.found,
      memories_retrieved: r.retrieved.length,
      retrieved_memory_ids: r.retrieved.map((m) => m.memoryId),
      retrieved_fact_keys: [...new Set(r.retrieved.flatMap((m) => m.factKeys))],
    };
  },
});

export const respondOperator = defineStage({
  type: 'maas.respond',
  summary: 'MaaS Responder: the answer from the retrieved memories (RESPONDING)',
  enter: 'RESPONDING',
  infers: true,
  async work(run, ctx) {
    const r = await respond(run.request, run.retrieved ?? [], ctx);
    run.answer = r.answer;
    run.used = r.usedMemoryIds;
    await ctx.store.addMessage({ messageId: `${run.message_id}.answer`, threadId: run.request.thread_id, userId: run.request.user_id, role: 'assistant', text: r.answer, createdAt: ctx.now, runId: run.run_id });
    return { answer: r.answer, memories_used: r.usedMemoryIds.length, prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, model_id: r.modelId, prompt_template_hash: r.promptTemplateHash };
  },
});

/** Archivist: memories from the user's message, then COMPLETED and the answer (so the next turn of the thread can already find them). */
export const archiveOperator = defineStage({
  type: 'maas.archive',
  summary: 'MaaS Archivist: writes memories of the message, then COMPLETED and the response',
  exit: 'COMPLETED',
  async work(run, ctx) {
    await archive(run.request, run.message_id, ctx);
    return {};
  },
  finish(run, ts, out) {
    const response: ChatResponse = { run_id: run.run_id, thread_id: run.request.thread_id, status: 'COMPLETED', answer: run.answer ?? null, memories_used: run.used ?? [], param_version: run.param_version.version };
    out.push(response, ts, run.request.thread_id, 'responses');
  },
});

export const MAAS_OPERATORS: readonly OperatorDefinition[] = [intakeOperator, analyzeOperator, assembleOperator, respondOperator, archiveOperator];
