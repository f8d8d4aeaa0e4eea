/**
 * On-disk embedding cache: the vector of (text, model version) survives
 * restarts, so a model only ever embeds a text once per version.
 *
 * Storage, and why: one append-only file per model version,
 * `<dir>/<version>.<sha256(version)[:12]>.emb`:
 *
 *   header   'MFEC' | u32 format (1) | u32 dim | u32 n | n bytes of UTF-8 model version
 *   record   32-byte key | dim × f32 (little-endian) | u32 crc32(key + floats)
 *
 * key = sha256(text + "\0" + model version). Records have a fixed size, so
 * the file needs no framing: on open the index (key → offset) is rebuilt by
 * one sequential scan; a crash can only tear the record being appended, which
 * the scan finds (file length not on a record boundary) and truncates away; a
 * record whose crc fails (a torn page, a zero-filled hole after an OS crash)
 * is skipped. The header is written to a temp file and renamed into place, so
 * it is never torn. Every read checks the record's key and crc again, so a
 * stale offset can only produce a miss, never a wrong vector. This costs one
 * `write` per batch, no fsync (an OS crash may lose the latest entries, which
 * are recomputed: it is a cache) and no compaction (records are never
 * overwritten: a vector of one text under one version never changes).
 * One file per version makes a version bump a new, empty file and purging old
 * versions a file deletion (`purgeOtherVersions`), with nothing to rewrite.
 * One file per entry (atomic rename each) would cost a rename and an inode
 * per vector, and a single file of all versions would need compaction.
 *
 * One process owns a cache folder at a time (appends use O_APPEND, so a
 * second writer cannot tear records, but its entries are not seen until the
 * file is reopened). One folder holds the versions of one model: purging
 * removes every other version file in it.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { MaasflowError } from '../engine/errors.ts';

const MAGIC = 'MFEC';
const FORMAT = 1;
const KEY_BYTES = 32;
const EXT = '.emb';
/** Records read per chunk while rebuilding the index. */
const SCAN_RECORDS = 4096;

export interface EmbeddingCacheOptions {
  /** Folder of the cache files (created if missing); one folder per model. */
  dir: string;
  /** Model id and version: part of every key and of the file name. */
  modelVersion: string;
  /** Vector length; a file of this version with another dim is a configuration error. */
  dim: number;
}

/** What opening the file found and repaired. */
export interface CacheRecovery {
  /** Bytes of a torn last record cut off the end. */
  tornBytes: number;
  /** Whole records skipped because their crc did not match. */
  badRecords: number;
}

/** File name for a version: readable prefix plus a hash, so distinct versions never share a file. */
export function cacheFileName(modelVersion: string): string {
  const readable = modelVersion.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const hash = createHash('sha256').update(modelVersion).digest('hex').slice(0, 12);
  return `${readable}.${hash}${EXT}`;
}

function headerBytes(modelVersion: string, dim: number): Buffer {
  const version = Buffer.from(modelVersion, 'utf8');
  const h = Buffer.alloc(16 + version.length);
  h.write(MAGIC, 0, 'latin1');
  h.writeUInt32LE(FORMAT, 4);
  h.writeUInt32LE(dim, 8);
  h.writeUInt32LE(version.length, 12);
  version.copy(h, 16);
  return h;
}

function readHeader(fd: number, file: string): { dim: number; modelVersion: string; length: number } {
  const fixed = Buffer.alloc(16);
  const bad = (why: string) => new MaasflowError('CONFIG', `${file} is not a maasflow embedding cache file (${why})`, { location: { file } });
  if (readSync(fd, fixed, 0, 16, 0) !== 16 || fixed.toString('latin1', 0, 4) !== MAGIC) throw bad('bad magic');
  if (fixed.readUInt32LE(4) !== FORMAT) throw bad(`format ${fixed.readUInt32LE(4)}, expected ${FORMAT}`);
  const n = fixed.readUInt32LE(12);
  const version = Buffer.alloc(n);
  if (readSync(fd, version, 0, n, 16) !== n) throw bad('truncated header');
  return { dim: fixed.readUInt32LE(8), modelVersion: version.toString('utf8'), length: 16 + n };
}

export class EmbeddingCache {
  readonly dir: string;
  readonly modelVersion: string;
  readonly dim: number;
  readonly file: string;
  /** What open found and repaired in the file. */
  readonly recovery: CacheRecovery;

  private readonly recordBytes: number;
  private readonly index = new Map<string, number>();
  private fd: number | undefined;
  private end: number;

