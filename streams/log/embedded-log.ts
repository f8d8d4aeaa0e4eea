/**
 * The embedded partitioned log: a Kafka replacement inside one process.
 * Layout under `dir`: LOCK, topics/<topic>/topic.json,
 * topics/<topic>/<partition>/<baseOffset 20 digits>.seg, groups/<group>.json.
 * See docs/LOG.md for the format and the durability guarantees.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import type { LogRecord, LogRecordInput } from './frame.ts';
import { fsyncDir, io, type FsyncMode } from './fs-util.ts';
import { GroupCoordinator, type AssignCallback } from './group-coordinator.ts';
import { partitionForKey } from './hash.ts';
import { acquireLock, type DirLock } from './lock.ts';
import { OffsetsStore } from './offsets-store.ts';
import { Partition } from './partition.ts';
import type { RecoveryNote } from './segment.ts';
import { readTopicMeta, resolveTopicConfig, topicMetaFile, validateTopicName, writeTopicMeta, type ResolvedTopicConfig, type TopicConfig } from './topic-meta.ts';

export interface EmbeddedLogOptions {
  /** 'never': no fsync; 'flush' (default): fsync on flush()/close()/roll; 'always': fsync every append. */
  fsync?: FsyncMode;
}

interface Topic {
  readonly name: string;
  readonly dir: string;
  readonly config: ResolvedTopicConfig;
  readonly partitions: Partition[];
  roundRobin: number;
}

function badArg(message: string): MaasflowError {
  return new MaasflowError('LOG_BAD_ARGUMENT', message);
}

