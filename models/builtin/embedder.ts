import { STOPWORDS, stem, tokenize } from './keywords.ts';
import type { Embedder } from './types.ts';

/** 32-bit FNV-1a over UTF-16 code units: tiny, fast, and the same everywhere. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Stopwords still count (a text of only stopwords keeps a vector) but barely move similarity. */
const STOPWORD_WEIGHT = 0.25;
/** Total norm of one word's trigram block, whatever the word's length, so long words do not dominate. */
const TRIGRAM_BLOCK_WEIGHT = 0.5;

function add(v: Float32Array, feature: string, weight: number): void {
  const h = fnv1a(feature);
  // bucket from the low bits, sign from the top bit: the signs make collisions cancel on average
  v[h % v.length]! += h & 0x80000000 ? -weight : weight;
}

/**
 * Deterministic hashed embedding ("hashing trick"): a bag of (stemmed,
 * lowercased) words plus the character trigrams of each content word, each
 * feature hashed with FNV-1a to a signed bucket, then L2-normalised. Trigrams
 * make morphological variants and typos similar ("beagles" ~ "beagle").
 * A text with no word gives the zero vector (cosine similarity undefined:
 * callers treat it as 0).
 */
export function hashEmbed(text: string, dim = 256): Float32Array {
  if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`hashEmbed: dim must be a positive integer, got ${dim}`);
  const v = new Float32Array(dim);
  for (const tok of tokenize(text)) {
    if (STOPWORDS.has(tok)) {
      add(v, `w:${tok}`, STOPWORD_WEIGHT);
      continue;
    }
    const word = stem(tok);
    add(v, `w:${word}`, 1);
    const padded = `#${word}#`;
    const n = padded.length - 2;
    const w = TRIGRAM_BLOCK_WEIGHT / Math.sqrt(n);
    for (let i = 0; i < n; i++) add(v, `t:${padded.slice(i, i + 3)}`, w);
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < dim; i++) v[i]! *= inv;
  }
  return v;
}

/** The built-in embedder: `hashEmbed` behind the model interface; needs no files. */
export class BuiltinEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;

  constructor(dim = 256) {
    this.dim = dim;
    this.id = `builtin-hash-${dim}`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => hashEmbed(t, this.dim));
  }
}

/** Cosine similarity of two vectors of one length; 0 when either is zero. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`cosine: lengths differ (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
