/**
 * Reads a GGUF file's header, metadata and tensor infos without reading the
 * tensor data: the file is read in small chunks from the start, only as far
 * as the tensor-info table ends. The tensor data section is only measured:
 * `dataEnd` against `fileSize` tells a truncated file (see validate.ts).
 *
 * Format (little-endian): "GGUF", u32 version, u64 tensor count, u64 kv
 * count, kv pairs (string key, u32 type, value), tensor infos (string name,
 * u32 n_dims, u64 dims[n_dims], u32 ggml type, u64 offset), padding to
 * `general.alignment` (default 32), tensor data.
 */
import fs from 'node:fs/promises';
import { MaasflowError } from '../../engine/errors.ts';

/** GGUF metadata value types. */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

const TYPE_NAMES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'];
export function ggufTypeName(t: number): string {
  return TYPE_NAMES[t] ?? `unknown(${t})`;
}
/** Byte size of a fixed-size value type (0 for string/array). */
const SCALAR_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];

/** 64-bit integers are bigints; other numbers are numbers; arrays are JS arrays. */
export type GgufScalar = number | bigint | boolean | string;
export type GgufValue = GgufScalar | GgufValue[];

export interface GgufEntry {
  key: string;
  type: GgufValueType;
  /** For arrays: the item type. */
  itemType?: GgufValueType;
  value: GgufValue;
}

/** ggml tensor types: [name, elements per block, bytes per block] (from ggml_blck_size / ggml_type_size). */
export const GGML_TYPES: Readonly<Record<number, readonly [string, number, number]>> = {
  0: ['F32', 1, 4], 1: ['F16', 1, 2], 2: ['Q4_0', 32, 18], 3: ['Q4_1', 32, 20], 6: ['Q5_0', 32, 22],
  7: ['Q5_1', 32, 24], 8: ['Q8_0', 32, 34], 9: ['Q8_1', 32, 36], 10: ['Q2_K', 256, 84], 11: ['Q3_K', 256, 110],
  12: ['Q4_K', 256, 144], 13: ['Q5_K', 256, 176], 14: ['Q6_K', 256, 210], 15: ['Q8_K', 256, 292],
  16: ['IQ2_XXS', 256, 66], 17: ['IQ2_XS', 256, 74], 18: ['IQ3_XXS', 256, 98], 19: ['IQ1_S', 256, 50],
  20: ['IQ4_NL', 32, 18], 21: ['IQ3_S', 256, 110], 22: ['IQ2_S', 256, 82], 23: ['IQ4_XS', 256, 136],
  24: ['I8', 1, 1], 25: ['I16', 1, 2], 26: ['I32', 1, 4], 27: ['I64', 1, 8], 28: ['F64', 1, 8],
  29: ['IQ1_M', 256, 56], 30: ['BF16', 1, 2], 34: ['TQ1_0', 256, 54], 35: ['TQ2_0', 256, 66],
  39: ['MXFP4', 32, 17], 40: ['NVFP4', 64, 36], 41: ['Q1_0', 128, 18], 42: ['Q2_0', 64, 18],
};

export interface GgufTensorInfo {
  name: string;
  /** ne0 (innermost) first, as stored. */
  dims: number[];
  /** ggml type id (0 = F32). */
  type: number;
  /** e.g. 'F32'; `unknown(N)` for a type this reader does not know. */
  typeName: string;
  /** Offset relative to the start of the data section. */
  offset: number;
  /** Bytes of data; NaN when the type is unknown. */
  nBytes: number;
}

export interface GgufFile {
  path: string;
  version: number;
  fileSize: number;
  metadata: ReadonlyMap<string, GgufEntry>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset where tensor data begins. */
  dataOffset: number;
  /** Absolute offset just past the last tensor's data (what the file's size must reach). */
  dataEnd: number;
}

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
const MAX_DIMS = 4;
const CHUNK = 64 * 1024;

/** Sequential little-endian reader over a file handle, refilling a buffer on demand. */
class ChunkReader {
  private buf = Buffer.alloc(0);
  private start = 0; // file offset of buf[0]
  private pos = 0; // position inside buf

  constructor(private readonly fh: fs.FileHandle, readonly size: number, private readonly file: string) {}

  get offset(): number {
    return this.start + this.pos;
  }
  get remaining(): number {
    return this.size - this.offset;
  }

  fail(what: string): never {
    throw new MaasflowError('MODEL_INVALID', `${this.file}: GGUF file ends at byte ${this.size} while reading ${what} (truncated or not a GGUF file)`, { location: { file: this.file } });
  }

