import type { Duration } from '../engine/duration.ts';
import type { SourceFormat, TaskMode } from '../engine/connectors.ts';

/** A topology definition file, as parsed (after schema validation). */
export interface TopologySpec {
  name: string;
  description?: string;
  /** Declared parallelism (see README: one task per process; scale-out is by partitions across processes). */
  parallelism?: number;
  runtime?: {
    batchSize?: number;
    maxInFlightBatches?: number;
    idlePoll?: Duration;
    /** `perPartition`: one task (operators + state) per source partition, handed over between processes of a group. */
    tasks?: TaskMode;
  };
  checkpoint?: { interval?: Duration; dir?: string };
  sources: SourceSpec[];
  operators?: OperatorSpec[];
  sinks: SinkSpec[];
}

export interface SourceSpec {
  id: string;
  type: string;
  params?: Record<string, unknown>;
  format?: SourceFormat;
  /** Avro schema reference ("subject", "subject@version") for decoding and validation. */
  schema?: string;
  /** Expression over value/key/timestamp giving the event time (ms); default: the record timestamp. */
  eventTime?: string;
  maxOutOfOrderness?: Duration;
  /** Where records that fail to decode or validate go (embedded-log topic). */
  deadLetter?: { topic: string; logDir?: string };
}

export interface OperatorSpec {
  id: string;
  type: string;
  input: string | string[];
  params?: Record<string, unknown>;
  parallelism?: number;
}

export interface SinkSpec {
  id: string;
  type: string;
  input: string | string[];
  params?: Record<string, unknown>;
}

export function inputsOf(spec: { input: string | string[] }): string[] {
  return Array.isArray(spec.input) ? spec.input : [spec.input];
}
