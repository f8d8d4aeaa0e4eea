/**
 * One segment file: frames of consecutive offsets starting at baseOffset.
 * Keeps a sparse in-memory index (offset -> byte position, one entry per
 * INDEX_INTERVAL bytes) built by scanning the file on load, so reads seek
 * close to their start offset and parse frames from large chunk reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import {
  checkFrame,
  decodeFrame,
  describeFrameProblem,
  FRAME_HEADER_BYTES,
  frameOffset,
  frameSize,
  frameTimestamp,
  type EncodedBatch,
  type LogRecord,
} from './frame.ts';
import { io, ioError, readFully, writeFully } from './fs-util.ts';

export const INDEX_INTERVAL = 4096;
const SCAN_CHUNK = 8 * 1024 * 1024;
const MIN_READ_CHUNK = 16 * 1024;
const MAX_READ_CHUNK = 4 * 1024 * 1024;
/** Read-only descriptors of closed segments kept open at most (least recently used are closed). */
const MAX_READ_FDS = 128;
const readFds = new Map<Segment, true>();

/** What open-time recovery did to a segment file (a torn tail was cut off). */
export interface RecoveryNote {
  file: string;
  /** Byte position the file was truncated to. */
  position: number;
  discardedBytes: number;
  reason: string;
}

/** Accumulator shared by the segments of one partition read. */
export interface ReadState {
  readonly topic: string;
  readonly partition: number;
  readonly out: LogRecord[];
  readonly maxRecords: number;
  readonly maxBytes: number;
  bytes: number;
  full: boolean;
}

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.seg`;
}

export const SEGMENT_FILE_RE = /^(\d{20})\.seg$/;

export class Segment {
  readonly file: string;
  readonly baseOffset: number;
  nextOffset: number;
  /** Bytes of complete frames in the file. */
  size = 0;
  maxTimestamp = -Infinity;
  dirty = false;
  private fd: number | null = null;
  private writable = false;
  private idxOffsets: number[] = [];
  private idxPositions: number[] = [];
  private lastIndexedPos = -Infinity;

  private constructor(file: string, baseOffset: number) {
    this.file = file;
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
  }

  /** Create a new empty segment file (an existing empty file of that name is reused). */
  static create(dir: string, baseOffset: number): Segment {
    const seg = new Segment(path.join(dir, segmentFileName(baseOffset)), baseOffset);
    seg.fd = io('create segment', seg.file, () => fs.openSync(seg.file, fs.constants.O_RDWR | fs.constants.O_CREAT));
    seg.writable = true;
    const existing = io('stat', seg.file, () => fs.fstatSync(seg.fd ?? -1).size);
    if (existing !== 0) io('truncate', seg.file, () => fs.ftruncateSync(seg.fd ?? -1, 0));
    return seg;
  }

  /**
   * Open and scan an existing segment. With `isLast`, a torn tail (partial
   * frame, bad length or crc) is cut off and reported in `notes`; elsewhere
   * it is a LOG_CORRUPT error naming the file and byte position.
   */
  static load(file: string, baseOffset: number, isLast: boolean, notes: RecoveryNote[]): Segment {
    const seg = new Segment(file, baseOffset);
    seg.fd = io('open segment', file, () => fs.openSync(file, isLast ? 'r+' : 'r'));
    seg.writable = isLast;
    try {
      seg.scan(isLast, notes);
    } catch (err) {
      seg.close();
      throw err;
    }
    if (!isLast) seg.close(); // closed segments reopen read-only on demand
    return seg;
  }

  private corrupt(position: number, reason: string): MaasflowError {
    return new MaasflowError('LOG_CORRUPT', `${this.file} at byte ${position}: ${reason}`, {
      location: { file: this.file, path: `@${position}` },
    });
  }

  private openFd(): number {
    if (this.fd !== null) {
      if (!this.writable && readFds.delete(this)) readFds.set(this, true); // mark recently used
      return this.fd;
    }
    this.fd = io('open segment', this.file, () => fs.openSync(this.file, 'r'));
    readFds.set(this, true);
    if (readFds.size > MAX_READ_FDS) {
      const oldest = readFds.keys().next().value;
      if (oldest !== undefined && oldest !== this) oldest.close();
    }
    return this.fd;
  }

  private writeFd(): number {
    if (!this.writable) {
      const old = this.fd;
      this.fd = io('open segment', this.file, () => fs.openSync(this.file, 'r+'));
      this.writable = true;
      readFds.delete(this);
      if (old !== null) io('close segment', this.file, () => fs.closeSync(old));
    }
    return this.fd ?? this.openFd();
  }

  /** (Re)build size, nextOffset, maxTimestamp and the index from the file. */
  private scan(repairTail: boolean, notes: RecoveryNote[]): void {
    const fd = this.openFd();
    const fileSize = io('stat', this.file, () => fs.fstatSync(fd).size);
    this.idxOffsets = [];
    this.idxPositions = [];
    this.lastIndexedPos = -Infinity;
    this.maxTimestamp = -Infinity;
    let expected = this.baseOffset;
    let pos = 0;
    let buf = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(fileSize, FRAME_HEADER_BYTES)));
    let problem = '';
    outer: while (pos < fileSize) {
      const n = io('read', this.file, () => readFully(fd, buf, 0, Math.min(buf.length, fileSize - pos), pos));
      let p = 0;
      while (p < n) {
        const r = checkFrame(buf, p, n - p);
        if (r > 0) {
          const off = frameOffset(buf, p);
          if (off !== expected) throw this.corrupt(pos + p, `expected offset ${expected}, found ${off}`);
          this.indexFrame(off, pos + p);
          const ts = frameTimestamp(buf, p);
          if (ts > this.maxTimestamp) this.maxTimestamp = ts;
          expected++;
          p += r;
          continue;
        }
        if (r === 0 && pos + p + (n - p >= FRAME_HEADER_BYTES ? frameSize(buf, p) : FRAME_HEADER_BYTES) <= fileSize) {
          // complete in the file but not in this chunk: re-read from the frame start
          if (p === 0) buf = Buffer.allocUnsafe(frameSize(buf, 0));
          break;
        }
        problem = describeFrameProblem(r);
        pos += p;
        break outer;
      }
      pos += p;
    }
    this.size = pos;
    this.nextOffset = expected;
    if (pos < fileSize) {
      if (!repairTail) throw this.corrupt(pos, problem);
      io('truncate torn tail of', this.file, () => fs.ftruncateSync(fd, pos));
      notes.push({ file: this.file, position: pos, discardedBytes: fileSize - pos, reason: problem });
    }
  }

  private indexFrame(offset: number, position: number): void {
    if (position - this.lastIndexedPos >= INDEX_INTERVAL) {
      this.idxOffsets.push(offset);
      this.idxPositions.push(position);
      this.lastIndexedPos = position;
    }
  }

  /** Index entry (largest indexed offset <= offset); -1 when none. */
  private lookup(offset: number): number {
    const offs = this.idxOffsets;
    let lo = 0;
    let hi = offs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (offs[mid] <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Append frames [from, to) of an encoded batch with one write. */
  append(batch: EncodedBatch, from: number, to: number, fsyncNow: boolean): void {
    const start = from === 0 ? 0 : batch.ends[from - 1];
    const end = batch.ends[to - 1];
    const fd = this.writeFd();
    const at = this.size;
    try {
      writeFully(fd, batch.buf.subarray(start, end), at);
      if (fsyncNow) fs.fsyncSync(fd);
    } catch (err) {
      // do not leave a partial frame behind a live log; the next append writes at `at` again
      try {
        fs.ftruncateSync(fd, at);
      } catch (cleanup) {
        throw ioError('append to (and roll back)', this.file, new AggregateError([err, cleanup]));
      }
      throw ioError('append to', this.file, err);
    }
    this.dirty = !fsyncNow;
    let prev = start;
    for (let i = from; i < to; i++) {
      this.indexFrame(batch.firstOffset + i, at + prev - start);
      const ts = batch.timestamps[i];
      if (ts > this.maxTimestamp) this.maxTimestamp = ts;
      prev = batch.ends[i];
    }
    this.size = at + end - start;
    this.nextOffset += to - from;
  }

  /** Append records with offset >= fromOffset to state.out until a limit is hit. */
  read(fromOffset: number, state: ReadState): void {
    if (fromOffset >= this.nextOffset || this.size === 0) return;
    const fd = this.openFd();
    const idx = this.lookup(fromOffset);
    let pos = idx < 0 ? 0 : this.idxPositions[idx];
    const skip = fromOffset - (idx < 0 ? this.baseOffset : this.idxOffsets[idx]);
    const avg = this.size / Math.max(1, this.nextOffset - this.baseOffset);
    const wanted = Math.min(state.maxRecords - state.out.length, this.nextOffset - fromOffset);
    let chunk = Math.max(MIN_READ_CHUNK, Math.min(MAX_READ_CHUNK, Math.ceil((skip + wanted) * avg) + FRAME_HEADER_BYTES));
    if (Number.isFinite(state.maxBytes)) chunk = Math.max(MIN_READ_CHUNK, Math.min(chunk, state.maxBytes - state.bytes + INDEX_INTERVAL));
    const { out, topic, partition } = state;
    while (pos < this.size) {
      const len = Math.min(chunk, this.size - pos);
      const buf = Buffer.allocUnsafe(len);
      const n = io('read', this.file, () => readFully(fd, buf, 0, len, pos));
      if (n < len) throw this.corrupt(pos + n, `file shorter than expected (${this.size} bytes)`);
      let p = 0;
      while (p + FRAME_HEADER_BYTES <= n) {
        const total = frameSize(buf, p);
        if (p + total > n) break;
        if (frameOffset(buf, p) >= fromOffset) {
          if (state.bytes + total > state.maxBytes && out.length > 0) {
            state.full = true;
            return;
          }
          out.push(decodeFrame(buf, p, topic, partition));
          state.bytes += total;
          if (out.length >= state.maxRecords) {
            state.full = true;
            return;
          }
        }
        p += total;
      }
      if (p === 0) chunk = n >= FRAME_HEADER_BYTES ? frameSize(buf, 0) : FRAME_HEADER_BYTES;
      pos += p;
    }
  }

  /** Byte position of the frame holding `offset` (size when offset == nextOffset). */
  positionOf(offset: number): number {
    if (offset >= this.nextOffset) return this.size;
    const fd = this.openFd();
    const idx = this.lookup(offset);
    let pos = idx < 0 ? 0 : this.idxPositions[idx];
    const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 8);
    while (pos < this.size) {
      io('read', this.file, () => readFully(fd, head, 0, head.length, pos));
      if (frameOffset(head, 0) === offset) return pos;
      pos += frameSize(head, 0);
    }
    throw this.corrupt(pos, `offset ${offset} not found`);
  }

  /** Remove every frame with offset >= offset; the segment stays writable. */
  truncateTo(offset: number, fsync: boolean): void {
    if (offset >= this.nextOffset) return;
    const pos = this.positionOf(offset);
    const fd = this.writeFd();
    io('truncate', this.file, () => {
      fs.ftruncateSync(fd, pos);
      if (fsync) fs.fsyncSync(fd);
    });
    const notes: RecoveryNote[] = [];
    this.scan(false, notes);
    this.dirty = !fsync;
  }

  sync(): void {
    if (!this.dirty || this.fd === null) return;
    const fd = this.fd;
    io('fsync', this.file, () => fs.fsyncSync(fd));
    this.dirty = false;
  }

  /** Close the file descriptor (reads reopen it lazily, read-only). */
  close(): void {
    readFds.delete(this);
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    this.writable = false;
    io('close', this.file, () => fs.closeSync(fd));
  }

  delete(): void {
    this.close();
    io('delete segment', this.file, () => fs.unlinkSync(this.file));
  }

  /** Rename the (empty) segment file to a new base offset; returns the renamed segment. */
  rebase(dir: string, baseOffset: number): Segment {
    if (this.size !== 0) throw new MaasflowError('LOG_BAD_ARGUMENT', `cannot rebase non-empty segment ${this.file}`);
    this.close();
    const target = path.join(dir, segmentFileName(baseOffset));
    io('rename segment', this.file, () => fs.renameSync(this.file, target));
    const seg = new Segment(target, baseOffset);
    seg.fd = io('open segment', target, () => fs.openSync(target, 'r+'));
    seg.writable = true;
    return seg;
  }
}
