import type { Key } from '../../engine/batch.ts';
import type { SourceChunk } from '../../engine/connectors.ts';

/** One record read from a partitioned transport (embedded log, Kafka), before decoding. */
export interface PartitionedRecord {
  partition: number;
  offset: number;
  key: Uint8Array | null;
  value: unknown;
  timestamp: number;
}

const utf8 = new TextDecoder();

/** Columns of a poll's records; keys become UTF-8 strings. */
export function chunkOf(records: readonly PartitionedRecord[], topic: string, lagging: readonly number[], end: boolean): SourceChunk {
  const m = records.length;
  const values = new Array<unknown>(m);
  const timestamps = new Float64Array(m);
  const keys = new Array<Key | null>(m);
  const partitions = new Int32Array(m);
  const offsets = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const r = records[i]!;
    values[i] = r.value;
    timestamps[i] = r.timestamp;
    keys[i] = r.key === null ? null : utf8.decode(r.key);
    partitions[i] = r.partition;
    offsets[i] = r.offset;
  }
  return { values, timestamps, keys, partitions, offsets, topic, lagging, end };
}
