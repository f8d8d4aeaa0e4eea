/**
 * The piscina worker of operators/stats/pool.ts: the same pure functions,
 * one export per task. Results travel back in an envelope so that a
 * MaasflowError keeps its code (structured clone keeps only name and message);
 * bootstrap chunks, validated on the main thread, come back as a moved buffer.
 */
import { move } from 'piscina';
import { MaasflowError, type ErrorCode } from '../../engine/errors.ts';
import { bootstrapChunks as chunks, type BootstrapChunkTask } from './bootstrap.ts';
import { cupedArms as cupedArmsFn, type CupedArmsResult } from './cuped.ts';
import { mannWhitney as mannWhitneyFn, type MannWhitneyOptions, type MannWhitneyResult } from './mann-whitney.ts';
import { msprt as msprtFn, type MsprtOptions, type MsprtResult } from './msprt.ts';
import { welch as welchFn, type WelchOptions, type WelchResult } from './welch.ts';

export interface TwoSampleTask<O> {
  a: Float64Array;
  b: Float64Array;
  options: O;
}

export interface CupedArmsTask {
  ya: Float64Array;
  xa: Float64Array;
  yb: Float64Array;
  xb: Float64Array;
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string; path: string | undefined } | { code: null; message: string } };

function envelope<T>(run: () => T): Envelope<T> {
  try {
    return { ok: true, value: run() };
  } catch (err) {
    if (err instanceof MaasflowError) return { ok: false, error: { code: err.code, message: err.message, path: err.location?.path } };
    return { ok: false, error: { code: null, message: err instanceof Error ? err.message : String(err) } };
  }
}

export function welch(task: TwoSampleTask<WelchOptions>): Envelope<WelchResult> {
  return envelope(() => welchFn(task.a, task.b, task.options));
}

export function mannWhitney(task: TwoSampleTask<MannWhitneyOptions>): Envelope<MannWhitneyResult> {
  return envelope(() => mannWhitneyFn(task.a, task.b, task.options));
}

export function msprt(task: TwoSampleTask<MsprtOptions>): Envelope<MsprtResult> {
  return envelope(() => msprtFn(task.a, task.b, task.options));
}

export function cupedArms(task: CupedArmsTask): Envelope<CupedArmsResult> {
  return envelope(() => cupedArmsFn({ y: task.ya, x: task.xa }, { y: task.yb, x: task.xb }));
}

export function bootstrapChunks(task: BootstrapChunkTask): Float64Array {
  return move(chunks(task)) as Float64Array;
}
