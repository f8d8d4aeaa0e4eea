import { createHash } from 'node:crypto';
import { MaasflowError } from '../../engine/errors.ts';
import { contentTerms, countTokens, extractKeywords, splitSentences, tokenize } from '../../models/builtin/keywords.ts';
import { respondExtractive, systemPrompt } from '../../models/builtin/responder.ts';
import type { Embedder } from '../../models/builtin/types.ts';
import type { ModelRegistry, SelectionRequest } from '../../models/registry/registry.ts';
import type { InferenceService } from '../../models/runtime/inference-service.ts';
import { promptTemplate } from '../../models/runtime/prompt-template.ts';
import { memoryIdFor, type MemoryRecord, type MemoryStore, type RetrievedMemory } from './store.ts';
import type { ChatRequest, MaasParams } from './types.ts';

/** What every stage reads: the open store, the embedder, the run's parameter version and its clock. */
export interface StageContext {
  readonly store: MemoryStore;
  readonly embedder: Embedder;
  readonly params: MaasParams;
  /** Epoch ms of this run: ages, timestamps of written memories. */
  readonly now: number;
  /** Model files of the registry: a stage uses an LLM when §3.1 selects a file model for it, else its built-in. */
  readonly models?: StageModels;
}

export interface StageModels {
  readonly registry: ModelRegistry;
  readonly service: InferenceService;
}

/** The LLM prompt templates (their hashes are recorded with every call). */
export const ANALYZER_TEMPLATE = promptTemplate('maas.analyzer.v1', 'List the {{count}} most important keywords of the message, separated by commas.\nMessage: {{message}}\nKeywords:');
export const RESPONDER_TEMPLATE = promptTemplate('maas.responder.v1', '{{system}}\nMemories:\n{{memories}}\nQuestion: {{question}}\nAnswer:');

/** True when §3.1 picks a model file (not a built-in) for this call. */
function usesModelFile(models: StageModels | undefined, select: SelectionRequest): models is StageModels {
  return models !== undefined && models.registry.select(select).manifest.format !== 'builtin';
}

const ANALYZER_SELECT: SelectionRequest = { capability: 'keywords', micro: true };
const RESPONDER_SELECT: SelectionRequest = { capability: 'chat', fullContext: true };

export const ANALYZER_MODEL_ID = 'builtin-tiny-keywords-none-v1.0';
export const RESPONDER_MODEL_ID = 'builtin-tiny-extractive-none-v1.0';
/** Keywords stored with each memory (for keyword overlap in search); independent of keyword_count so memories stay comparable across parameter versions. */
export const MEMORY_KEYWORD_COUNT = 16;

export interface AnalyzeResult {
  readonly keywords: string[];
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly modelId: string;
  /** The LLM prompt template's hash (null for the built-in extractor). */
  readonly promptTemplateHash: string | null;
}

/**
 * Analyzer: the message's `keyword_count` keywords. Token accounting as an
 * LLM analyzer would have it: it reads the message and writes the keyword list.
 */
export async function analyze(request: ChatRequest, ctx: StageContext): Promise<AnalyzeResult> {
  if (usesModelFile(ctx.models, ANALYZER_SELECT)) {
    const g = await ctx.models.service.generate({ select: ANALYZER_SELECT, template: ANALYZER_TEMPLATE, vars: { count: String(ctx.params.keyword_count), message: request.message }, maxTokens: 32, temperature: 0, stop: ['\n'], role: 'analyzer' });
    const listed = [...new Set(g.text.split(/[,;\n]/).flatMap((k) => extractKeywords(k, 1)))].slice(0, ctx.params.keyword_count);
    // an LLM that lists nothing usable still leaves the run its keywords
    const keywords = listed.length > 0 ? listed : extractKeywords(request.message, ctx.params.keyword_count);
    return { keywords, promptTokens: g.promptTokens, completionTokens: g.completionTokens, modelId: g.modelId, promptTemplateHash: g.promptTemplateHash };
  }
  const keywords = extractKeywords(request.message, ctx.params.keyword_count);
  return { keywords, promptTokens: countTokens(request.message), completionTokens: countTokens(keywords.join(', ')), modelId: ANALYZER_MODEL_ID, promptTemplateHash: null };
}

export interface AssembleResult {
  /** Candidate memories before the top_k / token-budget cut. */
  readonly found: number;
  /** Best first. */
  readonly retrieved: RetrievedMemory[];
}

/** Assembler: searches the user's memories (every thread) with the message's embedding and keywords. */
export async function assemble(request: ChatRequest, keywords: readonly string[], ctx: StageContext): Promise<AssembleResult> {
  const [queryEmbedding] = await embedChecked([request.message], ctx);
  const { found, ranked } = await ctx.store.searchMemories({ userId: request.user_id, queryEmbedding: queryEmbedding!, keywords, now: ctx.now, params: ctx.params });
  return { found, retrieved: ranked };
}

export interface RespondResult {
  readonly answer: string;
  readonly usedMemoryIds: string[];
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly modelId: string;
  /** First 16 hex digits of sha256(system prompt text): which template produced the answer. */
  readonly promptTemplateHash: string;
}

