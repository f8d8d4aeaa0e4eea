/**
 * Tiny transformers.js model folders for tests, written deterministically from
 * a seed with no Python and no download: `config.json`, a WordPiece
 * `tokenizer.json`, `tokenizer_config.json` and `onnx/model.onnx`.
 *
 * The ONNX file is a hand-encoded protobuf (ModelProto, IR 8, opset 13); only
 * the handful of fields a graph of Gather/Add/MatMul/Tanh/Mul/ReduceSum needs.
 * Field numbers are those of onnx/onnx.proto.
 *
 * Embedding network (BERT-shaped inputs, int64 [batch, seq]):
 *   e = word_emb[input_ids] + type_emb[token_type_ids] + pos_emb[0..seq)
 *   last_hidden_state = tanh(e·W + b) * attention_mask          [batch, seq, dim]
 * Classifier: the same encoder, a masked mean over the sequence, then a linear
 * head to `logits` [batch, labels]. Its weights read sentiment words on two
 * reserved dimensions, so "great, excellent" scores positive and "awful,
 * terrible" negative: tests can check labels, not just shapes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// ---------------------------------------------------------------- protobuf

/** Minimal protobuf writer: varints, length-delimited fields, nothing else. */
class Pb {
  private readonly parts: Uint8Array[] = [];

  private varint(n: bigint): void {
    // int64 fields encode negatives as 10-byte two's complement
    let v = BigInt.asUintN(64, n);
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.parts.push(Uint8Array.from(out));
  }

  private key(field: number, wire: 0 | 2): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, n: number | bigint): this {
    this.key(field, 0);
    this.varint(BigInt(n));
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(BigInt(b.length));
    this.parts.push(b);
    return this;
  }

  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    const len = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(len);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

// ---------------------------------------------------------------- ONNX pieces

const FLOAT = 1;
const INT64 = 7;
const ATTR_INT = 2;

type Dim = number | string;

function tensor(name: string, dims: readonly number[], dataType: typeof FLOAT | typeof INT64, data: Float32Array | BigInt64Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d); // dims
  t.int(2, dataType); // data_type
  t.str(8, name); // name
  t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); // raw_data (little-endian)
  return t;
}

function valueInfo(name: string, elemType: number, shape: readonly Dim[]): Pb {
  const s = new Pb();
  for (const d of shape) s.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  const tt = new Pb().int(1, elemType).msg(2, s); // TypeProto.Tensor
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tt));
}

function node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, number> = {}): Pb {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(3, `${op}_${outputs[0]}`);
  n.str(4, op);
  for (const [name, v] of Object.entries(attrs)) n.msg(5, new Pb().str(1, name).int(3, v).int(20, ATTR_INT));
  return n;
}

interface Graph {
  nodes: Pb[];
  initializers: Pb[];
  inputs: Pb[];
  outputs: Pb[];
}

function modelBytes(g: Graph): Uint8Array {
  const graph = new Pb();
  for (const n of g.nodes) graph.msg(1, n);
  graph.str(2, 'maasflow-tiny');
  for (const t of g.initializers) graph.msg(5, t);
  for (const i of g.inputs) graph.msg(11, i);
  for (const o of g.outputs) graph.msg(12, o);
  return new Pb()
    .int(1, 8) // ir_version
    .str(2, 'maasflow-test') // producer_name
    .str(3, '1')
    .msg(7, graph)
    .msg(8, new Pb().str(1, '').int(2, 13)) // opset_import: default domain, opset 13
    .finish();
}

// ---------------------------------------------------------------- weights

