/**
 * The piscina worker of operators/qmpt/pool.ts: one export per task kind.
 * `chunks` runs a chunk task of the density fit (qmpt/metrics/density/tasks.ts)
 * on a range of chunks of X, which arrives in shared memory (no copy).
 * `scoreChunk` scores a row range of X with a fitted anomaly estimator that
 * the worker keeps by key, so a model's state crosses the thread boundary
 * once per worker, not once per batch.
 * Results travel back in an envelope so that a MaasflowError keeps its code
 * (structured clone keeps only name and message). To add a task kind: export
 * a function here, re-export it from worker-entry.mjs, call it from pool.ts.
 */
import { MaasflowError, type ErrorCode } from '../../engine/errors.ts';
import { matrix } from '../../qmpt/matrix.ts';
import { AnomalyEstimator, type AnomalyState } from '../../qmpt/metrics/anomaly.ts';
import { runChunks, type ChunkInput } from '../../qmpt/metrics/density/executor.ts';
import type { ChunkParams, ChunkTaskName } from '../../qmpt/metrics/density/tasks.ts';

export interface ChunkJob<N extends ChunkTaskName = ChunkTaskName> {
  name: N;
  input: ChunkInput;
  fromChunk: number;
  toChunk: number;
  params: ChunkParams<N>;
}

/** Rows [from, to) of a rows×cols X in shared memory, scored by the estimator cached under `key`. */
export interface ScoreJob {
  /** Names one fitted model for the pool's lifetime (a new key per fit). */
  key: string;
  /** The model's state; left out on a first try, sent when the worker answers `missing`. */
  state?: AnomalyState;
  data: Float64Array;
  rows: number;
  cols: number;
  from: number;
  to: number;
}

/** Â and its components for a row range, as columns (AnomalyScores less the raw values). */
export interface RowScores {
  anomaly: Float64Array;
  rarity: Float64Array;
  distance: Float64Array;
  isolation: Float64Array;
}

export type ScoreReply = { missing: true } | { missing: false; scores: RowScores };

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string; path: string | undefined } | { code: null; message: string } };

export function envelope<T>(run: () => T): Envelope<T> {
  try {
    return { ok: true, value: run() };
  } catch (err) {
    if (err instanceof MaasflowError) return { ok: false, error: { code: err.code, message: err.message, path: err.location?.path } };
    return { ok: false, error: { code: null, message: err instanceof Error ? err.message : String(err) } };
  }
}

/** The chunks' results in chunk order (small arrays: structured clone is cheaper than bookkeeping transfers). */
export function chunks(job: ChunkJob): Envelope<Float64Array[]> {
  return envelope(() => runChunks(job.name, job.input, job.fromChunk, job.toChunk, job.params));
}

/** Estimators by key; a stream uses one model at a time, so two (the current and the one before) are plenty. */
const estimators = new Map<string, AnomalyEstimator>();
const CACHED_MODELS = 2;

export function scoreChunk(job: ScoreJob): Envelope<ScoreReply> {
  return envelope((): ScoreReply => {
    let estimator = estimators.get(job.key);
    if (!estimator) {
      if (job.state === undefined) return { missing: true };
      estimator = AnomalyEstimator.fromState(job.state);
      estimators.set(job.key, estimator);
      for (const old of estimators.keys()) if (estimators.size > CACHED_MODELS) estimators.delete(old);
    }
    const s = estimator.batchScore(matrix(job.rows, job.cols, job.data), { from: job.from, to: job.to });
    return { missing: false, scores: { anomaly: s.anomaly, rarity: s.rarity, distance: s.distance, isolation: s.isolation } };
  });
}
