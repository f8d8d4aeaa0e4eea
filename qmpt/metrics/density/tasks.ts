/**
 * The chunk tasks a ChunkExecutor runs, by name: a task is a pure function of
 * (rows of X, chunk bounds, structured-cloneable parameters), so the same
 * table serves the main thread and the pool's workers (operators/qmpt/worker.ts).
 * To add a task: write its kernel (a ChunkKernel) and list it here.
 */
import { emChunk } from './em-kernel.ts';
import { kmeansChunk } from './kmeans.ts';

export const CHUNK_TASKS = {
  /** E-step of a Gaussian mixture: log-likelihood sum and, on request, the M-step's sufficient statistics. */
  em: emChunk,
  /** k-means assignment to the nearest center: changes, inertia, counts, offset sums (and scatter for the GMM init). */
  kmeans: kmeansChunk,
};

export type ChunkTaskName = keyof typeof CHUNK_TASKS;
export type ChunkParams<N extends ChunkTaskName> = Parameters<(typeof CHUNK_TASKS)[N]>[3];