/** sha256 prefix identifying a prompt template version. */
export function promptTemplateHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Final Responder (built-in extractive). Keywords are recomputed from the message: deterministic and cheap. */
export async function respond(request: ChatRequest, retrieved: readonly RetrievedMemory[], ctx: StageContext): Promise<RespondResult> {
  const prompt = systemPrompt(ctx.params.system_prompt_version);
  if (usesModelFile(ctx.models, RESPONDER_SELECT)) {
    const g = await ctx.models.service.generate({
      select: RESPONDER_SELECT,
      template: RESPONDER_TEMPLATE,
      vars: { system: prompt.text, memories: retrieved.map((m) => `- ${m.text}`).join('\n') || '(none)', question: request.message },
      maxTokens: 64,
      temperature: ctx.params.temperature,
      seed: 1,
      stop: ['\nQuestion:'],
      role: 'responder',
    });
    const answer = g.text.trim() || "I don't know.";
    // the memories the answer drew on: those sharing a content term with it that the question does not have
    const asked = new Set(contentTerms(request.message));
    const own = contentTerms(answer).filter((t) => !asked.has(t));
    const used = retrieved.filter((m) => contentTerms(m.text).some((t) => own.includes(t))).map((m) => m.memoryId);
    return { answer, usedMemoryIds: used, promptTokens: g.promptTokens, completionTokens: g.completionTokens, modelId: g.modelId, promptTemplateHash: `${RESPONDER_TEMPLATE.hash}:${promptTemplateHash(prompt.text)}` };
  }
  const out = respondExtractive({
    question: request.message,
    keywords: extractKeywords(request.message, ctx.params.keyword_count),
    memories: retrieved.map((m) => ({ id: m.memoryId, text: m.text })),
    systemPromptVersion: ctx.params.system_prompt_version,
  });
  return { ...out, modelId: RESPONDER_MODEL_ID, promptTemplateHash: promptTemplateHash(prompt.text) };
}

const FIRST_PERSON = new Set(['i', "i'm", "i've", "i'd", "i'll", 'me', 'my', 'mine', 'myself', 'we', "we're", "we've", 'our', 'ours', 'us']);

/**
 * Importance of a candidate memory, in [0, 1]: a weighted sum of
 *   0.35 · first-person statement (I, my, me, we, our, …): facts about the user
 * + 0.20 · contains a number (dates, ages, quantities)
 * + 0.20 · a capitalised word after the first (a name-ish token; "I" excluded)
 * + 0.25 · density: content terms / all words
 * and 0 for a clause without any content term ("Thanks!", "Hi there").
 */
export function importanceOf(clause: string): number {
  const words = tokenize(clause);
  const content = contentTerms(clause).length;
  if (content === 0) return 0;
  const firstPerson = words.some((w) => FIRST_PERSON.has(w)) ? 1 : 0;
  const number = /\p{N}/u.test(clause) ? 1 : 0;
  const original = clause.replace(/[\u2019\u02bc]/g, "'").match(/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu) ?? [];
  const named = original.slice(1).some((w) => /^\p{Lu}/u.test(w) && !FIRST_PERSON.has(w.toLowerCase())) ? 1 : 0;
  return 0.35 * firstPerson + 0.2 * number + 0.2 * named + 0.25 * (content / words.length);
}

/**
 * Archivist: turns a user message into memories. Candidates are its
 * sentences/clauses (questions, ending in '?', are never stored); those with
 * importance ≥ archivist_min_importance are kept, the most important first
 * (ties: earlier first), at most archivist_max_per_message. Ids derive from
 * (message id, clause position), so replays and other thresholds never
 * duplicate a memory. Returns the kept memories in message order (also when
 * a replay finds them stored already).
 */
export async function archive(request: ChatRequest, messageId: string, ctx: StageContext): Promise<MemoryRecord[]> {
  const { archivist_min_importance: min, archivist_max_per_message: max } = ctx.params;
  if (max <= 0) return [];
  const kept = splitSentences(request.message)
    .map((text, index) => ({ text, index, importance: importanceOf(text) }))
    .filter((c) => !c.text.endsWith('?') && c.importance > 0 && c.importance >= min)
    .sort((a, b) => b.importance - a.importance || a.index - b.index)
    .slice(0, max)
    .sort((a, b) => a.index - b.index);
  if (kept.length === 0) return [];
  const embeddings = await embedChecked(kept.map((c) => c.text), ctx);
  const memories: MemoryRecord[] = kept.map((c, i) => ({
    memoryId: memoryIdFor(messageId, c.index),
    userId: request.user_id,
    threadId: request.thread_id,
    sourceMessageId: messageId,
    text: c.text,
    embedding: embeddings[i]!,
    keywords: extractKeywords(c.text, MEMORY_KEYWORD_COUNT),
    factKeys: request.eval?.plants ?? [],
    importance: c.importance,
    createdAt: ctx.now,
  }));
  await ctx.store.addMemories(memories);
  return memories;
}

async function embedChecked(texts: string[], ctx: StageContext): Promise<Float32Array[]> {
  if (ctx.embedder.dim !== ctx.store.dim) {
    throw new MaasflowError('CONFIG', `embedder ${ctx.embedder.id} gives ${ctx.embedder.dim} values, the memory store ${ctx.store.path} holds FLOAT[${ctx.store.dim}]`);
  }
  const out = await ctx.embedder.embed(texts);
  if (out.length !== texts.length) throw new MaasflowError('RUNTIME', `embedder ${ctx.embedder.id} returned ${out.length} vectors for ${texts.length} texts`);
  return out;
}