  constructor(o: EmbeddingCacheOptions) {
    if (!Number.isInteger(o.dim) || o.dim <= 0) throw new MaasflowError('CONFIG', `EmbeddingCache: dim must be a positive integer, got ${o.dim}`);
    if (o.modelVersion === '') throw new MaasflowError('CONFIG', 'EmbeddingCache: modelVersion must not be empty');
    // records are raw Float32Array bytes, defined as little-endian
    if (endianness() !== 'LE') throw new MaasflowError('RUNTIME', 'EmbeddingCache: needs a little-endian machine');
    this.dir = o.dir;
    this.modelVersion = o.modelVersion;
    this.dim = o.dim;
    this.recordBytes = KEY_BYTES + 4 * o.dim + 4;
    mkdirSync(o.dir, { recursive: true });
    this.file = join(o.dir, cacheFileName(o.modelVersion));
    if (!existsSync(this.file)) this.create();
    const fd = openSync(this.file, 'a+');
    try {
      const header = readHeader(fd, this.file);
      if (header.modelVersion !== o.modelVersion) {
        throw new MaasflowError('CONFIG', `${this.file} holds model version ${JSON.stringify(header.modelVersion)}, not ${JSON.stringify(o.modelVersion)}`, { location: { file: this.file } });
      }
      if (header.dim !== o.dim) {
        throw new MaasflowError('CONFIG', `${this.file} holds ${header.dim}-dim vectors for model version ${JSON.stringify(o.modelVersion)}, not ${o.dim}`, { location: { file: this.file } });
      }
      const { end, recovery } = this.scan(fd, header.length);
      this.end = end;
      this.recovery = recovery;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fd = fd;
  }

  /** Writes the header to a temp file and renames it into place: the file exists whole or not at all. */
  private create(): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, headerBytes(this.modelVersion, this.dim));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }

  /** Rebuilds the index; cuts a torn last record; skips records whose crc fails. */
  private scan(fd: number, start: number): { end: number; recovery: CacheRecovery } {
    const size = fstatSync(fd).size;
    const R = this.recordBytes;
    const whole = Math.floor((size - start) / R);
    const end = start + whole * R;
    let badRecords = 0;
    const chunk = Buffer.alloc(R * Math.min(SCAN_RECORDS, Math.max(whole, 1)));
    for (let at = start; at < end; ) {
      const n = Math.min(chunk.length, end - at);
      readFully(fd, chunk, n, at);
      for (let off = 0; off < n; off += R) {
        const rec = chunk.subarray(off, off + R);
        if (!recordOk(rec)) badRecords++;
        else this.index.set(rec.toString('hex', 0, KEY_BYTES), at + off);
      }
      at += n;
    }
    const tornBytes = size - end;
    if (tornBytes > 0) ftruncateSync(fd, end);
    return { end, recovery: { tornBytes, badRecords } };
  }

  /** sha256(text + "\0" + model version). */
  key(text: string): Buffer {
    return createHash('sha256').update(text).update('\0').update(this.modelVersion).digest();
  }

  /** Entries in the index. */
  get size(): number {
    return this.index.size;
  }

  has(text: string): boolean {
    return this.index.has(this.key(text).toString('hex'));
  }

  /** The cached vector of `text` (a fresh copy, bit-identical to what was put), or undefined. */
  get(text: string): Float32Array | undefined {
    const fd = this.open();
    const key = this.key(text);
    const hex = key.toString('hex');
    const at = this.index.get(hex);
    if (at === undefined) return undefined;
    const rec = Buffer.alloc(this.recordBytes);
    readFully(fd, rec, rec.length, at);
    if (!recordOk(rec) || !rec.subarray(0, KEY_BYTES).equals(key)) {
      this.index.delete(hex); // cannot happen with one writer; a miss is always safe
      return undefined;
    }
    const v = new Float32Array(this.dim);
    new Uint8Array(v.buffer).set(rec.subarray(KEY_BYTES, KEY_BYTES + 4 * this.dim));
    return v;
  }

  getMany(texts: readonly string[]): (Float32Array | undefined)[] {
    return texts.map((t) => this.get(t));
  }

  put(text: string, vector: Float32Array): void {
    this.putMany([[text, vector]]);
  }

  /** Appends the entries not yet cached, in one write. */
  putMany(entries: readonly (readonly [string, Float32Array])[]): void {
    const fd = this.open();
    const R = this.recordBytes;
    const fresh = new Map<string, [Buffer, Float32Array]>();
    for (const [text, vector] of entries) {
      if (vector.length !== this.dim) {
        throw new MaasflowError('CONFIG', `EmbeddingCache(${this.modelVersion}): vector of length ${vector.length} for a ${this.dim}-dim cache`);
      }
      const key = this.key(text);
      const hex = key.toString('hex');
      if (!this.index.has(hex) && !fresh.has(hex)) fresh.set(hex, [key, vector]);
    }
    if (fresh.size === 0) return;
    const buf = Buffer.alloc(R * fresh.size);
    let off = 0;
    for (const [key, vector] of fresh.values()) {
      key.copy(buf, off);
      Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(buf, off + KEY_BYTES);
      buf.writeUInt32LE(crc32(buf.subarray(off, off + R - 4)), off + R - 4);
      off += R;
    }
    writeAll(fd, buf);
    off = 0;
    for (const hex of fresh.keys()) {
      this.index.set(hex, this.end + off);
      off += R;
    }
    this.end += buf.length;
  }

  /**
   * Deletes the files of every other model version in this folder (and temp
   * files left by a crash during creation); returns their names. Old versions
   * are never purged implicitly: a rollback to the previous version keeps its
   * cache until this is called.
   */
  purgeOtherVersions(): string[] {
    const mine = cacheFileName(this.modelVersion);
    const removed: string[] = [];
    for (const name of readdirSync(this.dir)) {
      if (name === mine || !(name.endsWith(EXT) || name.includes(`${EXT}.tmp-`))) continue;
      rmSync(join(this.dir, name), { force: true });
      removed.push(name);
    }
    return removed.sort();
  }

  /** Flushes to disk and closes the file; later calls throw. */
  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    if (this.fd === undefined) throw new MaasflowError('RUNTIME', `EmbeddingCache(${this.modelVersion}) is closed`);
    return this.fd;
  }
}

