/**
 * The synthetic world's response surface: how each impact factor moves what
 * the sensor would record, in closed form (expected metrics) and as seeded
 * per-run draws that follow it. docs/CONTROL.md states every formula. The
 * shape is made to look like the real MaaS (more memories: recall up,
 * precision and utilisation down, cost and latency up; a relevance/recency
 * mix with an interior optimum; a strict prompt trades answers for fewer
 * hallucinations; huge contexts overflow) with interactions between
 * factors, so no factor can be tuned alone.
 */
import { SYSTEM_PROMPTS } from '../../models/builtin/responder.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import type { MetricName } from '../teacher/catalogue.ts';

/** Tokens one memory takes in the context: the budget cuts top_k to floor(budget / this). */
export const MEMORY_TOKENS = 64;
/** Share of runs that are questions with a known golden fact (the rest state facts). */
export const QUESTION_SHARE = 0.5;
const LATENCY_SIGMA = 0.3;
const Z95 = 1.6448536269514722;

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** The latent quantities of a parameter version, from which every metric follows. */
export interface Latents {
  /** Memories that reach the context. */
  kEff: number;
  /** Ranking quality of the relevance/recency mix, 0..1. */
  rankQ: number;
  /** Keyword quality, 0..1. */
  kwQ: number;
  /** Chance the golden memory was stored at all (Archivist). */
  stored: number;
  /** Chance the golden memory is among the retrieved ones. */
  pHit: number;
  /** Chance each other retrieved slot holds a non-golden fact. */
  pDistractor: number;
  /** Expected share of retrieved memories the answer uses. */
  pUse: number;
  /** Answer outcome chances on a hit and on a miss (completed question runs). */
  onHit: Outcomes;
  onMiss: Outcomes;
  pError: number;
  promptTokens: number;
  completionTokens: number;
  /** Median latency (ms) of a completed run; latencies are lognormal with σ = 0.3. */
  latencyMedian: number;
}

export interface Outcomes { correct: number; unknown: number; wrong: number }

export function latents(p: MaasParams): Latents {
  const kEff = Math.max(1, Math.min(p.top_k, Math.floor(p.token_budget / MEMORY_TOKENS)));
  const mix = p.relevance_weight + p.recency_weight;
  const share = mix === 0 ? 0.5 : p.relevance_weight / mix;
  const rankQ = clamp(1 - 2.2 * (share - 0.7) ** 2, 0.05, 1);
  const kwQ = clamp(1 - ((p.keyword_count - 7) / 9) ** 2, 0.1, 1);
  const perMessage = p.archivist_max_per_message === 0 ? 0 : Math.min(1, 0.55 + 0.15 * p.archivist_max_per_message);
  const stored = perMessage * (p.archivist_min_importance <= 0.5 ? 1 : Math.max(0, 1 - 1.8 * (p.archivist_min_importance - 0.5)));
  const pHit = stored * (1 - Math.exp(-0.9 * kEff * rankQ * kwQ));
  const junk = 0.12 + 0.25 * (1 - p.archivist_min_importance) * Math.min(1, p.archivist_max_per_message / 3);
  const pDistractor = clamp(junk * (1.3 - 0.6 * rankQ), 0, 1);
  const pUse = clamp(rankQ * kwQ * (0.95 - 0.04 * (kEff - 1)), 0.02, 1);
  const strict = (SYSTEM_PROMPTS[p.system_prompt_version]?.minOverlap ?? 0.3) >= 0.5;
  // temperature turns some answers into hallucinations
  const heat = clamp(0.15 * p.temperature, 0, 0.5);
  const drift = (o: Outcomes): Outcomes => ({ correct: o.correct * (1 - heat), unknown: o.unknown * (1 - heat), wrong: o.wrong + (o.correct + o.unknown) * heat });
  const onHit = drift(strict ? { correct: 0.88, unknown: 0.12, wrong: 0 } : { correct: 0.95, unknown: 0, wrong: 0.05 });
  const onMiss = drift(strict ? { correct: 0, unknown: 0.9, wrong: 0.1 } : { correct: 0, unknown: 0.45, wrong: 0.55 });
  const pError = clamp(0.003 + 0.06 * Math.max(0, (p.token_budget - 3072) / 5120) + 0.01 * Math.max(0, p.temperature - 1), 0, 1);
  const promptTokens = 90 + MEMORY_TOKENS * kEff + 3 * p.keyword_count;
  const completionTokens = (strict ? 16 : 28) + Math.round(4 * p.temperature);
  const latencyMedian = 150 + 22 * kEff + 0.35 * promptTokens + 6 * p.keyword_count + (strict ? 0 : 40);
  return { kEff, rankQ, kwQ, stored, pHit, pDistractor, pUse, onHit, onMiss, pError, promptTokens, completionTokens, latencyMedian };
}

/** Binomial(n, p) probabilities of 0..n. */
function binomial(n: number, p: number): number[] {
  const out: number[] = [];
  let c = 1;
  for (let k = 0; k <= n; k++) {
    out.push(c * p ** k * (1 - p) ** (n - k));
    c = (c * (n - k)) / (k + 1);
  }
  return out;
}

/** Every metric of the Teacher's catalogue, as its expectation under the surface (what infinitely many runs would give). */
export function expectedMetrics(p: MaasParams): Record<MetricName, number> {
  const l = latents(p);
  // precision: hit / (hit + distractors) on the retrieved keys (0 when no key at all)
  const others = binomial(l.kEff - 1, l.pDistractor).reduce((s, pk, d) => s + pk / (1 + d), 0);
  const answerOf = (key: keyof Outcomes): number => l.pHit * l.onHit[key] + (1 - l.pHit) * l.onMiss[key];
  return {
    precision_at_k: l.pHit * others,
    recall_at_k: l.pHit,
    context_utilisation: l.pUse,
    answer_rate: 1 - answerOf('unknown'),
    hallucination_rate: answerOf('wrong'),
    correct_rate: answerOf('correct'),
    latency_p50_ms: l.latencyMedian,
    latency_p95_ms: l.latencyMedian * Math.exp(Z95 * LATENCY_SIGMA),
    tokens_per_run: l.promptTokens + l.completionTokens,
    error_rate: l.pError,
  };
}

/** What one simulated run recorded: the fields of a sensor row the surface decides. */
export interface RunDraw {
  question: boolean;
  failed: boolean;
  hit: boolean;
  distractors: number;
  used: number;
  outcome: keyof Outcomes | null;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
}

/** One run drawn from the surface with `u` (uniform [0, 1) draws of a seeded generator). */
export function drawRun(l: Latents, u: () => number): RunDraw {
  const question = u() < QUESTION_SHARE;
  const failed = u() < l.pError;
  const hit = question && !failed && u() < l.pHit;
  let distractors = 0;
  for (let i = hit ? 1 : 0; i < l.kEff; i++) if (u() < l.pDistractor) distractors++;
  let used = 0;
  for (let i = 0; i < l.kEff; i++) if (u() < l.pUse) used++;
  let outcome: RunDraw['outcome'] = null;
  if (question && !failed) {
    const o = hit ? l.onHit : l.onMiss;
    const x = u();
    outcome = x < o.correct ? 'correct' : x < o.correct + o.unknown ? 'unknown' : 'wrong';
  }
  // lognormal latency by Box-Muller
  const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return {
    question,
    failed,
    hit,
    distractors,
    used,
    outcome,
    latencyMs: Math.round(l.latencyMedian * Math.exp(LATENCY_SIGMA * z)),
    promptTokens: l.promptTokens,
    completionTokens: l.completionTokens,
  };
}
