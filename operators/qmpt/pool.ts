/**
 * A piscina pool for the QMPT toolkit. Its `executor` runs the chunk tasks of
 * a density fit (qmpt/metrics/density/executor.ts) in worker threads: `open`
 * copies X once into a SharedArrayBuffer (or uses it as it is when it already
 * lives in one) that every task reads, each `map` spreads the chunks over the
 * workers in contiguous ranges, and the results come back in chunk order.
 * The workers run the same kernels on the same numbers, so a fit is
 * bit-identical (===) to the main thread's for any number of threads.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import { MaasflowError } from '../../engine/errors.ts';
import { chunkCount, type ChunkExecutor, type ChunkInput, type ChunkSession } from '../../qmpt/metrics/density/executor.ts';
import type { ChunkParams, ChunkTaskName } from '../../qmpt/metrics/density/tasks.ts';
import type { Matrix } from '../../qmpt/types.ts';
import { badArgument } from '../stats/check.ts';
import type { ChunkJob, Envelope } from './worker.ts';

export interface QmptPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
}

export interface QmptPool {
  readonly threads: number;
  /** Runs density-fit chunks in the workers; pass it as `executor` to fitDensity / fitGmm. */
  readonly executor: ChunkExecutor;
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

  return {
    threads,
    executor,
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