/** mulberry32: a tiny seeded PRNG, the same everywhere. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomMatrix(rand: () => number, n: number, scale: number): Float32Array {
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = (rand() * 2 - 1) * scale;
  return m;
}

// ---------------------------------------------------------------- vocabulary

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const POSITIVE = ['good', 'great', 'excellent', 'love', 'happy', 'nice', 'best', 'thanks'];
const NEGATIVE = ['bad', 'awful', 'terrible', 'hate', 'sad', 'worst', 'broken', 'angry'];
const WORDS = [
  'the', 'a', 'an', 'and', 'or', 'but', 'not', 'no', 'yes', 'of', 'to', 'in', 'on', 'at', 'for', 'with', 'by', 'from', 'as',
  'is', 'are', 'was', 'were', 'be', 'been', 'has', 'have', 'had', 'do', 'does', 'did', 'can', 'could', 'will', 'would',
  'should', 'may', 'might', 'must', 'i', 'you', 'he', 'she', 'it', 'we', 'they', 'me', 'my', 'your', 'our', 'their', 'this',
  'that', 'these', 'those', 'what', 'which', 'who', 'how', 'why', 'when', 'where', 'there', 'here', 'all', 'some', 'any',
  'more', 'most', 'very', 'much', 'many', 'one', 'two', 'three', 'time', 'day', 'year', 'way', 'thing', 'man', 'woman',
  'people', 'world', 'life', 'work', 'home', 'house', 'car', 'dog', 'cat', 'beagle', 'food', 'water', 'weather', 'rain',
  'sun', 'cold', 'hot', 'city', 'country', 'music', 'book', 'film', 'game', 'price', 'order', 'delivery', 'service',
  'product', 'help', 'question', 'answer', 'model', 'stream', 'data', 'event', 'user', 'system', 'computer', 'phone',
  'train', 'bus', 'school', 'money', 'bank', 'account', 'password', 'email', 'refund', 'today', 'tomorrow', 'yesterday',
  'new', 'old', 'big', 'small', 'long', 'short', 'fast', 'slow', 'first', 'last', 'same', 'other', 'go', 'come', 'get',
  'make', 'know', 'think', 'see', 'look', 'want', 'give', 'use', 'find', 'tell', 'ask', 'feel', 'try', 'leave', 'call',
  'run', 'eat', 'read', 'write', 'play', 'pay', 'buy', 'send', 'open', 'close', 'please', 'hello', 'hi', 'thank',
  ...POSITIVE, ...NEGATIVE,
];
const SUFFIXES = ['##s', '##es', '##ed', '##ing', '##er', '##ly', '##ion', '##al', '##y', '##le', '##ness', '##ment'];
const PUNCT = [...'.,!?;:\'"()-/&%$#@*+=<>[]_'];
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz0123456789'];

/** Every lowercase ASCII word tokenizes without [UNK]: single characters and `##` characters are all in the vocabulary. */
function vocabulary(): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of [...SPECIAL, ...PUNCT, ...LETTERS, ...LETTERS.map((c) => `##${c}`), ...WORDS, ...SUFFIXES]) {
    if (!seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  }
  return out;
}

function tokenizerJson(vocab: readonly string[]): object {
  const id = (t: string) => vocab.indexOf(t);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content) => ({
      id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

function tokenizerConfig(maxLength: number): object {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    clean_up_tokenization_spaces: true,
    model_max_length: maxLength,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
  };
}

// ---------------------------------------------------------------- graphs

interface EncoderWeights {
  vocab: string[];
  dim: number;
  maxLength: number;
  wordEmb: Float32Array;
  typeEmb: Float32Array;
  posEmb: Float32Array;
  w: Float32Array;
  b: Float32Array;
}

const BATCH_SEQ: Dim[] = ['batch_size', 'sequence_length'];

/** Nodes from the three int64 inputs to `out` = tanh(e·W + b) * mask; also leaves `mask3` ([batch, seq, 1] float). */
function encoder(wt: EncoderWeights, out: string): Graph {
  const { vocab, dim, maxLength } = wt;
  return {
    initializers: [
      tensor('word_emb', [vocab.length, dim], FLOAT, wt.wordEmb),
      tensor('type_emb', [2, dim], FLOAT, wt.typeEmb),
      tensor('pos_emb', [maxLength, dim], FLOAT, wt.posEmb),
      tensor('w', [dim, dim], FLOAT, wt.w),
      tensor('b', [dim], FLOAT, wt.b),
      tensor('axis_last', [1], INT64, BigInt64Array.of(-1n)),
      tensor('one', [], INT64, BigInt64Array.of(1n)),
      tensor('zero', [], INT64, BigInt64Array.of(0n)),
    ],
    nodes: [
      node('Gather', ['word_emb', 'input_ids'], ['we']),
      node('Gather', ['type_emb', 'token_type_ids'], ['te']),
      node('Shape', ['input_ids'], ['ids_shape']),
      node('Gather', ['ids_shape', 'one'], ['seq_len'], { axis: 0 }),
      node('Range', ['zero', 'seq_len', 'one'], ['positions']),
      node('Gather', ['pos_emb', 'positions'], ['pe']),
      node('Add', ['we', 'te'], ['e0']),
      node('Add', ['e0', 'pe'], ['e']),
      node('MatMul', ['e', 'w'], ['h0']),
      node('Add', ['h0', 'b'], ['h1']),
      node('Tanh', ['h1'], ['h']),
      node('Cast', ['attention_mask'], ['maskf'], { to: FLOAT }),
      node('Unsqueeze', ['maskf', 'axis_last'], ['mask3']),
      node('Mul', ['h', 'mask3'], [out]),
    ],
    inputs: ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => valueInfo(n, INT64, BATCH_SEQ)),
    outputs: [],
  };
}

function encoderWeights(seed: number, dim: number, maxLength: number): EncoderWeights {
  const vocab = vocabulary();
  const rand = rng(seed);
  const scale = 1 / Math.sqrt(dim);
  return {
    vocab,
    dim,
    maxLength,
    wordEmb: randomMatrix(rand, vocab.length * dim, 1),
    typeEmb: randomMatrix(rand, 2 * dim, 0.1),
    posEmb: randomMatrix(rand, maxLength * dim, 0.1),
    w: randomMatrix(rand, dim * dim, scale),
    b: randomMatrix(rand, dim, 0.1),
  };
}

