/**
 * Where the per-chunk work of a fit runs (docs/QMPT.md §3.1). Every sum over
 * rows is split into fixed chunks of CHUNK_ROWS rows; a task computes one
 * partial result per chunk and the caller adds the partials in chunk order
 * (sumChunks). A chunk's result depends only on its rows and the task's
 * parameters, so the fit is bit-identical whether the chunks run inline on
 * the main thread (inlineExecutor) or spread over piscina workers
 * (operators/qmpt/pool.ts): the same kernel runs on the same numbers.
 */
import type { Matrix } from '../../types.ts';
import { CHUNK_TASKS, type ChunkParams, type ChunkTaskName } from './tasks.ts';

export const CHUNK_ROWS = 4096;

/** What a chunk kernel reads: the rows of a fit and a per-row label scratch (k-means assignments). */
export interface ChunkInput {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** One label per row, read and written by the k-means task; shared memory in the pool. */
  readonly labels: Int32Array;
}

/** A kernel computes the result of the chunk holding rows [from, to). */
export type ChunkKernel<P> = (input: ChunkInput, from: number, to: number, params: P) => Float64Array;

/** X made available to the tasks of one fit (in the pool: copied once into shared memory). */
export interface ChunkSession {
  readonly rows: number;
  readonly cols: number;
  readonly chunks: number;
  /** Runs task `name` on every chunk; the results in chunk order. */
  map<N extends ChunkTaskName>(name: N, params: ChunkParams<N>): Promise<Float64Array[]>;
  close(): void;
}

export interface ChunkExecutor {
  /** Threads the chunks are spread over (1 for the main thread). */
  readonly threads: number;
  open(X: Matrix): ChunkSession;
}

export function chunkCount(rows: number): number {
  return Math.ceil(rows / CHUNK_ROWS);
}

/** Runs task `name` on chunks [fromChunk, toChunk) of `input`: the body of the inline executor and of a pool worker's task. */
export function runChunks<N extends ChunkTaskName>(name: N, input: ChunkInput, fromChunk: number, toChunk: number, params: ChunkParams<N>): Float64Array[] {
  const kernel = CHUNK_TASKS[name] as ChunkKernel<ChunkParams<N>>;
  if (typeof kernel !== 'function') throw new RangeError(`runChunks: unknown task "${String(name)}"; known: ${Object.keys(CHUNK_TASKS).join(', ')}`);
  const out: Float64Array[] = [];
  for (let c = fromChunk; c < toChunk; c++) out.push(kernel(input, c * CHUNK_ROWS, Math.min(input.rows, (c + 1) * CHUNK_ROWS), params));
  return out;
}

/** The element-wise sum of equal-length partials, added in their order (((p₀ + p₁) + p₂) + ...). */
export function sumChunks(parts: readonly Float64Array[]): Float64Array {
  const total = new Float64Array(parts[0]?.length ?? 0);
  for (const part of parts) {
    if (part.length !== total.length) throw new RangeError(`sumChunks: a partial of ${part.length} values among partials of ${total.length}`);
    for (let i = 0; i < total.length; i++) total[i] += part[i]!;
  }
  return total;
}

/** Runs every chunk on the calling thread, over X as it is (no copy). */
export const inlineExecutor: ChunkExecutor = {
  threads: 1,
  open(X: Matrix): ChunkSession {
    const input: ChunkInput = { data: X.data, rows: X.rows, cols: X.cols, labels: new Int32Array(X.rows) };
    const chunks = chunkCount(X.rows);
    return {
      rows: X.rows,
      cols: X.cols,
      chunks,
      map: async (name, params) => runChunks(name, input, 0, chunks, params),
      close() {},
    };
  },
};
