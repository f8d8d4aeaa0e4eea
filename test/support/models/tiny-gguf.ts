/**
 * Writes a tiny llama-architecture GGUF v3 model (~500 KB, F32) that
 * node-llama-cpp loads and runs: 64-dim, 2 layers, 4 heads, a SentencePiece
 * ("llama") vocabulary of <unk>, <s>, </s>, 256 <0xXX> byte tokens, the
 * letters a-z and word pieces whose every prefix is also a token.
 *
 * The weights are seeded random, shaped so greedy decoding is readable: the
 * embedding and output matrices encode a bigram cycle over the words of
 * TINY_GGUF.words ("the quick brown fox jumps over a lazy dog."), and the
 * attention/MLP layers add a seeded, context-dependent perturbation on top.
 *
 * Options make broken files for tests: `omitKeys` drops metadata keys,
 * `setKeys` adds or replaces some, `truncateAt` cuts the file after that
 * many bytes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { GgufValueType } from '../../../models/gguf/reader.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';

export const TINY_GGUF = {
  embeddingLength: 64,
  blockCount: 2,
  headCount: 4,
  headCountKv: 4,
  feedForwardLength: 128,
  contextLength: 512,
  rmsEps: 1e-5,
  alignment: 32,
  /** The bigram cycle the output layer encodes (SentencePiece "▁" = space). */
  words: ['▁the', '▁quick', '▁brown', '▁fox', '▁jumps', '▁over', '▁a', '▁lazy', '▁dog', '.'],
} as const;

export interface TinyGgufOptions {
  /** Weight seed (default 1). */
  seed?: number;
  /** Metadata keys to leave out (to make a metadata-broken file). */
  omitKeys?: readonly string[];
  /** Metadata entries to add, or to replace (same key) in place. */
  setKeys?: readonly GgufKvInput[];
  /** Keep only the first `truncateAt` bytes of the file. */
  truncateAt?: number;
  /** Scale of the attention/MLP weights: 0 gives a pure bigram model (default 0.4). */
  layerScale?: number;
  /** Leave out output.weight (llama.cpp then ties the output to token_embd; greedy output soon repeats one token). */
  tiedOutput?: boolean;
}

/** A metadata entry to write. */
export type GgufKvInput =
  | { key: string; type: Exclude<GgufValueType, 9>; value: number | string | boolean }
  | { key: string; type: 9; itemType: GgufValueType; value: readonly (number | string)[] };

const T = GgufValueType;

/** The vocabulary: tokens, scores and token types (1 normal, 2 unknown, 3 control, 6 byte). */
export function tinyVocab(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const pieces = new Set<string>(['▁']);
  for (let c = 97; c <= 122; c++) pieces.add(String.fromCharCode(c));
  for (const w of TINY_GGUF.words) {
    const chars = [...w];
    for (let i = 1; i <= chars.length; i++) pieces.add(chars.slice(0, i).join(''));
  }
  for (const p of pieces) {
    tokens.push(p);
    types.push(1);
  }
  // SentencePiece merges prefer higher scores: longer pieces score higher.
  const scores = tokens.map((t, i) => (types[i] === 1 ? [...t].length - i / 1000 : 0));
  return { tokens, scores, types };
}

