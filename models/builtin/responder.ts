import { MaasflowError } from '../../engine/errors.ts';
import { contentTerms, countTokens, splitSentences } from './keywords.ts';

/** The exact answer when no memory supports one. */
export const IDK = "I don't know.";

/**
 * A versioned system prompt. An LLM responder sends `text`; the built-in
 * extractive responder follows it through `minOverlap` and `maxSentences`, so
 * the version is a real impact factor here too (lenient v1: more answers, more
 * risk; strict v2: fewer, safer answers).
 */
export interface SystemPrompt {
  readonly text: string;
  /** A sentence qualifies when at least this fraction of the question's terms occur in it. */
  readonly minOverlap: number;
  /** At most this many sentences form the answer. */
  readonly maxSentences: number;
}

export const SYSTEM_PROMPTS: Readonly<Record<string, SystemPrompt>> = {
  v1: {
    text: 'You are a personal assistant with memory. Answer the question using the memories below. If they do not contain the answer, reply exactly "I don\'t know."',
    minOverlap: 0.3,
    maxSentences: 2,
  },
  v2: {
    text: 'Answer in one sentence, only from the memories below, and only when they clearly answer the question. Otherwise reply exactly "I don\'t know."',
    minOverlap: 0.5,
    maxSentences: 1,
  },
};

export const SYSTEM_PROMPT_VERSIONS: readonly string[] = Object.keys(SYSTEM_PROMPTS);

export function systemPrompt(version: string): SystemPrompt {
  const p = Object.hasOwn(SYSTEM_PROMPTS, version) ? SYSTEM_PROMPTS[version] : undefined;
  if (!p) throw new MaasflowError('CONFIG', `unknown system_prompt_version "${version}" (allowed: ${SYSTEM_PROMPT_VERSIONS.join(', ')})`);
  return p;
}

export interface ResponderMemory {
  readonly id: string;
  readonly text: string;
}

export interface ResponderInput {
  readonly question: string;
  /** The analyzer's keywords of the question. */
  readonly keywords: readonly string[];
  /** Retrieved memories, best first. */
  readonly memories: readonly ResponderMemory[];
  readonly systemPromptVersion: string;
}

export interface ResponderOutput {
  readonly answer: string;
  /** Memories whose sentences form the answer, in answer order (empty for "I don't know."). */
  readonly usedMemoryIds: string[];
  /** Tokens of system prompt + context (one line per memory) + question. */
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** The context block a prompt would carry: one "- text" line per memory. */
export function contextBlock(memories: readonly ResponderMemory[]): string {
  return memories.map((m) => `- ${m.text}`).join('\n');
}

/**
 * Extractive answering. Query terms = the keywords ∪ the question's content
 * terms; a memory sentence scores |query terms ∩ sentence terms| / |query terms|.
 * Sentences scoring at least the prompt's `minOverlap` are ranked by score,
 * then by their memory's retrieval rank, then by position, and the best
 * `maxSentences` (distinct texts) are joined into the answer. No qualifying
 * sentence → "I don't know.". Deterministic; temperature does not apply.
 */
export function respondExtractive(input: ResponderInput): ResponderOutput {
  const prompt = systemPrompt(input.systemPromptVersion);
  const query = new Set([...input.keywords, ...contentTerms(input.question)]);
  const candidates: { text: string; id: string; score: number; rank: number; pos: number }[] = [];
  if (query.size > 0) {
    input.memories.forEach((m, rank) => {
      splitSentences(m.text).forEach((text, pos) => {
        const terms = new Set(contentTerms(text));
        let hits = 0;
        for (const q of query) if (terms.has(q)) hits++;
        const score = hits / query.size;
        if (score >= prompt.minOverlap) candidates.push({ text, id: m.id, score, rank, pos });
      });
    });
  }
  candidates.sort((a, b) => b.score - a.score || a.rank - b.rank || a.pos - b.pos);
  const chosen: typeof candidates = [];
  for (const c of candidates) {
    if (chosen.length >= prompt.maxSentences) break;
    if (!chosen.some((x) => x.text === c.text)) chosen.push(c);
  }
  const answer = chosen.length === 0 ? IDK : chosen.map((c) => c.text).join(' ');
  const usedMemoryIds = [...new Set(chosen.map((c) => c.id))];
  const promptTokens = countTokens(prompt.text) + countTokens(contextBlock(input.memories)) + countTokens(input.question);
  return { answer, usedMemoryIds, promptTokens, completionTokens: countTokens(answer) };
}
