import { durationSchema, parseDuration, type Duration } from '../../engine/duration.ts';
import { MaasflowError } from '../../engine/errors.ts';
import type { Output } from '../../engine/operator.ts';
import { defineOperator } from '../definition.ts';
import type { PipelineRunEvent, PipelineState } from '../maas/events.ts';

export type { PipelineRunEvent, PipelineState };

/** One row of `sensor_runs`: a finished run (docs/SENSOR.md describes every column). */
export interface SensorRow {
  run_id: string;
  thread_id: string;
  user_id: string;
  client_type: string;
  param_version: string;
  experiment_id: string | null;
  variant: string | null;
  cycle_type: string | null;
  started_at: number | null;
  ended_at: number;
  latency_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  memories_found: number;
  memories_retrieved: number;
  memories_used: number;
  retrieved_memory_ids: string[];
  retrieved_fact_keys: string[];
  golden_fact_keys: string[];
  golden_answer: string | null;
  answer: string | null;
  status: 'COMPLETED' | 'FAILED';
  error: string | null;
  attempts: number;
  transitions: number;
}

/** The DuckDB columns of `sensor_runs`, in table order (the topology file and the benchmark declare the same). */
export const SENSOR_COLUMNS: Readonly<Record<keyof SensorRow, string>> = {
  run_id: 'VARCHAR',
  thread_id: 'VARCHAR',
  user_id: 'VARCHAR',
  client_type: 'VARCHAR',
  param_version: 'VARCHAR',
  experiment_id: 'VARCHAR',
  variant: 'VARCHAR',
  cycle_type: 'VARCHAR',
  started_at: 'TIMESTAMP',
  ended_at: 'TIMESTAMP',
  latency_ms: 'BIGINT',
  prompt_tokens: 'INTEGER',
  completion_tokens: 'INTEGER',
  memories_found: 'INTEGER',
  memories_retrieved: 'INTEGER',
  memories_used: 'INTEGER',
  retrieved_memory_ids: 'VARCHAR[]',
  retrieved_fact_keys: 'VARCHAR[]',
  golden_fact_keys: 'VARCHAR[]',
  golden_answer: 'VARCHAR',
  answer: 'VARCHAR',
  status: 'VARCHAR',
  error: 'VARCHAR',
  attempts: 'INTEGER',
  transitions: 'INTEGER',
};

/**
 * The fold of one open run. Every field is order-independent (sums, maxima,
 * or "the value of the highest seq that carries one"), so events of a run may
 * arrive in any order and the row is the same. Flat plain data: it is
 * checkpointed with the operator's state, and one shape keeps the hot path
 * monomorphic.
 */
interface RunFold {
  /** Distinct seqs folded so far: a repeated seq (an upstream replay) is skipped, so nothing counts twice. */
  seqs: number[];
  /** Identity fields come from the lowest seq seen (NEW once it arrived). */
  identitySeq: number;
  threadId: string;
  userId: string;
  clientType: string;
  paramVersion: string;
  experimentId: string | null;
  variant: string | null;
  cycleType: string | null;
  startedAt: number | null;
  promptTokens: number;
  completionTokens: number;
  memoriesFound: number;
  memoriesRetrieved: number;
  memoriesUsed: number;
  maxAttempt: number;
  // Carried fields: an event carries one when its value is non-empty; the highest seq that does wins (-1: none yet).
  retrievedIdsSeq: number;
  retrievedIds: string[];
  retrievedFactsSeq: number;
  retrievedFacts: string[];
  goldenFactsSeq: number;
  goldenFacts: string[];
  goldenAnswerSeq: number;
  goldenAnswer: string | null;
  answerSeq: number;
  answer: string | null;
  /** seq of the terminal event; -1 while the run is open. */
  terminalSeq: number;
  status: 'COMPLETED' | 'FAILED';
  endedAt: number;
  /** The terminal record's event time: what watermarks are compared with (`at` in the sensor topology). */
  endTime: number;
  reason: string | null;
}

const STATES = new Set<string>(['NEW', 'ANALYZING', 'ANALYZED', 'ASSEMBLING', 'READY', 'RESPONDING', 'COMPLETED', 'FAILED']);

interface SensorParams {
  /**
   * How long (event time, past the watermark) a finished run's id is remembered,
   * so that events of it that arrive again (a producer replay) are dropped
   * instead of opening a second, partial run that would overwrite its row.
   */
  finishedRetention?: Duration;
}