class Sink {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  scalar(type: number, v: number | string | boolean): void {
    const b = Buffer.alloc(type === T.UINT64 || type === T.INT64 || type === T.FLOAT64 ? 8 : type === T.UINT32 || type === T.INT32 || type === T.FLOAT32 ? 4 : type === T.UINT16 || type === T.INT16 ? 2 : 1);
    switch (type) {
      case T.STRING: return this.str(String(v));
      case T.UINT8: b.writeUInt8(Number(v)); break;
      case T.INT8: b.writeInt8(Number(v)); break;
      case T.UINT16: b.writeUInt16LE(Number(v)); break;
      case T.INT16: b.writeInt16LE(Number(v)); break;
      case T.UINT32: b.writeUInt32LE(Number(v)); break;
      case T.INT32: b.writeInt32LE(Number(v)); break;
      case T.FLOAT32: b.writeFloatLE(Number(v)); break;
      case T.BOOL: b.writeUInt8(v ? 1 : 0); break;
      case T.UINT64: b.writeBigUInt64LE(BigInt(Number(v))); break;
      case T.INT64: b.writeBigInt64LE(BigInt(Number(v))); break;
      case T.FLOAT64: b.writeDoubleLE(Number(v)); break;
      default: throw new Error(`tiny-gguf: cannot write value type ${type}`);
    }
    this.push(b);
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    if (n) this.push(Buffer.alloc(n));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

export interface Tensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** The metadata key/values and tensors of the tiny model for `seed`. */
export function tinyGgufContents(o: Pick<TinyGgufOptions, 'seed' | 'layerScale' | 'tiedOutput'> = {}): { kvs: GgufKvInput[]; tensors: Tensor[] } {
  const { embeddingLength: d, blockCount, headCount, headCountKv, feedForwardLength: ff } = TINY_GGUF;
  const vocab = tinyVocab();
  const n = vocab.tokens.length;
  const rng = new SplitMix32(o.seed ?? 1);
  const gauss = (): number => {
    const u = 1 - rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
  };

  const kvs: GgufKvInput[] = [
    { key: 'general.architecture', type: T.STRING, value: 'llama' },
    { key: 'general.name', type: T.STRING, value: 'maasflow-tiny-llama' },
    { key: 'general.alignment', type: T.UINT32, value: TINY_GGUF.alignment },
    { key: 'general.file_type', type: T.UINT32, value: 0 },
    { key: 'llama.context_length', type: T.UINT32, value: TINY_GGUF.contextLength },
    { key: 'llama.embedding_length', type: T.UINT32, value: d },
    { key: 'llama.block_count', type: T.UINT32, value: blockCount },
    { key: 'llama.feed_forward_length', type: T.UINT32, value: ff },
    { key: 'llama.attention.head_count', type: T.UINT32, value: headCount },
    { key: 'llama.attention.head_count_kv', type: T.UINT32, value: headCountKv },
    { key: 'llama.attention.layer_norm_rms_epsilon', type: T.FLOAT32, value: TINY_GGUF.rmsEps },
    { key: 'llama.rope.dimension_count', type: T.UINT32, value: d / headCount },
    { key: 'llama.rope.freq_base', type: T.FLOAT32, value: 10000 },
    { key: 'llama.vocab_size', type: T.UINT32, value: n },
    { key: 'tokenizer.ggml.model', type: T.STRING, value: 'llama' },
    { key: 'tokenizer.ggml.tokens', type: T.ARRAY, itemType: T.STRING, value: vocab.tokens },
    { key: 'tokenizer.ggml.scores', type: T.ARRAY, itemType: T.FLOAT32, value: vocab.scores },
    { key: 'tokenizer.ggml.token_type', type: T.ARRAY, itemType: T.INT32, value: vocab.types },
    { key: 'tokenizer.ggml.bos_token_id', type: T.UINT32, value: 1 },
    { key: 'tokenizer.ggml.eos_token_id', type: T.UINT32, value: 2 },
    { key: 'tokenizer.ggml.unknown_token_id', type: T.UINT32, value: 0 },
    { key: 'tokenizer.ggml.add_bos_token', type: T.BOOL, value: true },
    { key: 'tokenizer.ggml.add_eos_token', type: T.BOOL, value: false },
  ];

  // Embeddings: d-1 gaussian dims plus a constant one, so every word of the
  // cycle gets a bonus in the output layer and any token is followed by a word.
  const bonus = 3;
  const emb = new Float32Array(n * d);
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < d - 1; j++) emb[t * d + j] = gauss();
    emb[t * d + d - 1] = bonus;
  }
  // Output row of word w[i+1] = embedding of word w[i]: after w[i], w[i+1] scores highest.
  const out = new Float32Array(n * d);
  const ids = TINY_GGUF.words.map((w) => vocab.tokens.indexOf(w));
  for (let i = 0; i < ids.length; i++) {
    const prev = ids[i]!;
    const next = ids[(i + 1) % ids.length]!;
    out.set(emb.subarray(prev * d, prev * d + d), next * d);
  }