function checkInt(value: unknown, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw badArg(`${what} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The reserved group under which stable (read-committed) offsets are kept. */
export const STABLE_GROUP = '__stable';

export class EmbeddedLog {
  readonly dir: string;
  private readonly fsync: FsyncMode;
  private readonly lock: DirLock;
  private readonly topicsDir: string;
  private readonly topicMap = new Map<string, Topic>();
  private readonly offsets: OffsetsStore;
  private readonly groups = new GroupCoordinator();
  private readonly notes: RecoveryNote[] = [];
  private closed = false;

  private constructor(dir: string, fsync: FsyncMode, lock: DirLock) {
    this.dir = dir;
    this.fsync = fsync;
    this.lock = lock;
    this.topicsDir = path.join(dir, 'topics');
    io('create directory', this.topicsDir, () => fs.mkdirSync(this.topicsDir, { recursive: true }));
    this.offsets = new OffsetsStore(path.join(dir, 'groups'), fsync);
  }

  /** Open (creating if needed) a log directory, taking its exclusive lock and recovering torn tails. */
  static open(dir: string, opts: EmbeddedLogOptions = {}): EmbeddedLog {
    if (typeof dir !== 'string' || dir.length === 0) throw badArg('log directory must be a non-empty string');
    const fsync = opts.fsync ?? 'flush';
    if (fsync !== 'never' && fsync !== 'flush' && fsync !== 'always') throw badArg(`fsync must be 'never', 'flush' or 'always', got ${JSON.stringify(fsync)}`);
    const abs = path.resolve(dir);
    io('create directory', abs, () => fs.mkdirSync(abs, { recursive: true }));
    const lock = acquireLock(abs);
    let log: EmbeddedLog | undefined;
    try {
      log = new EmbeddedLog(abs, fsync, lock);
      log.loadTopics();
      return log;
    } catch (err) {
      if (log) for (const t of log.topicMap.values()) for (const p of t.partitions) p.close();
      lock.release();
      throw err;
    }
  }

  private loadTopics(): void {
    const names = io('list', this.topicsDir, () => fs.readdirSync(this.topicsDir, { withFileTypes: true }));
    for (const entry of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!entry.isDirectory()) continue;
      const topicDir = path.join(this.topicsDir, entry.name);
      // a topic directory without topic.json is a createTopic that crashed before finishing: ignored until created again
      if (!fs.existsSync(topicMetaFile(topicDir))) continue;
      const config = readTopicMeta(topicDir, entry.name);
      this.openTopic(entry.name, topicDir, config);
    }
  }

  private openTopic(name: string, topicDir: string, config: ResolvedTopicConfig): Topic {
    const topic: Topic = { name, dir: topicDir, config, partitions: [], roundRobin: 0 };
    this.topicMap.set(name, topic);
    for (let p = 0; p < config.partitions; p++) {
      topic.partitions.push(Partition.open(path.join(topicDir, String(p)), name, p, config, this.fsync, this.notes));
    }
    return topic;
  }

  private ensureOpen(): void {
    if (this.closed) throw badArg(`log ${this.dir} is closed`);
  }

  private topic(name: string): Topic {
    this.ensureOpen();
    const t = this.topicMap.get(name);
    if (!t) throw new MaasflowError('LOG_UNKNOWN_TOPIC', `unknown topic ${JSON.stringify(name)} in ${this.dir}`);
    return t;
  }

  private partition(topic: string, partition: number): Partition {
    const t = this.topic(topic);
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= t.partitions.length) {
      throw badArg(`topic ${topic} has partitions 0..${t.partitions.length - 1}, got ${JSON.stringify(partition)}`);
    }
    return t.partitions[partition];
  }

  /** Torn tails cut off while opening (empty after a clean shutdown). */
  recoveryNotes(): readonly RecoveryNote[] {
    return this.notes;
  }

  /**
   * Create a topic. Idempotent when it exists with the same partition count
   * (segmentBytes / retention settings are then updated to the given ones);
   * LOG_BAD_ARGUMENT when the partition count differs.
   */
  createTopic(name: string, config: TopicConfig): void {
    this.ensureOpen();
    validateTopicName(name);
    const resolved = resolveTopicConfig(name, config);
    const existing = this.topicMap.get(name);
    if (existing) {
      if (existing.config.partitions !== resolved.partitions) {
        throw badArg(`topic ${name} exists with ${existing.config.partitions} partitions, asked for ${resolved.partitions}`);
      }
      const c = existing.config;
      if (c.segmentBytes !== resolved.segmentBytes || c.retentionMs !== resolved.retentionMs || c.retentionBytes !== resolved.retentionBytes) {
        writeTopicMeta(existing.dir, name, resolved, this.fsync);
        Object.assign(c, resolved);
      }
      return;
    }
    const topicDir = path.join(this.topicsDir, name);
    io('create directory', topicDir, () => fs.mkdirSync(topicDir, { recursive: true }));
    try {
      this.openTopic(name, topicDir, resolved);
      writeTopicMeta(topicDir, name, resolved, this.fsync);
    } catch (err) {
      const t = this.topicMap.get(name);
      if (t) for (const p of t.partitions) p.close();
      this.topicMap.delete(name);
      throw err;
    }
    if (this.fsync !== 'never') fsyncDir(this.topicsDir);
  }

  hasTopic(name: string): boolean {
    this.ensureOpen();
    return this.topicMap.has(name);
  }

  topics(): string[] {
    this.ensureOpen();
    return [...this.topicMap.keys()].sort();
  }

  topicConfig(name: string): TopicConfig {
    return { ...this.topic(name).config };
  }

  append(topic: string, partition: number, records: readonly LogRecordInput[]): { baseOffset: number; lastOffset: number } {
    const p = this.partition(topic, partition);
    if (!Array.isArray(records)) throw badArg('records must be an array');
    return p.append(records);
  }

  /** Partition by FNV-1a 32 of the key modulo partitions; null keys round robin. Order per partition is kept. */
  appendByKey(topic: string, records: readonly LogRecordInput[]): void {
    const t = this.topic(topic);
    if (!Array.isArray(records)) throw badArg('records must be an array');
    const n = t.partitions.length;
    const buckets: LogRecordInput[][] = Array.from({ length: n }, () => []);
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const key = r?.key;
      if (key === null) {
        buckets[t.roundRobin].push(r);
        t.roundRobin = (t.roundRobin + 1) % n;
      } else if (key instanceof Uint8Array) {
        buckets[partitionForKey(key, n)].push(r);
      } else {
        throw badArg(`record ${i}: key must be a Uint8Array or null`);
      }
    }
    for (let p = 0; p < n; p++) if (buckets[p].length > 0) t.partitions[p].append(buckets[p]);
  }

  /**
   * Records with offset >= fromOffset, in offset order, at most maxRecords and
   * (except for the first record) at most maxBytes of frames. A fromOffset
   * below startOffset reads from startOffset.
   */
  read(topic: string, partition: number, fromOffset: number, maxRecords: number, maxBytes: number = Infinity): LogRecord[] {
    const p = this.partition(topic, partition);
    checkInt(fromOffset, 'fromOffset');
    checkInt(maxRecords, 'maxRecords');
    if (typeof maxBytes !== 'number' || Number.isNaN(maxBytes) || maxBytes <= 0) throw badArg(`maxBytes must be > 0, got ${JSON.stringify(maxBytes)}`);
    return p.read(topic, fromOffset, maxRecords, maxBytes);
  }

  startOffset(topic: string, partition: number): number {
    return this.partition(topic, partition).startOffset();
  }

  endOffset(topic: string, partition: number): number {
    return this.partition(topic, partition).endOffset();
  }

  /** Remove every record with offset >= toOffset; the next append gets offset toOffset (if it was below endOffset). */
  truncate(topic: string, partition: number, toOffset: number): void {
    const p = this.partition(topic, partition);
    checkInt(toOffset, 'toOffset');
    p.truncate(toOffset);
  }

  /** Appends are already written to the OS; this fsyncs unsynced segments unless fsync is 'never'. */
  flush(): void {
    this.ensureOpen();
    if (this.fsync === 'never') return;
    for (const t of this.topicMap.values()) for (const p of t.partitions) p.sync();
  }

  /** Apply time and size retention to every topic; returns the number of segment files deleted. */
  enforceRetention(nowMs: number = Date.now()): number {
    this.ensureOpen();
    let deleted = 0;
    for (const t of this.topicMap.values()) {
      const { retentionMs, retentionBytes } = t.config;
      if (retentionMs < 0 && retentionBytes < 0) continue;
      for (const p of t.partitions) deleted += p.enforceRetention(nowMs, retentionMs, retentionBytes);
    }
    return deleted;
  }

  commitOffsets(group: string, topic: string, offsets: Record<number, number>): void {
    const t = this.topic(topic);
    this.offsets.commit(group, topic, offsets, t.partitions.length);
  }

  committedOffsets(group: string, topic: string): Record<number, number> {
    this.topic(topic);
    return this.offsets.get(group, topic);
  }

  /**
   * Read-committed support: a transactional writer (the log sink) marks, per
   * partition, the offset below which its records are covered by a durable
   * checkpoint; what lies above may still be truncated by its restore. Stored
   * like a consumer group's commits, under the reserved group `__stable`.
   */
  markStable(topic: string, offsets: Record<number, number>): void {
    this.commitOffsets(STABLE_GROUP, topic, offsets);
  }

  /** Where a read-committed reader stops: the writer's last mark, or the end offset when no transactional writer marked the partition. */
  stableOffset(topic: string, partition: number): number {
    const end = this.endOffset(topic, partition);
    const mark = this.offsets.get(STABLE_GROUP, topic)[partition];
    return mark === undefined ? end : Math.min(mark, end);
  }

  joinGroup(group: string, topic: string, memberId: string, onAssign: AssignCallback): { leave(): void } {
    const t = this.topic(topic);
    return this.groups.join(group, topic, t.partitions.length, memberId, onAssign);
  }

  /** Current members of a consumer group on a topic, sorted by id. */
  groupMembers(group: string, topic: string): string[] {
    this.topic(topic);
    return this.groups.members(group, topic);
  }

  /** Flush, close files and release the lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.groups.clear();
      for (const t of this.topicMap.values()) for (const p of t.partitions) p.close();
      this.lock.release();
    }
  }
}
