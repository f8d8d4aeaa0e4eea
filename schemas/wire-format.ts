/**
 * Confluent wire format: one record is
 *
 *   byte 0      magic byte, always 0
 *   bytes 1..4  schema id, unsigned 32-bit big-endian
 *   bytes 5..   Avro binary encoding of the record (no length prefix, no container header)
 */
export const MAGIC_BYTE = 0;
export const HEADER_SIZE = 5;
export const MAX_SCHEMA_ID = 0x7fffffff;

/** View any Uint8Array as a Buffer over the same memory (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export type HeaderResult = { ok: true; schemaId: number } | { ok: false; reason: string };

/** Check the header and read the schema id. Never throws. */
export function readHeader(bytes: Uint8Array): HeaderResult {
  const problem = headerProblem(bytes);
  if (problem !== undefined) return { ok: false, reason: problem };
  return { ok: true, schemaId: readSchemaId(bytes) };
}

/** The reason the header is unusable, or undefined when it is fine. */
export function headerProblem(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  if (n > 0 && bytes[0] !== MAGIC_BYTE) {
    return `bad magic byte 0x${hex2(bytes[0] ?? 0)} (expected 0x00 followed by a 4-byte schema id)`;
  }
  if (n < HEADER_SIZE) return `too short: ${n} byte${n === 1 ? '' : 's'}, a record needs at least ${HEADER_SIZE} (magic byte + 4-byte schema id)`;
  return undefined;
}

/** Schema id of a record whose header is known to be valid. */
export function readSchemaId(bytes: Uint8Array): number {
  return ((bytes[1] ?? 0) * 0x1000000) + (((bytes[2] ?? 0) << 16) | ((bytes[3] ?? 0) << 8) | (bytes[4] ?? 0));
}

/** Write the 5-byte header into `target` at offset 0. */
export function writeHeader(target: Uint8Array, schemaId: number): void {
  target[0] = MAGIC_BYTE;
  target[1] = (schemaId >>> 24) & 0xff;
  target[2] = (schemaId >>> 16) & 0xff;
  target[3] = (schemaId >>> 8) & 0xff;
  target[4] = schemaId & 0xff;
}

/** Header + body in one new buffer. */
export function frame(schemaId: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + body.length);
  writeHeader(out, schemaId);
  out.set(body, HEADER_SIZE);
  return out;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
