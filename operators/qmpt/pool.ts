/**
 * A piscina pool for the QMPT toolkit, with two kinds of task:
 * - its `executor` runs the chunk tasks of a density fit
 *   (qmpt/metrics/density/executor.ts) in worker threads: `open` copies X once
 *   into a SharedArrayBuffer (or uses it as it is when it already lives in
 *   one) that every task reads, each `map` spreads the chunks over the
 *   workers in contiguous ranges, and the results come back in chunk order;
 * - `scoreRows` scores the rows of X with a fitted anomaly estimator
 *   (AnomalyEstimator.batchScore on contiguous row ranges). Each worker keeps
 *   the estimator by the model's key: a task first goes without the state
 *   and is sent again with it only when its worker answers that it lacks the
 *   model (once per worker and model).
 * The workers run the same code on the same numbers, so a fit and the scores
 * are bit-identical (===) to the main thread's for any number of threads.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import { MaasflowError } from '../../engine/errors.ts';
import { chunkCount, type ChunkExecutor, type ChunkInput, type ChunkSession } from '../../qmpt/metrics/density/executor.ts';
import type { ChunkParams, ChunkTaskName } from '../../qmpt/metrics/density/tasks.ts';
import type { AnomalyState } from '../../qmpt/metrics/anomaly.ts';
import type { Matrix } from '../../qmpt/types.ts';
import { badArgument } from '../stats/check.ts';
import type { ChunkJob, Envelope, RowScores, ScoreJob, ScoreReply } from './worker.ts';

export type { RowScores };

/** A fitted anomaly model as the pool's workers know it: `key` must name one state for the pool's lifetime. */
export interface PooledModel {
  key: string;
  state: AnomalyState;
}

/** Fewer rows than this per task cost more in the round trip (~50-100 µs) than the scoring saves. */
const MIN_SCORE_ROWS = 256;

export interface QmptPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
}

export interface QmptPool {
  readonly threads: number;
  /** Runs density-fit chunks in the workers; pass it as `executor` to fitDensity / fitGmm. */
  readonly executor: ChunkExecutor;
  /** Â and its components of every row of X (X.cols = the model's dim), === AnomalyEstimator.batchScore on the main thread. */
  scoreRows(model: PooledModel, X: Matrix): Promise<RowScores>;
  close(): Promise<void>;
}

/** A plain-JS entry that registers tsx in the worker thread, then imports worker.ts (see worker-entry.mjs). */
const WORKER = new URL('./worker-entry.mjs', import.meta.url).href;

export function createQmptPool(options: QmptPoolOptions = {}): QmptPool {
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw badArgument('createQmptPool', 'threads', `= ${String(threads)} must be an integer in 1..256`);
  const piscina = new Piscina({ filename: WORKER, minThreads: threads, maxThreads: threads, idleTimeout: 30_000 });
  let closed = false;

  async function call<T>(name: string, task: unknown): Promise<T> {
    if (closed) throw new MaasflowError('RUNTIME', `qmpt pool: ${name} called after close()`);
    const reply = (await piscina.run(task, { name })) as Envelope<T>;
    if (reply.ok) return reply.value;
    const { error } = reply;
    if (error.code === null) throw new MaasflowError('RUNTIME', `qmpt worker (${name}): ${error.message}`);
    throw new MaasflowError(error.code, error.message, { location: error.path === undefined ? {} : { path: error.path } });
  }

  const executor: ChunkExecutor = {
    threads,
    open(X: Matrix): ChunkSession {
      if (closed) throw new MaasflowError('RUNTIME', 'qmpt pool: executor.open called after close()');
      const input: ChunkInput = { data: shared(X.data), rows: X.rows, cols: X.cols, labels: new Int32Array(new SharedArrayBuffer(X.rows * Int32Array.BYTES_PER_ELEMENT)) };
      const chunks = chunkCount(X.rows);
      let open = true;
      return {
        rows: X.rows,
        cols: X.cols,
        chunks,
        async map<N extends ChunkTaskName>(name: N, params: ChunkParams<N>): Promise<Float64Array[]> {
          if (!open) throw new MaasflowError('RUNTIME', `qmpt pool: map("${name}") on a closed session`);
          const groups = Math.min(threads, chunks);
          const runs: Promise<Float64Array[]>[] = [];
          for (let g = 0; g < groups; g++) {
            const job: ChunkJob<N> = { name, input, fromChunk: Math.floor((chunks * g) / groups), toChunk: Math.floor((chunks * (g + 1)) / groups), params };
            runs.push(call<Float64Array[]>('chunks', job));
          }
          return (await Promise.all(runs)).flat();
        },
        close() {
          open = false;
        },
      };
    },
  };

  /** Rows [from, to) of X by one worker: without the state first, with it if that worker lacks the model. */
  async function scoreRange(model: PooledModel, data: Float64Array, X: Matrix, from: number, to: number): Promise<RowScores> {
    const job: ScoreJob = { key: model.key, data, rows: X.rows, cols: X.cols, from, to };
    const first = await call<ScoreReply>('scoreChunk', job);
    if (!first.missing) return first.scores;
    const second = await call<ScoreReply>('scoreChunk', { ...job, state: model.state });
    if (second.missing) throw new MaasflowError('RUNTIME', `qmpt pool: a worker lacks model ${model.key} though its state was sent`);
    return second.scores;
  }

  async function scoreRows(model: PooledModel, X: Matrix): Promise<RowScores> {
    const data = shared(X.data.subarray(0, X.rows * X.cols));
    const groups = Math.max(1, Math.min(threads, Math.floor(X.rows / MIN_SCORE_ROWS)));
    const parts: Promise<RowScores>[] = [];
    for (let g = 0; g < groups; g++) parts.push(scoreRange(model, data, X, Math.floor((X.rows * g) / groups), Math.floor((X.rows * (g + 1)) / groups)));
    const done = await Promise.all(parts);
    if (done.length === 1) return done[0]!;
    const column = (name: keyof RowScores): Float64Array => {
      const out = new Float64Array(X.rows);
      let at = 0;
      for (const part of done) {
        out.set(part[name], at);
        at += part[name].length;
      }
      return out;
    };
    return { anomaly: column('anomaly'), rarity: column('rarity'), distance: column('distance'), isolation: column('isolation') };
  }

  return {
    threads,
    executor,
    scoreRows,
    async close() {
      if (closed) return;
      closed = true;
      await piscina.close();
    },
  };
}

/** `data` itself when it lives in shared memory, else one copy into a SharedArrayBuffer. */
function shared(data: Float64Array): Float64Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const copy = new Float64Array(new SharedArrayBuffer(data.byteLength));
  copy.set(data);
  return copy;
}
