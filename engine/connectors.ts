import type { Batch, Key } from './batch.ts';
import type { MetricsRegistry } from './metrics.ts';
import type { SchemaRegistry } from '../schemas/index.ts';
import type { LogProvider } from '../streams/log-provider.ts';

/** JSON-serialisable position of a source or sink, stored in checkpoints. */
export type Position = null | boolean | number | string | Position[] | { [k: string]: Position };

/**
 * What a source hands the engine per poll: columns of raw records plus where
 * they came from (partitions/offsets feed the dead-letter topic and watermarks).
 * `values` hold bytes (Uint8Array) for byte formats, objects for `object`.
 */
export interface SourceChunk {
  readonly values: unknown[];
  /** Record (append) time; event time comes from the `eventTime` expression when set. */
  readonly timestamps: Float64Array;
  readonly keys: (Key | null)[] | null;
  readonly partitions: Int32Array | null;
  readonly offsets: Float64Array | null;
  readonly topic: string;
  /**
   * Partitions that still have unread records after this poll. They hold the
   * watermark back even before they delivered anything (otherwise records of
   * a partition read later would all be late). Null for single-stream sources.
   */
  readonly lagging?: readonly number[] | null;
  /** The source has no more records (bounded input exhausted). */
  readonly end: boolean;
}

export interface ConnectorContext {
  readonly topology: string;
  readonly id: string;
  readonly dataDir: string;
  readonly logs: LogProvider;
  readonly schemas: SchemaRegistry;
  readonly metrics: MetricsRegistry;
}

/** Transport-neutral source: the embedded log, Kafka, a file replay and generators all look like this. */
export interface SourceConnector {
  /** Restores the position of a checkpoint, or starts fresh (committed group offsets, else the configured start). */
  open(restore: Position | undefined): Promise<void>;
  poll(maxRecords: number): Promise<SourceChunk> | SourceChunk;
  /** Position after the last polled record (what a checkpoint stores). */
  position(): Position;
  /** Called after a checkpoint is durable: commit offsets to the consumer group. */
  commit(position: Position): Promise<void> | void;
  close(): Promise<void> | void;
}

/**
 * Transactional sink: records written after the last checkpoint are undone on
 * restore (`open(position)` truncates to it), so a replay writes no duplicates.
 */
export interface SinkConnector {
  /** Returns nothing; on restore, discard everything written after `restore`. */
  open(restore: Position | undefined): Promise<void>;
  write(batch: Batch): Promise<void> | void;
  /** Makes everything written durable and returns the position to store in the checkpoint. */
  flush(): Promise<Position> | Position;
  close(): Promise<void> | void;
}

export type JsonSchema = Readonly<Record<string, unknown>>;

export interface SourceDefinition {
  readonly type: string;
  readonly summary: string;
  readonly paramsSchema: JsonSchema;
  /** Formats the source can deliver; the first is the default. */
  readonly formats: readonly SourceFormat[];
  create(params: unknown, ctx: ConnectorContext): SourceConnector;
  /** The sink for this source's dead letters on its own transport (default: an embedded-log topic). */
  deadLetterSink?(params: unknown, topic: string, ctx: ConnectorContext): SinkConnector;
}

export interface SinkDefinition {
  readonly type: string;
  readonly summary: string;
  readonly paramsSchema: JsonSchema;
  /** Schema references in params that must exist (validated with the topology). */
  schemaRefs?(params: unknown): string[];
  create(params: unknown, ctx: ConnectorContext): SinkConnector;
}

export type SourceFormat = 'object' | 'avro' | 'json' | 'string' | 'bytes';

export function defineSource<P>(
  def: Omit<SourceDefinition, 'create' | 'deadLetterSink'> & {
    create(params: P, ctx: ConnectorContext): SourceConnector;
    deadLetterSink?(params: P, topic: string, ctx: ConnectorContext): SinkConnector;
  },
): SourceDefinition {
  return def as SourceDefinition;
}

export function defineSink<P>(def: Omit<SinkDefinition, 'create' | 'schemaRefs'> & { create(params: P, ctx: ConnectorContext): SinkConnector; schemaRefs?(params: P): string[] }): SinkDefinition {
  return def as SinkDefinition;
}