  const ones = (len: number) => new Float32Array(len).fill(1);
  const random = (len: number, fanIn: number) => {
    const a = new Float32Array(len);
    const std = (o.layerScale ?? 0.4) * Math.sqrt(12 / fanIn);
    for (let i = 0; i < len; i++) a[i] = gauss() * std;
    return a;
  };
  const tensors: Tensor[] = [{ name: 'token_embd.weight', dims: [d, n], data: emb }];
  const kvDim = (d / headCount) * headCountKv;
  for (let l = 0; l < blockCount; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [d], data: ones(d) },
      { name: `${p}attn_q.weight`, dims: [d, d], data: random(d * d, d) },
      { name: `${p}attn_k.weight`, dims: [d, kvDim], data: random(d * kvDim, d) },
      { name: `${p}attn_v.weight`, dims: [d, kvDim], data: random(d * kvDim, d) },
      { name: `${p}attn_output.weight`, dims: [d, d], data: random(d * d, d) },
      { name: `${p}ffn_norm.weight`, dims: [d], data: ones(d) },
      { name: `${p}ffn_gate.weight`, dims: [d, ff], data: random(d * ff, d) },
      { name: `${p}ffn_up.weight`, dims: [d, ff], data: random(d * ff, d) },
      { name: `${p}ffn_down.weight`, dims: [ff, d], data: random(ff * d, ff) },
    );
  }
  tensors.push({ name: 'output_norm.weight', dims: [d], data: ones(d) });
  if (!o.tiedOutput) tensors.push({ name: 'output.weight', dims: [d, n], data: out });
  return { kvs, tensors };
}

/** Serializes metadata and F32 tensors as GGUF v3 (data aligned to TINY_GGUF.alignment). */
export function encodeGguf(kvs: readonly GgufKvInput[], tensors: readonly Tensor[]): Buffer {
  const align = TINY_GGUF.alignment;
  const s = new Sink();
  s.push(Buffer.from('GGUF', 'latin1'));
  s.u32(3);
  s.u64(tensors.length);
  s.u64(kvs.length);
  for (const kv of kvs) {
    s.str(kv.key);
    s.u32(kv.type);
    if (kv.type === T.ARRAY) {
      s.u32(kv.itemType);
      s.u64(kv.value.length);
      for (const v of kv.value) s.scalar(kv.itemType, v);
    } else {
      s.scalar(kv.type, kv.value);
    }
  }
  let offset = 0;
  for (const t of tensors) {
    s.str(t.name);
    s.u32(t.dims.length);
    for (const dim of t.dims) s.u64(dim);
    s.u32(0); // GGML_TYPE_F32
    s.u64(offset);
    offset += Math.ceil((t.data.length * 4) / align) * align;
  }
  s.pad(align);
  for (const t of tensors) {
    s.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    s.pad(align);
  }
  return s.concat();
}

/** Writes the tiny model to `file`; deterministic for a given seed and options. */
export function writeTinyGguf(file: string, o: TinyGgufOptions = {}): { sha256: string; bytes: number } {
  const { kvs, tensors } = tinyGgufContents(o);
  const omit = new Set(o.omitKeys ?? []);
  for (const kv of o.setKeys ?? []) {
    const i = kvs.findIndex((k) => k.key === kv.key);
    if (i >= 0) kvs[i] = kv;
    else kvs.push(kv);
  }
  let buf = encodeGguf(kvs.filter((kv) => !omit.has(kv.key)), tensors);
  if (o.truncateAt !== undefined) buf = buf.subarray(0, o.truncateAt);
  fs.writeFileSync(file, buf);
  return { sha256: crypto.createHash('sha256').update(buf).digest('hex'), bytes: buf.length };
}
