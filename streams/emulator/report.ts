/** What a run of the emulator hands back (and writes as JSON): totals, planted facts, questions with verdicts, transcripts. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ChatRequest, RunStatus } from '../../operators/maas/types.ts';
import type { AnswerOutcome, Turn, TurnKind } from './dialogue.ts';

/** A fact stated to the MaaS in a run that completed (a failed run stored nothing to remember). */
export interface PlantedFact {
  user_id: string;
  thread_id: string;
  fact_key: string;
  value: string;
  /** Turn index in the thread. */
  turn: number;
  message_id: string;
  run_id: string;
  kind: 'plant' | 'replant';
}

export interface QuestionRecord {
  /** Null when the chat call itself threw (no run was created). */
  run_id: string | null;
  user_id: string;
  thread_id: string;
  turn: number;
  message_id: string;
  kind: 'ask' | 'related' | 'reask';
  golden_facts: string[];
  golden_answer: string;
  answer: string | null;
  /** Whether the golden answer appears in the answer (whole words, case and punctuation ignored). */
  correct: boolean;
  outcome: AnswerOutcome;
  /** Asked about a fact planted in an earlier thread of the same user. */
  cross_thread: boolean;
  /** Whether a run that planted this fact for this user had completed before the question (false: the golden answer cannot be expected). */
  planted_before: boolean;
}

export interface TranscriptEntry {
  turn: number;
  kind: TurnKind;
  request: ChatRequest;
  run_id: string | null;
  status: RunStatus;
  answer: string | null;
  error?: string;
  outcome: AnswerOutcome;
}

export interface ThreadSummary {
  index: number;
  thread_id: string;
  user_id: string;
  persona_id: string;
  scenario_id: string;
  /** 0 for the user's first thread. */
  ordinal: number;
  planned_turns: number;
  turns: number;
  /** Turns added because of an answer (related, replant, reask, retry). */
  follow_ups: number;
  failed_runs: number;
  transcript: TranscriptEntry[];
}

export interface EmulatorReport {
  seed: number;
  label: string;
  personas_file: string;
  scenarios_file: string;
  dialogues: number;
  users: number;
  turns: number;
  /** Calls made to `chat` (one per turn: a retry is its own turn). */
  requests: number;
  /** Runs that answered FAILED plus calls that threw. */
  failed_runs: number;
  aborted: boolean;
  questions_total: number;
  questions_correct: number;
  /** correct / questions_total (0 when there were none). */
  accuracy: number;
  /** Share of completed question runs that did not answer "I don't know" (watch it beside accuracy: Goodhart). */
  answer_rate: number;
  planted: PlantedFact[];
  questions: QuestionRecord[];
  threads: ThreadSummary[];
  elapsed_ms: number;
}

/** Collects one thread's turns as they complete. */
export class ThreadLog {
  readonly transcript: TranscriptEntry[] = [];
  readonly planted: PlantedFact[] = [];
  readonly questions: QuestionRecord[] = [];
  failedRuns = 0;
  followUps = 0;

  constructor(
    /** Whether a completed run has planted (user, fact key) — shared by a user's threads, which run one after another. */
    private readonly userPlanted: Set<string>,
  ) {}

  add(turn: Turn, result: { run_id: string | null; status: RunStatus; answer: string | null; error?: string }, outcome: AnswerOutcome): void {
    const { request } = turn;
    this.transcript.push({ turn: turn.index, kind: turn.kind, request, run_id: result.run_id, status: result.status, answer: result.answer, ...(result.error !== undefined ? { error: result.error } : {}), outcome });
    if (outcome === 'failed') this.failedRuns++;
    if (!['opening', 'filler', 'plant', 'ask'].includes(turn.kind)) this.followUps++;
    const base = turn.kind === 'retry' ? turn.retry_of : turn.kind;
    const fact = turn.fact;
    if (!fact) return;
    if ((base === 'plant' || base === 'replant') && result.status === 'COMPLETED' && result.run_id !== null) {
      this.planted.push({ user_id: request.user_id, thread_id: request.thread_id, fact_key: fact.key, value: fact.value, turn: turn.index, message_id: request.message_id ?? '', run_id: result.run_id, kind: base });
      this.userPlanted.add(fact.key);
    } else if (base === 'ask' || base === 'related' || base === 'reask') {
      this.questions.push({
        run_id: result.run_id,
        user_id: request.user_id,
        thread_id: request.thread_id,
        turn: turn.index,
        message_id: request.message_id ?? '',
        kind: base,
        golden_facts: [fact.key],
        golden_answer: fact.value,
        answer: result.answer,
        correct: outcome === 'correct',
        outcome,
        cross_thread: turn.cross_thread,
        planted_before: this.userPlanted.has(fact.key),
      });
    }
  }
}

export async function writeReport(file: string, report: EmulatorReport): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(report, null, 2) + '\n');
}
