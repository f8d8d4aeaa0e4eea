/**
 * Record framing of segment files (little endian throughout):
 *
 *   [length u32]      bytes of the body that follows the crc field
 *   [crc32 u32]       zlib crc32 of the body
 *   body:
 *   [offset i64]      absolute offset of the record (exact up to 2^53)
 *   [timestamp f64]   epoch milliseconds
 *   [keyLen i32]      -1 = null key
 *   [key]
 *   [valueLen i32]
 *   [value]
 *   [headerCount u32]
 *   headerCount x ([nameLen u16][name utf8][valueLen u32][value])
 */
import { crc32 } from 'node:zlib';
import { MaasflowError } from '../../engine/errors.ts';

export interface LogRecordInput {
  key: Uint8Array | null;
  value: Uint8Array;
  timestamp: number;
  headers?: Record<string, Uint8Array | string>;
}

export interface LogRecord extends LogRecordInput {
  topic: string;
  partition: number;
  offset: number;
  headers: Record<string, Uint8Array>;
}

/** Bytes before the body: length + crc. */
export const FRAME_HEADER_BYTES = 8;
/** Smallest body: offset + timestamp + keyLen + valueLen + headerCount. */
export const MIN_BODY_BYTES = 28;
/** Largest accepted body; anything bigger in a file is treated as a bad length. */
export const MAX_BODY_BYTES = 0x7fff_0000;

const TWO_32 = 0x1_0000_0000;
const EMPTY_HEADERS: readonly [Buffer, Uint8Array][] = [];

/** One append call's records encoded back to back. */
export interface EncodedBatch {
  readonly buf: Buffer;
  /** ends[i] = byte position in buf just after frame i (start of frame i+1). */
  readonly ends: Float64Array;
  readonly timestamps: Float64Array;
  readonly firstOffset: number;
}

function badArg(message: string): MaasflowError {
  return new MaasflowError('LOG_BAD_ARGUMENT', message);
}

function encodeHeaders(h: Record<string, Uint8Array | string> | undefined, i: number): readonly [Buffer, Uint8Array][] {
  if (h === undefined) return EMPTY_HEADERS;
  if (typeof h !== 'object' || h === null) throw badArg(`record ${i}: headers must be an object`);
  const out: [Buffer, Uint8Array][] = [];
  for (const name of Object.keys(h)) {
    const v = h[name];
    const nameBuf = Buffer.from(name, 'utf8');
    if (nameBuf.length > 0xffff) throw badArg(`record ${i}: header name longer than 65535 bytes`);
    if (typeof v === 'string') out.push([nameBuf, Buffer.from(v, 'utf8')]);
    else if (v instanceof Uint8Array) out.push([nameBuf, v]);
    else throw badArg(`record ${i}: header '${name}' must be a string or Uint8Array`);
  }
  return out;
}

/** Encode `records` as consecutive frames with offsets firstOffset, firstOffset+1, ... */
export function encodeBatch(records: readonly LogRecordInput[], firstOffset: number): EncodedBatch {
  const n = records.length;
  const ends = new Float64Array(n);
  const timestamps = new Float64Array(n);
  const headers: (readonly [Buffer, Uint8Array][])[] = new Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    if (typeof r !== 'object' || r === null) throw badArg(`record ${i}: not an object`);
    if (!(r.value instanceof Uint8Array)) throw badArg(`record ${i}: value must be a Uint8Array`);
    if (r.key !== null && !(r.key instanceof Uint8Array)) throw badArg(`record ${i}: key must be a Uint8Array or null`);
    if (typeof r.timestamp !== 'number' || !Number.isFinite(r.timestamp)) throw badArg(`record ${i}: timestamp must be a finite number`);
    const hs = encodeHeaders(r.headers, i);
    headers[i] = hs;
    let body = MIN_BODY_BYTES + (r.key === null ? 0 : r.key.length) + r.value.length;
    for (const [name, val] of hs) body += 6 + name.length + val.length;
    if (body > MAX_BODY_BYTES) throw badArg(`record ${i}: encoded size ${body} exceeds ${MAX_BODY_BYTES} bytes`);
    total += FRAME_HEADER_BYTES + body;
    ends[i] = total;
    timestamps[i] = r.timestamp;
  }
  const buf = Buffer.allocUnsafe(total);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const start = p;
    const bodyLen = ends[i] - start - FRAME_HEADER_BYTES;
    buf.writeUInt32LE(bodyLen, p);
    p += 8; // crc filled in below
    const off = firstOffset + i;
    buf.writeUInt32LE(off % TWO_32, p);
    buf.writeUInt32LE(Math.floor(off / TWO_32), p + 4);
    buf.writeDoubleLE(r.timestamp, p + 8);
    p += 16;
    if (r.key === null) {
      buf.writeInt32LE(-1, p);
      p += 4;
    } else {
      buf.writeInt32LE(r.key.length, p);
      buf.set(r.key, p + 4);
      p += 4 + r.key.length;
    }
    buf.writeInt32LE(r.value.length, p);
    buf.set(r.value, p + 4);
    p += 4 + r.value.length;
    const hs = headers[i];
    buf.writeUInt32LE(hs.length, p);
    p += 4;
    for (const [name, val] of hs) {
      buf.writeUInt16LE(name.length, p);
      buf.set(name, p + 2);
      p += 2 + name.length;
      buf.writeUInt32LE(val.length, p);
      buf.set(val, p + 4);
      p += 4 + val.length;
    }
    buf.writeUInt32LE(crc32(buf.subarray(start + FRAME_HEADER_BYTES, p)), start + 4);
  }
  return { buf, ends, timestamps, firstOffset };
}