function recordOk(rec: Buffer): boolean {
  return crc32(rec.subarray(0, rec.length - 4)) === rec.readUInt32LE(rec.length - 4);
}

function readFully(fd: number, buf: Buffer, length: number, position: number): void {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new MaasflowError('RUNTIME', `EmbeddingCache: unexpected end of file at ${position + got}`);
    got += n;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
}

/** A text embedder, as the built-in embedder and the model registry give them. */
export interface EmbedderLike {
  readonly id: string;
  readonly dim: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export interface CacheStats {
  /** Texts served from the cache. */
  hits: number;
  /** Texts not in the cache when asked for. */
  misses: number;
  /** Texts sent to the model (misses less duplicates within a call). */
  embedded: number;
}

export interface CachedEmbedder extends EmbedderLike {
  stats(): CacheStats;
}

/**
 * `embedder` behind `cache`: hits come from disk; the misses of a call go to
 * the model in one batch (each distinct text once), are stored, and every
 * result comes back in input order. The cache must be for this embedder's id
 * and dim, or old vectors of another model would be served.
 */
export function cachedEmbedder(embedder: EmbedderLike, cache: EmbeddingCache): CachedEmbedder {
  if (cache.modelVersion !== embedder.id) {
    throw new MaasflowError('CONFIG', `cachedEmbedder: cache is for model version ${JSON.stringify(cache.modelVersion)}, embedder is ${JSON.stringify(embedder.id)}`);
  }
  if (cache.dim !== embedder.dim) throw new MaasflowError('CONFIG', `cachedEmbedder: cache dim ${cache.dim}, embedder ${embedder.id} dim ${embedder.dim}`);
  const stats: CacheStats = { hits: 0, misses: 0, embedded: 0 };
  return {
    id: embedder.id,
    dim: embedder.dim,
    stats: () => ({ ...stats }),
    async embed(texts) {
      const out: (Float32Array | undefined)[] = cache.getMany(texts);
      const missing = new Map<string, number[]>();
      let hits = 0;
      out.forEach((v, i) => {
        if (v) hits++;
        else if (missing.has(texts[i]!)) missing.get(texts[i]!)!.push(i);
        else missing.set(texts[i]!, [i]);
      });
      stats.hits += hits;
      stats.misses += texts.length - hits;
      if (missing.size === 0) return out as Float32Array[];
      const todo = [...missing.keys()];
      stats.embedded += todo.length;
      const vectors = await embedder.embed(todo);
      if (vectors.length !== todo.length) {
        throw new MaasflowError('RUNTIME', `cachedEmbedder: ${embedder.id} returned ${vectors.length} vectors for ${todo.length} texts`);
      }
      cache.putMany(todo.map((t, j) => [t, vectors[j]!] as const));
      todo.forEach((t, j) => {
        const at = missing.get(t)!;
        out[at[0]!] = vectors[j]!;
        for (const i of at.slice(1)) out[i] = vectors[j]!.slice();
      });
      return out as Float32Array[];
    },
  };
}
