/**
 * Runs a batch of synthetic dialogues through the MaaS entry point it is
 * given (`chat`: HTTP or the requests topic, as for a real client).
 *
 * Concurrency is across users: a user's threads run one after another (a
 * person holds one conversation at a time, and a later thread may ask what an
 * earlier one planted), while up to `concurrency` users talk at once. Each
 * thread's requests depend only on (seed, thread index, its own answers), so
 * the report is the same for any concurrency and any response timing, given a
 * MaaS that answers a user the same way.
 */
import type { ChatRequest, ChatResponse } from '../../operators/maas/types.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { DEFAULT_PERSONAS_FILE, DEFAULT_SCENARIOS_FILE, loadPersonas, loadScenarios, type PersonasConfig, type ScenariosConfig } from './config.ts';
import { Dialogue, type AnswerOutcome, type RequestTags, type Turn } from './dialogue.ts';
import { planRun, type ThreadPlan } from './plan.ts';
import { ThreadLog, writeReport, type EmulatorReport, type ThreadSummary } from './report.ts';

export type ChatFn = (request: ChatRequest) => Promise<ChatResponse>;

export interface TurnEvent {
  thread_id: string;
  turn: Turn;
  response: ChatResponse | undefined;
  error: string | undefined;
  outcome: AnswerOutcome;
}

export interface EmulatorOptions {
  seed: number;
  dialogues: number;
  chat: ChatFn;
  /** Default: config/sim_personas.json. */
  personasFile?: string;
  /** Default: config/sim_scenarios.json. */
  scenariosFile?: string;
  /** Already-loaded configs (take precedence over the files). */
  personas?: PersonasConfig;
  scenarios?: ScenariosConfig;
  /** Users talking at once (default 8). */
  concurrency?: number;
  /** Threads per synthetic user (default 3): facts planted in one are asked in the next. */
  threadsPerUser?: number;
  /** Goes into every user and thread id (default `s<seed>`); give each run against one MaaS its own. */
  label?: string;
  /** Copied onto every request. */
  tags?: RequestTags;
  /** Where to write the report as JSON. */
  reportPath?: string;
  /** Stops starting new turns; the report says `aborted`. */
  signal?: AbortSignal;
  /** Called after every turn (progress for the Manager, logs). */
  onTurn?: (event: TurnEvent) => void;
}

export async function runEmulator(options: EmulatorOptions): Promise<EmulatorReport> {
  const started = performance.now();
  const concurrency = options.concurrency ?? 8;
  const threadsPerUser = options.threadsPerUser ?? 3;
  checkInteger('seed', options.seed, -(2 ** 31), 2 ** 32 - 1);
  checkInteger('dialogues', options.dialogues, 0, 1_000_000);
  checkInteger('concurrency', concurrency, 1, 10_000);
  checkInteger('threadsPerUser', threadsPerUser, 1, 1_000);
  const personas = options.personas ?? loadPersonas(options.personasFile ?? DEFAULT_PERSONAS_FILE);
  const scenarios = options.scenarios ?? loadScenarios(options.scenariosFile ?? DEFAULT_SCENARIOS_FILE);
  const label = options.label ?? `s${options.seed}`;
  const plan = planRun({ seed: options.seed, dialogues: options.dialogues, threadsPerUser, personas: personas.personas, scenarios: scenarios.scenarios, label });
  const tags = definedOnly(options.tags ?? {});

  const summaries: (ThreadSummary | undefined)[] = new Array(plan.threads.length);
  const logs: (ThreadLog | undefined)[] = new Array(plan.threads.length);
  let aborted = false;
  const runThread = async (thread: ThreadPlan, userPlanted: Set<string>): Promise<void> => {
    const dialogue = new Dialogue(thread, { unknownMarkers: scenarios.unknown_markers, tags });
    const log = new ThreadLog(userPlanted);
    logs[thread.index] = log;
    for (let turn = dialogue.next(); turn; turn = dialogue.next()) {
      if (options.signal?.aborted) {
        aborted = true;
        break;
      }
      let response: ChatResponse | undefined;
      let error: string | undefined;
      try {
        response = await options.chat(turn.request);
      } catch (err) {
        // The MaaS being unreachable is a result to report (a failed run), not a reason to stop the other dialogues.
        error = err instanceof Error ? err.message : String(err);
      }
      const status = response?.status ?? 'FAILED';
      const answer = response?.answer ?? null;
      const outcome = dialogue.observe({ status, answer });
      log.add(turn, { run_id: response?.run_id ?? null, status, answer, ...((error ?? response?.error) !== undefined ? { error: error ?? response?.error } : {}) }, outcome);
      options.onTurn?.({ thread_id: thread.thread_id, turn, response, error, outcome });
    }
    summaries[thread.index] = {
      index: thread.index,
      thread_id: thread.thread_id,
      user_id: thread.user.user_id,
      persona_id: thread.user.persona.id,
      scenario_id: thread.scenario.id,
      ordinal: thread.ordinal,
      planned_turns: thread.items.length,
      turns: log.transcript.length,
      follow_ups: log.followUps,
      failed_runs: log.failedRuns,
      transcript: log.transcript,
    };
  };

  let nextUser = 0;
  const worker = async (): Promise<void> => {
    while (nextUser < plan.chains.length && !aborted) {
      const chain = plan.chains[nextUser++]!;
      const userPlanted = new Set<string>();
      for (const i of chain) {
        if (aborted || options.signal?.aborted) break;
        await runThread(plan.threads[i]!, userPlanted);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plan.chains.length) }, worker));
  if (options.signal?.aborted) aborted = true;

  // Thread order, not completion order: the report is deterministic.
  const ran = logs.flatMap((l, i) => (l && summaries[i] ? [{ log: l, summary: summaries[i]! }] : []));
  const questions = ran.flatMap((r) => r.log.questions);
  const correct = questions.filter((q) => q.correct).length;
  const completedQuestions = questions.filter((q) => q.outcome !== 'failed');
  const turns = ran.reduce((n, r) => n + r.log.transcript.length, 0);
  const report: EmulatorReport = {
    seed: options.seed,
    label,
    personas_file: personas.file,
    scenarios_file: scenarios.file,
    dialogues: ran.length,
    users: new Set(ran.map((r) => r.summary.user_id)).size,
    turns,
    requests: turns,
    failed_runs: ran.reduce((n, r) => n + r.log.failedRuns, 0),
    aborted,
    questions_total: questions.length,
    questions_correct: correct,
    accuracy: questions.length === 0 ? 0 : correct / questions.length,
    answer_rate: completedQuestions.length === 0 ? 0 : completedQuestions.filter((q) => q.outcome !== 'unknown').length / completedQuestions.length,
    planted: ran.flatMap((r) => r.log.planted),
    questions,
    threads: ran.map((r) => r.summary),
    elapsed_ms: Math.round(performance.now() - started),
  };
  if (options.reportPath) await writeReport(options.reportPath, report);
  return report;
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new MaasflowError('CONFIG', `emulator option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
}

function definedOnly(tags: RequestTags): RequestTags {
  return Object.fromEntries(Object.entries(tags).filter(([, v]) => v !== undefined)) as RequestTags;
}
