import type { Batch } from '../engine/batch.ts';
import { deadLetterHeaders, type DeadLetter } from '../engine/dead-letter.ts';
import type { SchemaRegistry } from '../schemas/index.ts';

/** How a byte-oriented sink (log, kafka) writes values. `deadLetter` writes a DeadLetter's raw bytes with its headers. */
export type ValueFormat = 'json' | 'avro' | 'string' | 'bytes' | 'deadLetter';
export const VALUE_FORMATS: readonly ValueFormat[] = ['json', 'avro', 'string', 'bytes', 'deadLetter'];

/** Params every byte-oriented sink takes for its value format (an avro format needs a schema). */
export const valueFormatParams = {
  properties: { format: { enum: VALUE_FORMATS }, schema: { type: 'string' } },
  if: { properties: { format: { const: 'avro' } }, required: ['format'] },
  then: { required: ['schema'] },
} as const;

export interface OutRecord { key: Buffer | null; value: Uint8Array; timestamp: number; headers?: Record<string, string> }

/** Converts a batch into keyed byte records for a log or Kafka topic. */
export function recordWriter(format: ValueFormat, schema: string | undefined, schemas: SchemaRegistry, topology: string): (batch: Batch) => OutRecord[] {
  const encode: (v: unknown) => Uint8Array =
    format === 'avro'
      ? schemas.encoder(schema!)
      : format === 'string'
        ? (v) => Buffer.from(String(v), 'utf8')
        : format === 'bytes'
          ? (v) => (v instanceof Uint8Array ? v : Buffer.from(String(v), 'utf8'))
          : (v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8');
  return (batch) => {
    const { values, timestamps, keys } = batch;
    const out = new Array<OutRecord>(values.length);
    for (let i = 0; i < values.length; i++) {
      const key = keys === null || keys[i] === null ? null : Buffer.from(String(keys[i]), 'utf8');
      if (format === 'deadLetter') {
        const d = values[i] as DeadLetter;
        out[i] = { key, value: d.raw, timestamp: d.timestamp, headers: deadLetterHeaders(d, topology) };
      } else out[i] = { key, value: encode(values[i]), timestamp: timestamps[i]! };
    }
    return out;
  };
}
