/**
 * A batch is the unit every operator receives and emits: one RxJS emission per
 * batch, never per record. Columns are parallel arrays (record i is
 * values[i], timestamps[i], keys?.[i]); batches are immutable once emitted.
 */
export type Key = string | number;

export interface Batch<V = unknown> {
  /** Record payloads. */
  readonly values: readonly V[];
  /** Event time of each record, epoch milliseconds. */
  readonly timestamps: Float64Array;
  /** Key of each record; null while the stream is not keyed. */
  readonly keys: readonly (Key | null)[] | null;
  /**
   * Event-time watermark after this batch: the producer promises that no
   * further record has a timestamp below it (records that do are "late").
   * -Infinity before any record; +Infinity at the end of a bounded input.
   */
  readonly watermark: number;
}

export function makeBatch<V>(
  values: readonly V[],
  timestamps: Float64Array,
  keys: readonly (Key | null)[] | null,
  watermark: number,
): Batch<V> {
  return { values, timestamps, keys, watermark };
}

/** A batch with no records that only moves the watermark forward. */
export function watermarkBatch<V>(watermark: number): Batch<V> {
  return { values: [], timestamps: new Float64Array(0), keys: null, watermark };
}

export function batchSize(batch: Batch): number {
  return batch.values.length;
}
