/**
 * The piscina worker of operators/qmpt/pool.ts: one export per task kind.
 * `chunks` runs a chunk task of the density fit (qmpt/metrics/density/tasks.ts)
 * on a range of chunks of X, which arrives in shared memory (no copy).
 * Results travel back in an envelope so that a MaasflowError keeps its code
 * (structured clone keeps only name and message). To add a task kind: export
 * a function here, re-export it from worker-entry.mjs, call it from pool.ts.
 */
import { MaasflowError, type ErrorCode } from '../../engine/errors.ts';
import { runChunks, type ChunkInput } from '../../qmpt/metrics/density/executor.ts';
import type { ChunkParams, ChunkTaskName } from '../../qmpt/metrics/density/tasks.ts';

export interface ChunkJob<N extends ChunkTaskName = ChunkTaskName> {
  name: N;
  input: ChunkInput;
  fromChunk: number;
  toChunk: number;
  params: ChunkParams<N>;
}

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