function writeFolder(dir: string, config: object, wt: EncoderWeights, onnx: Uint8Array): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(wt.vocab)));
  writeFileSync(join(dir, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig(wt.maxLength), null, 2)}\n`);
  writeFileSync(join(dir, 'onnx', 'model.onnx'), onnx);
}

function bertConfig(wt: EncoderWeights, extra: object): object {
  return {
    model_type: 'bert',
    hidden_size: wt.dim,
    vocab_size: wt.vocab.length,
    max_position_embeddings: wt.maxLength,
    type_vocab_size: 2,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    intermediate_size: wt.dim,
    pad_token_id: 0,
    ...extra,
  };
}

export interface TinyModelOptions {
  /** Seeds every weight; same seed, same bytes. Default 1. */
  seed?: number;
  /** Hidden size (vector length). Default 32. */
  dim?: number;
  /** Positions (and tokenizer model_max_length). Default 128. */
  maxLength?: number;
}

/** Writes a feature-extraction model folder into `dir` (created if missing). */
export function writeTinyEmbeddingModel(dir: string, o: TinyModelOptions = {}): { dim: number; vocabSize: number; maxLength: number } {
  const dim = o.dim ?? 32;
  const maxLength = o.maxLength ?? 128;
  const wt = encoderWeights(o.seed ?? 1, dim, maxLength);
  const g = encoder(wt, 'last_hidden_state');
  g.outputs.push(valueInfo('last_hidden_state', FLOAT, [...BATCH_SEQ, dim]));
  writeFolder(dir, bertConfig(wt, { architectures: ['BertModel'] }), wt, modelBytes(g));
  return { dim, vocabSize: wt.vocab.length, maxLength };
}

export const TINY_CLASSIFIER_LABELS = ['negative', 'neutral', 'positive'] as const;

/**
 * Writes a text-classification model folder into `dir`: labels
 * negative/neutral/positive; words from POSITIVE/NEGATIVE drive the score,
 * anything else reads neutral.
 */
export function writeTinyClassifierModel(dir: string, o: TinyModelOptions = {}): { labels: readonly string[]; dim: number } {
  const dim = Math.max(o.dim ?? 32, 4);
  const maxLength = o.maxLength ?? 128;
  const wt = encoderWeights(o.seed ?? 1, dim, maxLength);
  // dims 0 and 1 carry "positive" and "negative": clear them everywhere, then set them for the sentiment words
  for (let t = 0; t < wt.vocab.length; t++) {
    wt.wordEmb[t * dim] = 0;
    wt.wordEmb[t * dim + 1] = 0;
  }
  for (const [words, d] of [[POSITIVE, 0], [NEGATIVE, 1]] as const) for (const word of words) wt.wordEmb[wt.vocab.indexOf(word) * dim + d] = 3;
  for (let i = 0; i < dim; i++) {
    for (const d of [0, 1]) {
      wt.w[i * dim + d] = i === d ? 1 : 0; // column d reads only input dim d
      wt.w[d * dim + i] = i === d ? 1 : 0; // and input dim d feeds only column d
    }
  }
  for (const d of [0, 1]) {
    wt.typeEmb[d] = wt.typeEmb[dim + d] = 0;
    wt.b[d] = 0;
    for (let p = 0; p < maxLength; p++) wt.posEmb[p * dim + d] = 0;
  }
  const labels = TINY_CLASSIFIER_LABELS;
  // logits: negative = 8·mean(dim 1), neutral = 1, positive = 8·mean(dim 0)
  const wc = new Float32Array(dim * labels.length);
  wc[0 * labels.length + 2] = 8;
  wc[1 * labels.length + 0] = 8;
  const bc = Float32Array.of(0, 1, 0);

  const g = encoder(wt, 'hidden');
  g.initializers.push(
    tensor('axis_seq', [1], INT64, BigInt64Array.of(1n)),
    tensor('wc', [dim, labels.length], FLOAT, wc),
    tensor('bc', [labels.length], FLOAT, bc),
  );
  g.nodes.push(
    node('ReduceSum', ['hidden', 'axis_seq'], ['sum'], { keepdims: 0 }),
    node('ReduceSum', ['mask3', 'axis_seq'], ['count'], { keepdims: 0 }),
    node('Div', ['sum', 'count'], ['pooled']),
    node('MatMul', ['pooled', 'wc'], ['l0']),
    node('Add', ['l0', 'bc'], ['logits']),
  );
  g.outputs.push(valueInfo('logits', FLOAT, ['batch_size', labels.length]));
  const config = bertConfig(wt, {
    architectures: ['BertForSequenceClassification'],
    problem_type: 'single_label_classification',
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  });
  writeFolder(dir, config, wt, modelBytes(g));
  return { labels, dim };
}
