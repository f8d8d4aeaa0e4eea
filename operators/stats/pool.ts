/**
 * A piscina pool running the statistics functions in worker threads
 * (operators/stats/worker.ts). Results are identical (===) to the main
 * thread's: the same code runs on the same numbers.
 *
 * Samples travel as Float64Arrays:
 *   - on a SharedArrayBuffer: passed as they are, no copy;
 *   - `transfer: true`: their buffers are moved to the worker (the caller's
 *     arrays are detached afterwards), no copy;
 *   - otherwise one copy is made (the caller keeps its arrays).
 * bootstrapDiff copies both samples once into a SharedArrayBuffer that every
 * task reads, spreads the chunks over the workers, and puts the returned
 * differences back in chunk order, so the result is bit-identical to
 * bootstrapDiff on the main thread for any number of threads.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import { MaasflowError } from '../../engine/errors.ts';
import { planBootstrap, summarizeBootstrap, type BootstrapChunkTask, type BootstrapOptions, type BootstrapResult } from './bootstrap.ts';
import { badArgument, type Sample } from './check.ts';
import type { CupedArm, CupedArmsResult } from './cuped.ts';
import type { MannWhitneyOptions, MannWhitneyResult } from './mann-whitney.ts';
import type { MsprtOptions, MsprtResult } from './msprt.ts';
import type { WelchOptions, WelchResult } from './welch.ts';
import type { CupedArmsTask, Envelope, TwoSampleTask } from './worker.ts';

export interface StatsPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
}

export interface PoolCallOptions {
  /** Move the samples' buffers to the worker instead of copying them; the caller's arrays are unusable afterwards. */
  transfer?: boolean;
}

export interface StatsPool {
  readonly threads: number;
  welch(a: Sample, b: Sample, options?: WelchOptions & PoolCallOptions): Promise<WelchResult>;
  mannWhitney(a: Sample, b: Sample, options?: MannWhitneyOptions & PoolCallOptions): Promise<MannWhitneyResult>;
  msprt(a: Sample, b: Sample, options: MsprtOptions & PoolCallOptions): Promise<MsprtResult>;
  cupedArms(a: CupedArm, b: CupedArm, options?: PoolCallOptions): Promise<CupedArmsResult>;
  /** Chunks spread over the workers; bit-identical to bootstrapDiff on the main thread. */
  bootstrapDiff(a: Sample, b: Sample, options: BootstrapOptions): Promise<BootstrapResult>;
  close(): Promise<void>;
}

/** A plain-JS entry that registers tsx in the worker thread, then imports worker.ts (see worker-entry.mjs). */
const WORKER = new URL('./worker-entry.mjs', import.meta.url).href;