/**
 * sensor: taps `pipeline_runs` (one event per state transition, keyed by
 * run_id) and emits ONE row per finished run when its terminal event
 * (COMPLETED or FAILED) has been folded together with every earlier
 * transition; the run's state is deleted then. It measures, never judges:
 * no metric beyond sums, maxima and timestamps is computed here (the
 * Teacher does that over the table).
 *
 * - Keys by `value.run_id` itself, so an unkeyed input works too; rows are
 *   keyed by run_id, at the terminal record's event time (`ended_at` with
 *   the shipped topology's `eventTime: value.at`).
 * - A repeated (run_id, seq) is folded once.
 * - Completeness: a terminal event with seq n means the run has n + 1
 *   transitions. Until all of them arrived the run waits ("pending"); once
 *   the watermark passes the terminal's time, no earlier transition can still
 *   arrive on time, so the row is emitted with what was seen (a run whose
 *   NEW never arrived has started_at and latency_ms null). The output
 *   watermark is held at the oldest pending terminal so those rows are not
 *   late downstream.
 * - After its row, a run id is remembered for `finishedRetention` (default
 *   10m of event time) and any event of it is dropped and counted in
 *   `sensor_events_after_end`.
 * - Runs that never end stay in state (no timeout yet; docs/SENSOR.md).
 */
export const sensorOperator = defineOperator<SensorParams>({
  type: 'sensor',
  summary: 'MaaS sensor: folds pipeline-run transitions into one row per finished run',
  paramsSchema: { type: 'object', additionalProperties: false, properties: { finishedRetention: durationSchema } },
  keyEffect: 'sets',
  describe: () => ({ keyBy: 'value.run_id', notes: 'one row per finished run (COMPLETED/FAILED)' }),
  create(p, ctx) {
    const retention = parseDuration(p.finishedRetention ?? '10m', `sensor "${ctx.id}" finishedRetention`);
    const runs = ctx.store<string, RunFold>('runs');
    /** run_id -> terminal event time of runs whose terminal arrived before some earlier transition. */
    const pending = ctx.store<string, number>('pending');
    /** run_id -> terminal event time of runs already emitted, in emission order. */
    const finished = ctx.store<string, number>('finished');
    const afterEnd = ctx.counter('sensor_events_after_end', 'events of runs whose row was already emitted (replays, stragglers), dropped');
    const duplicates = ctx.counter('sensor_duplicate_events', 'events whose (run_id, seq) was already folded, skipped');
    const incomplete = ctx.counter('sensor_incomplete_runs', 'rows emitted on the watermark with transitions missing');
    const where = `sensor "${ctx.id}"`;

    const emit = (runId: string, fold: RunFold, out: Output): void => {
      runs.delete(runId);
      if (pending.size > 0) pending.delete(runId);
      finished.set(runId, fold.endTime);
      out.push(toRow(runId, fold), fold.endTime, runId);
    };

    return {
      process(batch, _input, out, watermarkBefore) {
        const { values, timestamps } = batch;
        for (let i = 0; i < values.length; i++) {
          const e = checked(values[i], i, where);
          const runId = e.run_id;
          let fold = runs.get(runId);
          if (fold === undefined) {
            // only a run that is not open can have finished: one lookup for most events
            if (finished.has(runId)) {
              afterEnd.inc();
              continue;
            }
            runs.set(runId, (fold = open(e)));
          } else if (fold.seqs.includes(e.seq)) {
            duplicates.inc();
            continue;
          }
          add(fold, e, timestamps[i]!);
          if (fold.terminalSeq < 0) continue;
          if (complete(fold)) emit(runId, fold, out);
          else if (fold.endTime < watermarkBefore) {
            // a late terminal: its missing transitions are at least as late, so waiting gains nothing
            incomplete.inc();
            emit(runId, fold, out);
          } else pending.set(runId, fold.endTime);
        }
      },

      onWatermark(watermark, out) {
        for (const [runId, time] of pending) {
          if (time >= watermark) continue;
          incomplete.inc();
          emit(runId, runs.get(runId)!, out);
        }
        // insertion order is emission order, close to ended_at order: stop at the first id still inside retention
        for (const [runId, time] of finished) {
          if (time + retention >= watermark) break;
          finished.delete(runId);
        }
      },

      outputWatermark(inputWatermark) {
        let wm = inputWatermark;
        for (const time of pending.values()) if (time < wm) wm = time;
        return wm;
      },
    };
  },
});

function open(e: PipelineRunEvent): RunFold {
  return {
    seqs: [],
    identitySeq: Infinity,
    threadId: e.thread_id,
    userId: e.user_id,
    clientType: e.client_type,
    paramVersion: e.param_version,
    experimentId: null,
    variant: null,
    cycleType: null,
    startedAt: null,
    promptTokens: 0,
    completionTokens: 0,
    memoriesFound: 0,
    memoriesRetrieved: 0,
    memoriesUsed: 0,
    maxAttempt: 0,
    retrievedIdsSeq: -1,
    retrievedIds: [],
    retrievedFactsSeq: -1,
    retrievedFacts: [],
    goldenFactsSeq: -1,
    goldenFacts: [],
    goldenAnswerSeq: -1,
    goldenAnswer: null,
    answerSeq: -1,
    answer: null,
    terminalSeq: -1,
    status: 'COMPLETED',
    endedAt: 0,
    endTime: 0,
    reason: null,
  };
}

