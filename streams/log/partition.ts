/**
 * The segments of one partition: appends go to the last (active) segment,
 * which rolls to a new file when the next frame would push it past
 * segmentBytes; retention deletes whole closed segments from the front;
 * truncate cuts the tail.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import { encodeBatch, type LogRecord, type LogRecordInput } from './frame.ts';
import { fsyncDir, io, type FsyncMode } from './fs-util.ts';
import { Segment, SEGMENT_FILE_RE, type ReadState, type RecoveryNote } from './segment.ts';

/** Settings a partition reads on every call (the topic may update them). */
export interface PartitionSettings {
  segmentBytes: number;
}

export class Partition {
  readonly dir: string;
  readonly topic: string;
  readonly id: number;
  private readonly settings: PartitionSettings;
  private readonly fsync: FsyncMode;
  private segments: Segment[];

  private constructor(dir: string, topic: string, id: number, settings: PartitionSettings, fsync: FsyncMode, segments: Segment[]) {
    this.dir = dir;
    this.topic = topic;
    this.id = id;
    this.settings = settings;
    this.fsync = fsync;
    this.segments = segments;
  }

  /** Open (or create) the partition directory and scan its segments. */
  static open(dir: string, topic: string, id: number, settings: PartitionSettings, fsync: FsyncMode, notes: RecoveryNote[]): Partition {
    io('create directory', dir, () => fs.mkdirSync(dir, { recursive: true }));
    const names = io('list', dir, () => fs.readdirSync(dir))
      .filter((n) => SEGMENT_FILE_RE.test(n))
      .sort();
    const segments: Segment[] = [];
    for (let i = 0; i < names.length; i++) {
      const base = Number(names[i].slice(0, 20));
      const file = path.join(dir, names[i]);
      const prev = segments[segments.length - 1];
      if (prev !== undefined && base < prev.nextOffset) {
        throw new MaasflowError('LOG_CORRUPT', `${file}: base offset ${base} overlaps previous segment ending at ${prev.nextOffset}`, {
          location: { file },
        });
      }
      segments.push(Segment.load(file, base, i === names.length - 1, notes));
    }
    const p = new Partition(dir, topic, id, settings, fsync, segments);
    if (segments.length === 0) p.newSegment(0);
    return p;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private newSegment(baseOffset: number): Segment {
    const seg = Segment.create(this.dir, baseOffset);
    this.segments.push(seg);
    if (this.fsync !== 'never') fsyncDir(this.dir);
    return seg;
  }

  startOffset(): number {
    return this.segments[0].baseOffset;
  }

  endOffset(): number {
    return this.active.nextOffset;
  }

  /** Bytes of all segment files. */
  sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  segmentCount(): number {
    return this.segments.length;
  }

  append(records: readonly LogRecordInput[]): { baseOffset: number; lastOffset: number } {
    const baseOffset = this.endOffset();
    if (records.length === 0) return { baseOffset, lastOffset: baseOffset - 1 };
    const batch = encodeBatch(records, baseOffset);
    const limit = this.settings.segmentBytes;
    const always = this.fsync === 'always';
    let from = 0;
    const n = records.length;
    while (from < n) {
      let seg = this.active;
      const startPos = from === 0 ? 0 : batch.ends[from - 1];
      if (seg.size > 0 && seg.size + batch.ends[from] - startPos > limit) seg = this.roll();
      // as many frames as fit (at least one, so oversized records still go somewhere)
      let to = from + 1;
      const room = limit - seg.size + startPos;
      while (to < n && batch.ends[to] <= room) to++;
      seg.append(batch, from, to, always);
      from = to;
    }
    return { baseOffset, lastOffset: baseOffset + n - 1 };
  }

  private roll(): Segment {
    const old = this.active;
    if (this.fsync !== 'never') old.sync();
    old.close();
    return this.newSegment(old.nextOffset);
  }

  read(topic: string, fromOffset: number, maxRecords: number, maxBytes: number): LogRecord[] {
    const state: ReadState = { topic, partition: this.id, out: [], maxRecords, maxBytes, bytes: 0, full: false };
    if (maxRecords <= 0 || fromOffset >= this.endOffset()) return state.out;
    let from = Math.max(fromOffset, this.startOffset());
    for (let i = this.segmentIndexOf(from); i < this.segments.length && !state.full; i++) {
      const seg = this.segments[i];
      seg.read(from, state);
      from = Math.max(from, seg.nextOffset);
    }
    return state.out;
  }

  /** Index of the last segment with baseOffset <= offset (0 when none). */
  private segmentIndexOf(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid].baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Remove every record with offset >= toOffset; the next append gets
   * offset toOffset. Segments are removed newest first, so a crash midway
   * leaves a valid (partly truncated) log.
   */
  truncate(toOffset: number): void {
    if (toOffset >= this.endOffset()) return;
    const sync = this.fsync !== 'never';
    while (this.segments.length > 1 && this.active.baseOffset >= toOffset) {
      const seg = this.segments.pop();
      seg?.delete();
    }
    const last = this.active;
    if (toOffset >= last.baseOffset) {
      last.truncateTo(toOffset, sync);
    } else {
      // everything goes, including records below toOffset that retention may
      // already have removed: keep one empty segment whose name records the new end
      last.truncateTo(last.baseOffset, sync);
      this.segments[0] = last.rebase(this.dir, toOffset);
    }
    if (sync) fsyncDir(this.dir);
  }

  /**
   * Delete closed segments from the front while they are older than
   * retentionMs (max record timestamp < now - retentionMs) or while the
   * partition stays at or above retentionBytes without them.
   */
  enforceRetention(nowMs: number, retentionMs: number, retentionBytes: number): number {
    let total = retentionBytes >= 0 ? this.sizeBytes() : 0;
    let deleted = 0;
    while (this.segments.length > 1) {
      const first = this.segments[0];
      const expired = retentionMs >= 0 && first.maxTimestamp < nowMs - retentionMs;
      const oversize = retentionBytes >= 0 && total - first.size >= retentionBytes;
      if (!expired && !oversize) break;
      first.delete();
      this.segments.shift();
      total -= first.size;
      deleted++;
    }
    if (deleted > 0 && this.fsync !== 'never') fsyncDir(this.dir);
    return deleted;
  }

  /** fsync the active segment if it has unsynced writes. */
  sync(): void {
    for (const s of this.segments) s.sync();
  }

  close(): void {
    for (const s of this.segments) s.close();
  }
}
