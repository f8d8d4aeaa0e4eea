/**
 * Judges of a run's quality: is each retrieved memory relevant to the
 * question, how much of the context did the answer use, is the answer a
 * hallucination. Two deterministic judges ship: `golden-v1` (from the
 * emulator's golden facts and answer: exact, but only for emulator
 * questions) and `lexical-v1` (from the texts alone: works on real traffic,
 * approximate). An LLM judge plugs in through the same interface once a model
 * is configured (model registry). Their agreement on the runs both can judge
 * says how far the label-free judges can be trusted.
 */
import { LIST, listValue, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { contentTerms } from '../../models/builtin/keywords.ts';
import type { InferenceService } from '../../models/runtime/inference-service.ts';
import { promptTemplate } from '../../models/runtime/prompt-template.ts';
import { containsAnswer, isUnknownAnswer } from '../../streams/emulator/text.ts';

/** What a judge sees of one run. */
export interface JudgeInput {
  run_id: string;
  question: string;
  answer: string | null;
  retrieved: { memory_id: string; text: string; fact_keys: string[] }[];
  memories_used: number;
  golden_fact_keys: string[];
  golden_answer: string | null;
}

/** A judgement; null where the judge cannot tell. */
export interface Judgement {
  run_id: string;
  judge: string;
  /** Per retrieved memory (same order): relevant to the question. */
  relevant: boolean[] | null;
  /** Share of the retrieved memories the answer drew on. */
  utilisation: number | null;
  /** The run answered (not "I don't know") with something the evidence does not support. */
  hallucination: boolean | null;
}

export interface Judge {
  readonly id: string;
  judge(input: JudgeInput): Judgement | Promise<Judgement>;
}

/** A judge that needs no model call. */
export interface DeterministicJudge extends Judge {
  judge(input: JudgeInput): Judgement;
}

export interface JudgeOptions { unknownMarkers: readonly string[] }

/** Judges with the golden labels the emulator planted (questions only). */
export function goldenJudge(o: JudgeOptions): DeterministicJudge {
  return {
    id: 'golden-v1',
    judge(r) {
      if (r.golden_fact_keys.length === 0 || r.golden_answer === null) return { run_id: r.run_id, judge: 'golden-v1', relevant: null, utilisation: null, hallucination: null };
      const relevant = r.retrieved.map((m) => m.fact_keys.some((k) => r.golden_fact_keys.includes(k)));
      const answered = r.answer !== null && !isUnknownAnswer(r.answer, o.unknownMarkers);
      return {
        run_id: r.run_id,
        judge: 'golden-v1',
        relevant,
        utilisation: r.retrieved.length === 0 ? null : Math.min(1, r.memories_used / r.retrieved.length),
        hallucination: r.answer === null ? null : answered && !containsAnswer(r.answer, r.golden_answer),
      };
    },
  };
}

/**
 * Judges from the texts: a memory is relevant when it shares at least half of
 * the question's content terms (at least one); the answer draws on a memory
 * when they share a content term the question does not have; an answer is a
 * hallucination when fewer than half of its own content terms (beyond the
 * question's) appear in the retrieved memories.
 */
export function lexicalJudge(o: JudgeOptions): DeterministicJudge {
  return {
    id: 'lexical-v1',
    judge(r) {
      const q = new Set(contentTerms(r.question));
      const memories = r.retrieved.map((m) => new Set(contentTerms(m.text)));
      const relevant = memories.map((terms) => {
        const shared = [...q].filter((t) => terms.has(t)).length;
        return shared >= 1 && shared >= q.size / 2;
      });
      if (r.answer === null) return { run_id: r.run_id, judge: 'lexical-v1', relevant, utilisation: null, hallucination: null };
      const own = contentTerms(r.answer).filter((t) => !q.has(t));
      const used = memories.filter((terms) => own.some((t) => terms.has(t))).length;
      const answered = !isUnknownAnswer(r.answer, o.unknownMarkers);
      const supported = own.filter((t) => memories.some((terms) => terms.has(t))).length;
      return {
        run_id: r.run_id,
        judge: 'lexical-v1',
        relevant,
        utilisation: r.retrieved.length === 0 ? null : used / r.retrieved.length,
        hallucination: answered && own.length > 0 && supported < own.length / 2,
      };
    },
  };
}

export const RELEVANCE_TEMPLATE = promptTemplate('judge.relevance.v1', 'Question: {{question}}\nMemory: {{memory}}\nDoes the memory help answer the question? Reply yes or no.\nReply:');
export const SUPPORT_TEMPLATE = promptTemplate('judge.support.v1', 'Memories:\n{{memories}}\nQuestion: {{question}}\nAnswer: {{answer}}\nIs every fact in the answer stated in the memories? Reply yes or no.\nReply:');

/** yes / no at the start of a reply; null when the model said neither (the judgement is then unknown, not guessed). */
export function parseYesNo(text: string): boolean | null {
  const m = /^\W*(yes|no)\b/i.exec(text);
  return m ? m[1]!.toLowerCase() === 'yes' : null;
}

/**
 * The LLM judge: asks the model §3.1 picks for `judge` (an A/B comparison:
 * the secondary, so the judge is not the model being judged) one yes/no
 * question per retrieved memory (relevant?) and one per answer (supported by
 * the memories?). Utilisation is left to the other judges. A reply that is
 * neither yes nor no makes that judgement unknown.
 */
export function llmJudge(service: InferenceService, o: JudgeOptions): Judge {
  const ask = async (template: typeof RELEVANCE_TEMPLATE, vars: Record<string, string>): Promise<{ yes: boolean | null; model: string }> => {
    const g = await service.generate({ select: { capability: 'judge', comparison: true }, template, vars, maxTokens: 3, temperature: 0, role: 'judge' });
    return { yes: parseYesNo(g.text), model: g.modelId };
  };
  return {
    id: 'llm-v1',
    async judge(r) {
      const labels: (boolean | null)[] = [];
      for (const m of r.retrieved) labels.push((await ask(RELEVANCE_TEMPLATE, { question: r.question, memory: m.text })).yes);
      let hallucination: boolean | null = null;
      if (r.answer !== null && !isUnknownAnswer(r.answer, o.unknownMarkers)) {
        const supported = (await ask(SUPPORT_TEMPLATE, { memories: r.retrieved.map((m) => `- ${m.text}`).join('\n') || '(none)', question: r.question, answer: r.answer })).yes;
        hallucination = supported === null ? null : !supported;
      } else if (r.answer !== null) hallucination = false;
      return { run_id: r.run_id, judge: 'llm-v1', relevant: labels.every((l) => l !== null) ? (labels as boolean[]) : null, utilisation: null, hallucination };
    },
  };
}

export interface Agreement {
  judges: [string, string];
  /** Runs both judged hallucination on, and the share where they agree. */
  hallucination: { runs: number; agreement: number | null };
  /** Retrieved memories both labelled, and the share of equal labels. */
  relevance: { memories: number; agreement: number | null };
}

/** How often two judges say the same, over what both could judge. */
export function agreement(a: readonly Judgement[], b: readonly Judgement[]): Agreement {
  const byRun = new Map(b.map((j) => [j.run_id, j]));
  let runs = 0;
  let same = 0;
  let memories = 0;
  let sameLabels = 0;
  for (const x of a) {
    const y = byRun.get(x.run_id);
    if (!y) continue;
    if (x.hallucination !== null && y.hallucination !== null) {
      runs++;
      if (x.hallucination === y.hallucination) same++;
    }
    if (x.relevant && y.relevant) {
      for (let i = 0; i < Math.min(x.relevant.length, y.relevant.length); i++) {
        memories++;
        if (x.relevant[i] === y.relevant[i]) sameLabels++;
      }
    }
  }
  return {
    judges: [a[0]?.judge ?? '', b[0]?.judge ?? ''],
    hallucination: { runs, agreement: runs === 0 ? null : same / runs },
    relevance: { memories, agreement: memories === 0 ? null : sameLabels / memories },
  };
}

/**
 * What the judges need, from the sensor history and the memory store (two
 * DuckDB files, each through its own connection): completed runs matching
 * the filter, with the question text and the retrieved memories' texts.
 */
export async function loadJudgeInputs(sensor: DuckDBConnection, store: DuckDBConnection, filter: { experimentId?: string; limit?: number } = {}): Promise<JudgeInput[]> {
  const where = filter.experimentId === undefined ? '' : ' AND experiment_id = $experiment';
  const rows = (
    await sensor.runAndReadAll(
      `SELECT run_id, answer, retrieved_memory_ids, memories_used, golden_fact_keys, golden_answer FROM sensor_runs WHERE status = 'COMPLETED'${where} ORDER BY run_id LIMIT $limit`,
      { ...(filter.experimentId === undefined ? {} : { experiment: filter.experimentId }), limit: filter.limit ?? 1_000_000 },
    )
  ).getRowObjectsJS();
  const inputs: JudgeInput[] = [];
  for (const r of rows) {
    const runId = String(r.run_id);
    const ids = (r.retrieved_memory_ids as string[] | null) ?? [];
    const question = (await store.runAndReadAll(`SELECT text FROM messages WHERE run_id = $run AND role = 'user' LIMIT 1`, { run: runId })).getRowObjectsJS()[0];
    const memories = new Map<string, { memory_id: string; text: string; fact_keys: string[] }>();
    const found = await store.runAndReadAll('SELECT memory_id, text, fact_keys FROM memories WHERE list_contains($ids, memory_id)', { ids: listValue(ids) }, { ids: LIST(VARCHAR) });
    for (const m of found.getRowObjectsJS()) {
      memories.set(String(m.memory_id), { memory_id: String(m.memory_id), text: String(m.text), fact_keys: (m.fact_keys as string[] | null) ?? [] });
    }
    inputs.push({
      run_id: runId,
      question: question ? String(question.text) : '',
      answer: r.answer === null ? null : String(r.answer),
      retrieved: ids.flatMap((id) => (memories.has(id) ? [memories.get(id)!] : [])),
      memories_used: Number(r.memories_used),
      golden_fact_keys: (r.golden_fact_keys as string[] | null) ?? [],
      golden_answer: r.golden_answer === null ? null : String(r.golden_answer),
    });
  }
  return inputs;
}