/** Every transition up to the terminal's seq has been folded (seqs are distinct, so counting suffices). */
function complete(f: RunFold): boolean {
  const last = f.terminalSeq;
  let n = 0;
  for (const s of f.seqs) if (s <= last) n++;
  return n === last + 1;
}

function add(f: RunFold, e: PipelineRunEvent, time: number): void {
  const seq = e.seq;
  f.seqs.push(seq);
  if (seq < f.identitySeq) {
    f.identitySeq = seq;
    f.threadId = e.thread_id;
    f.userId = e.user_id;
    f.clientType = e.client_type;
    f.paramVersion = e.param_version;
    f.experimentId = e.experiment_id ?? null;
    f.variant = e.variant ?? null;
    f.cycleType = e.cycle_type ?? null;
  }
  if (e.state === 'NEW') f.startedAt = e.at;
  f.promptTokens += e.prompt_tokens ?? 0;
  f.completionTokens += e.completion_tokens ?? 0;
  if (e.memories_found > f.memoriesFound) f.memoriesFound = e.memories_found;
  if (e.memories_retrieved > f.memoriesRetrieved) f.memoriesRetrieved = e.memories_retrieved;
  if (e.memories_used > f.memoriesUsed) f.memoriesUsed = e.memories_used;
  if (e.attempt > f.maxAttempt) f.maxAttempt = e.attempt;
  if (seq > f.retrievedIdsSeq && e.retrieved_memory_ids?.length > 0) {
    f.retrievedIdsSeq = seq;
    f.retrievedIds = e.retrieved_memory_ids;
  }
  if (seq > f.retrievedFactsSeq && e.retrieved_fact_keys?.length > 0) {
    f.retrievedFactsSeq = seq;
    f.retrievedFacts = e.retrieved_fact_keys;
  }
  if (seq > f.goldenFactsSeq && e.golden_fact_keys?.length > 0) {
    f.goldenFactsSeq = seq;
    f.goldenFacts = e.golden_fact_keys;
  }
  if (seq > f.goldenAnswerSeq && typeof e.golden_answer === 'string' && e.golden_answer.length > 0) {
    f.goldenAnswerSeq = seq;
    f.goldenAnswer = e.golden_answer;
  }
  if (seq > f.answerSeq && typeof e.answer === 'string' && e.answer.length > 0) {
    f.answerSeq = seq;
    f.answer = e.answer;
  }
  // two terminals in one run break the protocol; the first one in seq order ends the run
  if ((e.state === 'COMPLETED' || e.state === 'FAILED') && (f.terminalSeq < 0 || seq < f.terminalSeq)) {
    f.terminalSeq = seq;
    f.status = e.state;
    f.endedAt = e.at;
    f.endTime = time;
    f.reason = e.reason ?? null;
  }
}

function toRow(runId: string, f: RunFold): SensorRow {
  return {
    run_id: runId,
    thread_id: f.threadId,
    user_id: f.userId,
    client_type: f.clientType,
    param_version: f.paramVersion,
    experiment_id: f.experimentId,
    variant: f.variant,
    cycle_type: f.cycleType,
    started_at: f.startedAt,
    ended_at: f.endedAt,
    latency_ms: f.startedAt === null ? null : f.endedAt - f.startedAt,
    prompt_tokens: f.promptTokens,
    completion_tokens: f.completionTokens,
    memories_found: f.memoriesFound,
    memories_retrieved: f.memoriesRetrieved,
    memories_used: f.memoriesUsed,
    retrieved_memory_ids: f.retrievedIds,
    retrieved_fact_keys: f.retrievedFacts,
    golden_fact_keys: f.goldenFacts,
    golden_answer: f.goldenAnswer,
    answer: f.answer,
    status: f.status,
    error: f.status === 'FAILED' ? f.reason : null,
    attempts: f.maxAttempt + 1,
    transitions: f.seqs.length,
  };
}

/** The fields the fold relies on. The source's Avro schema guarantees them; this guards json/object inputs. */
function checked(v: unknown, i: number, where: string): PipelineRunEvent {
  const e = v as Partial<PipelineRunEvent> | null;
  if (e === null || typeof e !== 'object') return invalid(where, i, v, 'not an object');
  if (typeof e.run_id !== 'string') return invalid(where, i, v, 'run_id is not a string');
  if (typeof e.seq !== 'number' || !Number.isInteger(e.seq) || e.seq < 0) return invalid(where, i, v, 'seq is not a non-negative integer');
  if (typeof e.state !== 'string' || !STATES.has(e.state)) return invalid(where, i, v, `state ${JSON.stringify(e.state)} is not a pipeline state`);
  if (typeof e.at !== 'number' || !Number.isFinite(e.at)) return invalid(where, i, v, 'at is not a number');
  return e as PipelineRunEvent;
}

function invalid(where: string, i: number, v: unknown, what: string): never {
  throw new MaasflowError('RECORD_VALIDATE', `${where}: record ${i} of the batch is not a maas.PipelineRunEvent: ${what} (got ${JSON.stringify(v)?.slice(0, 200)})`);
}