/** Result of checking the frame at a position; see checkFrame. */
export const FRAME_INCOMPLETE = 0;
export const FRAME_BAD_LENGTH = -1;
export const FRAME_BAD_CRC = -2;
export const FRAME_BAD_LAYOUT = -3;

export function describeFrameProblem(code: number): string {
  switch (code) {
    case FRAME_INCOMPLETE:
      return 'partial frame';
    case FRAME_BAD_LENGTH:
      return 'invalid frame length';
    case FRAME_BAD_CRC:
      return 'crc mismatch';
    default:
      return 'invalid frame layout';
  }
}

/**
 * Validate the frame starting at `pos` with `avail` bytes of buf available
 * from there. Returns the total frame size (> 0) when it is complete and
 * intact, or one of the FRAME_* codes (<= 0).
 */
export function checkFrame(buf: Buffer, pos: number, avail: number): number {
  if (avail < FRAME_HEADER_BYTES) return FRAME_INCOMPLETE;
  const len = buf.readUInt32LE(pos);
  if (len < MIN_BODY_BYTES || len > MAX_BODY_BYTES) return FRAME_BAD_LENGTH;
  const total = FRAME_HEADER_BYTES + len;
  if (avail < total) return FRAME_INCOMPLETE;
  const body = pos + FRAME_HEADER_BYTES;
  if (crc32(buf.subarray(body, pos + total)) !== buf.readUInt32LE(pos + 4)) return FRAME_BAD_CRC;
  // walk the variable-length parts so that decodeFrame can trust them
  const end = pos + total;
  let p = body + 16;
  const keyLen = buf.readInt32LE(p);
  p += 4 + (keyLen === -1 ? 0 : keyLen);
  if (keyLen < -1 || p + 8 > end) return FRAME_BAD_LAYOUT;
  const valueLen = buf.readInt32LE(p);
  p += 4 + valueLen;
  if (valueLen < 0 || p + 4 > end) return FRAME_BAD_LAYOUT;
  const count = buf.readUInt32LE(p);
  p += 4;
  for (let i = 0; i < count; i++) {
    if (p + 2 > end) return FRAME_BAD_LAYOUT;
    p += 2 + buf.readUInt16LE(p);
    if (p + 4 > end) return FRAME_BAD_LAYOUT;
    p += 4 + buf.readUInt32LE(p);
  }
  return p === end ? total : FRAME_BAD_LAYOUT;
}

/** Total size of the frame at pos (length field + 8). */
export function frameSize(buf: Buffer, pos: number): number {
  return FRAME_HEADER_BYTES + buf.readUInt32LE(pos);
}

export function frameOffset(buf: Buffer, pos: number): number {
  return buf.readUInt32LE(pos + 8) + buf.readInt32LE(pos + 12) * TWO_32;
}

export function frameTimestamp(buf: Buffer, pos: number): number {
  return buf.readDoubleLE(pos + 16);
}

/** Decode a frame already validated by checkFrame; key/value/headers are views into buf. */
export function decodeFrame(buf: Buffer, pos: number, topic: string, partition: number): LogRecord {
  const ab = buf.buffer;
  const base = buf.byteOffset;
  const offset = buf.readUInt32LE(pos + 8) + buf.readInt32LE(pos + 12) * TWO_32;
  const timestamp = buf.readDoubleLE(pos + 16);
  let p = pos + 24;
  const keyLen = buf.readInt32LE(p);
  p += 4;
  let key: Uint8Array | null = null;
  if (keyLen >= 0) {
    key = new Uint8Array(ab, base + p, keyLen);
    p += keyLen;
  }
  const valueLen = buf.readInt32LE(p);
  p += 4;
  const value = new Uint8Array(ab, base + p, valueLen);
  p += valueLen;
  const count = buf.readUInt32LE(p);
  p += 4;
  const headers: Record<string, Uint8Array> = {};
  for (let i = 0; i < count; i++) {
    const nameLen = buf.readUInt16LE(p);
    const name = buf.toString('utf8', p + 2, p + 2 + nameLen);
    p += 2 + nameLen;
    const vl = buf.readUInt32LE(p);
    headers[name] = new Uint8Array(ab, base + p + 4, vl);
    p += 4 + vl;
  }
  return { topic, partition, offset, timestamp, key, value, headers };
}
