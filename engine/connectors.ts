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
  /**
   * `perPartition`: the runtime keeps one task (operator graph and state) per
   * source partition; a partition-owning source holds newly assigned
   * partitions back until `startPartition` (see SourceConnector).
   */
  readonly tasks?: TaskMode;
}

export type TaskMode = 'single' | 'perPartition';

/** The state of one task (source partition) at a checkpoint, with the offset it corresponds to. */
export interface TaskSnapshot {
  task: number;
  /** Next offset of the task's partition: records before it are reflected in `state`. */
  offset: number;
  epoch: number;
  /** Topology fingerprint: a snapshot of another topology is never restored. */
  fingerprint: string;
  state: Uint8Array;
}

/**
 * Where task snapshots live so that any process of a group can take a
 * partition over (Kafka: a compacted topic keyed by task).
 */
export interface TaskStateBackend {
  open(): Promise<void>;
  /** The newest snapshot of a task, after catching up with everything written so far. */
  load(task: number): Promise<TaskSnapshot | undefined>;
  /** Durably stores the snapshots (all acknowledged before this resolves). */
  save(snapshots: readonly TaskSnapshot[]): Promise<void>;
  close(): Promise<void>;
}

/** The partitions a group-managed source owns now; `pending` ones wait for `startPartition`. */
export interface PartitionAssignment {
  readonly assigned: readonly number[];
  readonly pending: readonly number[];
  /**
   * Rebalances started so far (owned partitions may be revoked; no records are delivered until the new
   * assignment). A count, not a flag, so a rebalance that starts and ends between two looks is still seen.
   */
  readonly rebalances: number;
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
  /** Group-managed sources in `perPartition` task mode: what this process owns now. */
  partitions?(): PartitionAssignment;
  /** Starts delivering a pending partition at `offset` (undefined: the group's committed offset, else the configured start). */
  startPartition?(partition: number, offset: number | undefined): Promise<void>;
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
  /** Called once the checkpoint holding `position` is durable: a transactional sink publishes it to read-committed readers. */
  committed?(position: Position): Promise<void> | void;
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
  /** Shared storage of task snapshots, for sources that support `perPartition` task mode. */
  taskStateBackend?(params: unknown, ctx: ConnectorContext): TaskStateBackend;
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
  def: Omit<SourceDefinition, 'create' | 'deadLetterSink' | 'taskStateBackend'> & {
    create(params: P, ctx: ConnectorContext): SourceConnector;
    deadLetterSink?(params: P, topic: string, ctx: ConnectorContext): SinkConnector;
    taskStateBackend?(params: P, ctx: ConnectorContext): TaskStateBackend;
  },
): SourceDefinition {
  return def as SourceDefinition;
}

export function defineSink<P>(def: Omit<SinkDefinition, 'create' | 'schemaRefs'> & { create(params: P, ctx: ConnectorContext): SinkConnector; schemaRefs?(params: P): string[] }): SinkDefinition {
  return def as SinkDefinition;
}
