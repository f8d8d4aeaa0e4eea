import type { Key } from './batch.ts';

/** A record that failed to decode or validate, as sent to a dead-letter topic. */
export interface DeadLetter {
  reason: string;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Key | null;
  raw: Uint8Array;
}

/** The headers every dead-letter record carries (embedded log and Kafka alike). */
export function deadLetterHeaders(d: DeadLetter, topology: string): Record<string, string> {
  return { 'dlq.reason': d.reason, 'dlq.topic': d.topic, 'dlq.partition': String(d.partition), 'dlq.offset': String(d.offset), 'dlq.source': topology };
}