  private async ensure(n: number, what: string): Promise<void> {
    if (this.pos + n <= this.buf.length) return;
    if (this.offset + n > this.size) this.fail(what);
    const keep = this.buf.subarray(this.pos);
    const want = Math.max(n, CHUNK);
    const next = Buffer.allocUnsafe(Math.min(want, this.size - this.offset));
    keep.copy(next, 0);
    let filled = keep.length;
    while (filled < n) {
      const { bytesRead } = await this.fh.read(next, filled, next.length - filled, this.offset + filled);
      if (bytesRead === 0) this.fail(what);
      filled += bytesRead;
    }
    this.start = this.offset;
    this.buf = next.subarray(0, filled);
    this.pos = 0;
  }

  async u32(what: string): Promise<number> {
    await this.ensure(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  async u64(what: string): Promise<number> {
    await this.ensure(8, what);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new MaasflowError('MODEL_INVALID', `${this.file}: ${what} is ${v}, beyond any file size (corrupt GGUF)`, { location: { file: this.file } });
    }
    return Number(v);
  }

  async string(what: string): Promise<string> {
    const len = await this.u64(`${what} (length)`);
    if (len > this.remaining) {
      throw new MaasflowError('MODEL_INVALID', `${this.file}: ${what} has length ${len} but only ${this.remaining} bytes remain (truncated or corrupt GGUF)`, { location: { file: this.file } });
    }
    await this.ensure(len, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  async scalar(type: number, what: string): Promise<GgufScalar> {
    if (type === GgufValueType.STRING) return this.string(what);
    const size = SCALAR_SIZE[type] ?? 0;
    if (size === 0) {
      throw new MaasflowError('MODEL_INVALID', `${this.file}: ${what} has unknown GGUF value type ${type}`, { location: { file: this.file } });
    }
    await this.ensure(size, what);
    return this.scalarSync(type);
  }

  async value(type: number, what: string): Promise<{ value: GgufValue; itemType?: GgufValueType }> {
    if (type !== GgufValueType.ARRAY) return { value: await this.scalar(type, what) };
    const itemType = await this.u32(`${what} (array item type)`);
    const n = await this.u64(`${what} (array length)`);
    const minItem = itemType === GgufValueType.STRING || itemType === GgufValueType.ARRAY ? 8 : (SCALAR_SIZE[itemType] ?? 1);
    if (n * minItem > this.remaining) {
      throw new MaasflowError('MODEL_INVALID', `${this.file}: ${what} is an array of ${n} items, more than the ${this.remaining} bytes left hold (truncated or corrupt GGUF)`, { location: { file: this.file } });
    }
    const items: GgufValue[] = new Array(n);
    const size = SCALAR_SIZE[itemType] ?? 0;
    for (let i = 0; i < n; ) {
      // Fast paths (vocabularies hold 100k+ items): whatever is already buffered is read without awaiting.
      if (size > 0) {
        const batch = Math.min(n - i, Math.max(1, Math.floor(CHUNK / size)));
        await this.ensure(batch * size, `${what}[${i}]`);
        for (const end = i + batch; i < end; i++) items[i] = this.scalarSync(itemType);
      } else if (itemType === GgufValueType.STRING) {
        items[i] = this.stringSync() ?? (await this.string(`${what}[${i}]`));
        i++;
      } else {
        items[i] = (await this.value(itemType, `${what}[${i}]`)).value;
        i++;
      }
    }
    return { value: items, itemType: itemType as GgufValueType };
  }

  /** A buffered string, or undefined when it is not wholly in the buffer. */
  private stringSync(): string | undefined {
    if (this.pos + 8 > this.buf.length) return undefined;
    const len = this.buf.readBigUInt64LE(this.pos);
    if (BigInt(this.pos + 8) + len > BigInt(this.buf.length)) return undefined;
    const start = this.pos + 8;
    this.pos = start + Number(len);
    return this.buf.toString('utf8', start, this.pos);
  }

  /** A fixed-size scalar already ensured in the buffer. */
  private scalarSync(type: number): GgufScalar {
    const b = this.buf;
    const p = this.pos;
    this.pos += SCALAR_SIZE[type]!;
    switch (type) {
      case GgufValueType.UINT8: return b.readUInt8(p);
      case GgufValueType.INT8: return b.readInt8(p);
      case GgufValueType.UINT16: return b.readUInt16LE(p);
      case GgufValueType.INT16: return b.readInt16LE(p);
      case GgufValueType.UINT32: return b.readUInt32LE(p);
      case GgufValueType.INT32: return b.readInt32LE(p);
      case GgufValueType.FLOAT32: return b.readFloatLE(p);
      case GgufValueType.BOOL: return b.readUInt8(p) !== 0;
      case GgufValueType.UINT64: return b.readBigUInt64LE(p);
      case GgufValueType.INT64: return b.readBigInt64LE(p);
      default: return b.readDoubleLE(p);
    }
  }
}

/**
 * Reads header, metadata and tensor infos of the GGUF file at `path`.
 * Throws MaasflowError 'MODEL_INVALID' (naming the file) when the file is not
 * GGUF or its header/metadata/tensor table is cut short or corrupt; a file
 * whose tensor data is cut short reads fine (dataEnd > fileSize).
 */
export async function readGguf(path: string): Promise<GgufFile> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (err) {
    throw new MaasflowError('MODEL_INVALID', `${path}: cannot open model file: ${(err as Error).message}`, { location: { file: path }, cause: err });
  }
  try {
    const size = (await fh.stat()).size;
    const r = new ChunkReader(fh, size, path);
    if (size < 4) r.fail('the magic');
    const magic = await r.u32('the magic');
    if (magic !== GGUF_MAGIC) {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32LE(magic);
      throw new MaasflowError('MODEL_INVALID', `${path}: not a GGUF file (magic ${JSON.stringify(bytes.toString('latin1'))}, expected "GGUF")`, { location: { file: path } });
    }
    const version = await r.u32('the version');
    if (version < 2 || version > 3) {
      throw new MaasflowError('MODEL_INVALID', `${path}: GGUF version ${version} is not supported (2 or 3)`, { location: { file: path } });
    }
    const nTensors = await r.u64('the tensor count');
    const nKv = await r.u64('the metadata count');
    // Each kv takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least 8 + 4 + 4 + 8.
    if (nKv * 13 > r.remaining || nTensors * 24 > r.remaining) {
      throw new MaasflowError('MODEL_INVALID', `${path}: GGUF header claims ${nKv} metadata entries and ${nTensors} tensors, more than the file holds (truncated or corrupt)`, { location: { file: path } });
    }

    const metadata = new Map<string, GgufEntry>();
    for (let i = 0; i < nKv; i++) {
      const key = await r.string(`metadata key #${i}`);
      const type = await r.u32(`the type of metadata key '${key}'`);
      if (type > GgufValueType.FLOAT64) {
        throw new MaasflowError('MODEL_INVALID', `${path}: metadata key '${key}' has unknown GGUF value type ${type}`, { location: { file: path, path: key } });
      }
      const { value, itemType } = await r.value(type, `metadata key '${key}'`);
      if (metadata.has(key)) {
        throw new MaasflowError('MODEL_INVALID', `${path}: metadata key '${key}' appears twice`, { location: { file: path, path: key } });
      }
      metadata.set(key, itemType === undefined ? { key, type: type as GgufValueType, value } : { key, type: type as GgufValueType, itemType, value });
    }

    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = await r.string(`tensor name #${i}`);
      const nDims = await r.u32(`the dimension count of tensor '${name}'`);
      if (nDims > MAX_DIMS) {
        throw new MaasflowError('MODEL_INVALID', `${path}: tensor '${name}' has ${nDims} dimensions (at most ${MAX_DIMS})`, { location: { file: path, path: name } });
      }
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) dims.push(await r.u64(`dimension ${d} of tensor '${name}'`));
      const type = await r.u32(`the type of tensor '${name}'`);
      const offset = await r.u64(`the offset of tensor '${name}'`);
      const traits = GGML_TYPES[type];
      const elements = dims.reduce((a, b) => a * b, 1);
      const nBytes = traits ? (elements / traits[1]) * traits[2] : Number.NaN;
      tensors.push({ name, dims, type, typeName: traits ? traits[0] : `unknown(${type})`, offset, nBytes });
    }

    const alignEntry = metadata.get('general.alignment');
    const alignment = alignEntry && typeof alignEntry.value === 'number' ? alignEntry.value : 32;
    const pad = (n: number) => (alignment > 0 ? Math.ceil(n / alignment) * alignment : n);
    const dataOffset = nTensors > 0 ? pad(r.offset) : r.offset;
    let dataEnd = dataOffset;
    for (const t of tensors) dataEnd = Math.max(dataEnd, dataOffset + t.offset + (Number.isFinite(t.nBytes) ? t.nBytes : 0));
    return { path, version, fileSize: size, metadata, tensors, alignment, dataOffset, dataEnd };
  } finally {
    await fh.close();
  }
}

/** The value of `key`, or undefined. */
export function ggufValue(file: GgufFile, key: string): GgufValue | undefined {
  return file.metadata.get(key)?.value;
}

/** Plain-object view of the metadata (bigints stay bigints), handy for logging and snapshots. */
export function ggufMetadataObject(file: GgufFile): Record<string, GgufValue> {
  const out: Record<string, GgufValue> = {};
  for (const [k, e] of file.metadata) out[k] = e.value;
  return out;
}