export function createStatsPool(options: StatsPoolOptions = {}): StatsPool {
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw badArgument('createStatsPool', 'threads', `= ${String(threads)} must be an integer in 1..256`);
  const piscina = new Piscina({ filename: WORKER, minThreads: threads, maxThreads: threads, idleTimeout: 30_000 });
  let closed = false;

  async function call<T>(name: string, task: unknown, transferList: ArrayBuffer[]): Promise<T> {
    if (closed) throw new MaasflowError('RUNTIME', `stats pool: ${name} called after close()`);
    const reply = (await piscina.run(task, { name, transferList })) as Envelope<T>;
    if (reply.ok) return reply.value;
    const { error } = reply;
    if (error.code === null) throw new MaasflowError('RUNTIME', `stats worker (${name}): ${error.message}`);
    throw new MaasflowError(error.code, error.message, { location: error.path === undefined ? {} : { path: error.path } });
  }

  async function twoSample<O extends PoolCallOptions>(name: string, a: Sample, b: Sample, options: O | undefined): Promise<unknown> {
    const { transfer = false, ...rest } = options ?? ({} as O);
    const list: ArrayBuffer[] = [];
    const task: TwoSampleTask<Omit<O, 'transfer'>> = { a: transport(name, 'a', a, transfer, list), b: transport(name, 'b', b, transfer, list), options: rest };
    return call(name, task, list);
  }

  return {
    threads,
    welch: (a, b, options) => twoSample('welch', a, b, options) as Promise<WelchResult>,
    mannWhitney: (a, b, options) => twoSample('mannWhitney', a, b, options) as Promise<MannWhitneyResult>,
    msprt: (a, b, options) => twoSample('msprt', a, b, options) as Promise<MsprtResult>,
    async cupedArms(a, b, options) {
      if (a === null || typeof a !== 'object') throw badArgument('cupedArms', 'a', 'must be { y, x }');
      if (b === null || typeof b !== 'object') throw badArgument('cupedArms', 'b', 'must be { y, x }');
      const transfer = options?.transfer ?? false;
      const list: ArrayBuffer[] = [];
      const task: CupedArmsTask = {
        ya: transport('cupedArms', 'a.y', a.y, transfer, list),
        xa: transport('cupedArms', 'a.x', a.x, transfer, list),
        yb: transport('cupedArms', 'b.y', b.y, transfer, list),
        xb: transport('cupedArms', 'b.x', b.x, transfer, list),
      };
      return call('cupedArms', task, list);
    },
    async bootstrapDiff(a, b, options) {
      if (closed) throw new MaasflowError('RUNTIME', 'stats pool: bootstrapDiff called after close()');
      const plan = planBootstrap('bootstrapDiff', a, b, options);
      const { sa, sb } = shared(a, b);
      const tasks = Math.min(plan.chunks, threads * 4);
      const runs: Promise<Float64Array>[] = [];
      for (let t = 0; t < tasks; t++) {
        const from = Math.floor((plan.chunks * t) / tasks);
        const to = Math.floor((plan.chunks * (t + 1)) / tasks);
        const task: BootstrapChunkTask = { a: sa, b: sb, seed: plan.seed, resamples: plan.resamples, chunkSize: plan.chunkSize, from, to };
        runs.push(piscina.run(task, { name: 'bootstrapChunks' }) as Promise<Float64Array>);
      }
      const parts = await Promise.all(runs);
      const diffs = new Float64Array(plan.resamples);
      let at = 0;
      for (const part of parts) {
        diffs.set(part, at);
        at += part.length;
      }
      return summarizeBootstrap(sa, sb, diffs, plan);
    },
    async close() {
      if (closed) return;
      closed = true;
      await piscina.close();
    },
  };
}

/** The Float64Array to post for `x`, adding the buffer to move (if any) to `list`. */
function transport(fn: string, arg: string, x: Sample, transfer: boolean, list: ArrayBuffer[]): Float64Array {
  if (x === null || x === undefined || typeof x !== 'object' || typeof x.length !== 'number') throw badArgument(fn, arg, 'must be an array of numbers');
  if (x instanceof Float64Array) {
    if (x.buffer instanceof SharedArrayBuffer) return x;
    if (transfer) {
      const buffer = x.buffer as ArrayBuffer;
      if (!list.includes(buffer)) list.push(buffer);
      return x;
    }
  }
  // a copy (also of number[] and other typed arrays), moved to the worker; non-numbers become NaN and are reported there
  const copy = Float64Array.from(x);
  list.push(copy.buffer);
  return copy;
}

/** Both samples in one SharedArrayBuffer (or as they are, when already shared). */
function shared(a: Sample, b: Sample): { sa: Float64Array; sb: Float64Array } {
  const isShared = (x: Sample): x is Float64Array => x instanceof Float64Array && x.buffer instanceof SharedArrayBuffer;
  if (isShared(a) && isShared(b)) return { sa: a, sb: b };
  const buffer = new SharedArrayBuffer((a.length + b.length) * Float64Array.BYTES_PER_ELEMENT);
  const sa = new Float64Array(buffer, 0, a.length);
  const sb = new Float64Array(buffer, a.length * Float64Array.BYTES_PER_ELEMENT, b.length);
  sa.set(a);
  sb.set(b);
  return { sa, sb };
}
