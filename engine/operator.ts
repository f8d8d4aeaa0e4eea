import type { Batch, Key } from './batch.ts';
import type { StateStore } from './state.ts';
import type { Counter } from './metrics.ts';

/** Where an operator sends its results: one collector per output port. */
export interface Output<O = unknown> {
  /** Whole columns at once: the fast path for per-batch transforms. */
  emitColumns(values: readonly O[], timestamps: Float64Array, keys: readonly (Key | null)[] | null, port?: string): void;
  /** One record. */
  push(value: O, timestamp: number, key: Key | null, port?: string): void;
}

/** What the engine gives an operator when it is created. */
export interface OperatorContext {
  readonly id: string;
  /** A keyed store owned by the engine: snapshotted with every checkpoint and restored before the first batch. */
  store<K, V>(name: string): StateStore<K, V>;
  counter(name: string, help: string): Counter;
}

/**
 * A batch operator needs only `process`; watermark, close and restore hooks
 * default to nothing. Operators keep every piece of state that must survive
 * a restart in stores from `ctx.store` (nowhere else).
 */
export interface BatchOperator<I = unknown, O = unknown> {
  /**
   * `input` is the index of the input the batch came from (joins, merges).
   * An operator that must wait (a database, a model) returns a promise: the
   * node processes its next batch only after it settles, its outputs go out
   * when it resolves, and checkpoints wait for it.
   */
  process(batch: Batch<I>, input: number, out: Output<O>, watermarkBefore: number): void | Promise<void>;
  /** Called when the combined input watermark advanced, after the batch that advanced it. */
  onWatermark?(watermark: number, out: Output<O>): void;
  /** Called once after a restore, before any batch, so derived indexes can be rebuilt from stores. */
  onRestore?(): void;
  /** Called when every input completed (after a final +Infinity watermark for bounded inputs). */
  onClose?(out: Output<O>): void;
  /** Called once when its task is dropped (the run ended or stopped, or the partition was revoked): free what `create` acquired outside the engine. */
  release?(): Promise<void> | void;
  /** Output watermark for a given combined input watermark (windows hold it back by their allowed lateness). */
  outputWatermark?(inputWatermark: number): number;
}
