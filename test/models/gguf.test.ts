/** GGUF reader and validator: the tiny generated llama model, and broken copies of it. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { GgufValueType, readGguf } from '../../models/gguf/reader.ts';
import { assertValidGguf, validateGguf } from '../../models/gguf/validate.ts';
import { type GgufKvInput, TINY_GGUF, tinyGgufContents, tinyVocab, type TinyGgufOptions, writeTinyGguf } from '../support/models/tiny-gguf.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-gguf-'));
const good = path.join(dir, 'tiny.gguf');
const written = writeTinyGguf(good, { seed: 3 });

function variant(name: string, o: TinyGgufOptions): string {
  const file = path.join(dir, `${name}.gguf`);
  writeTinyGguf(file, { seed: 3, ...o });
  return file;
}

/** Expects assertValidGguf(file) to reject with MODEL_INVALID naming the file and matching every pattern. */
async function expectInvalid(file: string, ...patterns: RegExp[]): Promise<MaasflowError> {
  try {
    await assertValidGguf(file);
  } catch (e) {
    assert.instance(e, MaasflowError);
    const err = e as MaasflowError;
    assert.is(err.code, 'MODEL_INVALID', err.message);
    assert.ok(err.message.includes(file), `names the file: ${err.message}`);
    assert.is(err.location?.file, file);
    for (const p of patterns) assert.match(err.message, p);
    return err;
  }
  throw new assert.Assertion({ message: `expected ${file} to be rejected`, generated: false, operator: 'rejects', expects: 'MODEL_INVALID', actual: 'valid' });
}

test('the writer is deterministic per seed and writes ~500 KB', () => {
  const again = writeTinyGguf(path.join(dir, 'again.gguf'), { seed: 3 });
  const other = writeTinyGguf(path.join(dir, 'other.gguf'), { seed: 4 });
  assert.equal(again, written);
  assert.is.not(other.sha256, written.sha256);
  assert.is(fs.statSync(good).size, written.bytes);
  assert.ok(written.bytes > 400_000 && written.bytes < 600_000, `${written.bytes} bytes`);
});

test('the reader round-trips the metadata and tensor infos', async () => {
  const f = await readGguf(good);
  const { kvs, tensors } = tinyGgufContents({ seed: 3 });
  assert.is(f.version, 3);
  assert.is(f.fileSize, written.bytes);
  assert.equal([...f.metadata.keys()], kvs.map((k) => k.key));
  for (const kv of kvs) {
    const e = f.metadata.get(kv.key)!;
    assert.is(e.type, kv.type, kv.key);
    const want = kv.type === GgufValueType.FLOAT32 ? Math.fround(kv.value as number) : kv.value;
    if (kv.type === GgufValueType.ARRAY) {
      assert.is(e.itemType, kv.itemType, kv.key);
      const items = kv.itemType === GgufValueType.FLOAT32 ? kv.value.map((v) => Math.fround(v as number)) : [...kv.value];
      assert.equal(e.value, items, kv.key);
    } else {
      assert.is(e.value, want, kv.key);
    }
  }
  const vocab = tinyVocab();
  assert.equal(f.metadata.get('tokenizer.ggml.tokens')!.value, vocab.tokens);
  assert.ok(vocab.tokens.length >= 300 && vocab.tokens.includes('▁lazy') && vocab.tokens.includes('▁laz') && vocab.tokens.includes('<0x0A>'));

  assert.is(f.alignment, TINY_GGUF.alignment);
  assert.is(f.dataOffset % TINY_GGUF.alignment, 0);
  assert.equal(f.tensors.map((t) => [t.name, t.dims, t.typeName]), tensors.map((t) => [t.name, t.dims, 'F32']));
  let offset = 0;
  for (const [i, t] of f.tensors.entries()) {
    assert.is(t.offset, offset, t.name);
    assert.is(t.nBytes, tensors[i]!.data.length * 4, t.name);
    offset += Math.ceil(t.nBytes / 32) * 32;
  }
  assert.is(f.dataEnd, written.bytes);
  // The reader stops at the tensor table: the data itself is only measured. Check one tensor's bytes anyway.
  const norm = f.tensors.find((t) => t.name === 'output_norm.weight')!;
  const buf = Buffer.alloc(8);
  const fd = fs.openSync(good, 'r');
  fs.readSync(fd, buf, 0, 8, f.dataOffset + norm.offset);
  fs.closeSync(fd);
  assert.equal([buf.readFloatLE(0), buf.readFloatLE(4)], [1, 1]);
});

test('the good model validates', async () => {
  const { errors, file } = await validateGguf(good);
  assert.equal(errors.map((e) => e.message), []);
  assert.is(file?.metadata.get('general.architecture')?.value, 'llama');
  assert.is((await assertValidGguf(good)).tensors.length, 2 + 9 * TINY_GGUF.blockCount + 1);
});

test('a missing llama.feed_forward_length is named with the file', async () => {
  const file = variant('no-ff', { omitKeys: ['llama.feed_forward_length'] });
  const err = await expectInvalid(file, /'llama\.feed_forward_length' is missing/, /aborts the process/);
  assert.is(err.location?.path, 'llama.feed_forward_length');
  assert.match(err.format(), 'llama.feed_forward_length');
});

test('a missing llama.attention.head_count is named with the file', async () => {
  const file = variant('no-heads', { omitKeys: ['llama.attention.head_count'] });
  const err = await expectInvalid(file, /'llama\.attention\.head_count' is missing/);
  assert.is(err.location?.path, 'llama.attention.head_count');
});

test('a truncated file is rejected: in the tensor data and in the metadata', async () => {
  const cut = variant('cut-data', { truncateAt: 300_000 });
  const f = await readGguf(cut); // the header and metadata still read
  assert.ok(f.dataEnd > f.fileSize);
  await expectInvalid(cut, /truncated: 300000 bytes/, /needs 50\d+ bytes/, /from tensor 'blk\./);
  await expectInvalid(variant('cut-meta', { truncateAt: 2000 }), /truncated or corrupt/, /tokenizer\.ggml\.tokens/);
  await expectInvalid(variant('cut-header', { truncateAt: 10 }), /GGUF file ends at byte 10/);
});

test('a file that is not GGUF is rejected', async () => {
  const file = path.join(dir, 'not.gguf');
  fs.writeFileSync(file, 'this is a text file, not a model\n');
  await expectInvalid(file, /not a GGUF file/, /expected "GGUF"/);
  fs.writeFileSync(path.join(dir, 'empty.gguf'), '');
  await expectInvalid(path.join(dir, 'empty.gguf'), /ends at byte 0/);
  await expectInvalid(path.join(dir, 'absent.gguf'), /cannot open model file/);
});

test('values that make llama.cpp abort or fail to load are named', async () => {
  const u32 = (key: string, value: number): GgufKvInput => ({ key, type: GgufValueType.UINT32, value });
  const cases: [string, TinyGgufOptions, RegExp][] = [
    ['block-count-0', { setKeys: [u32('llama.block_count', 0)] }, /'llama\.block_count' is 0/],
    ['ff-0', { setKeys: [u32('llama.feed_forward_length', 0)] }, /'llama\.feed_forward_length' is 0/],
    ['rope-scaling', { setKeys: [{ key: 'llama.rope.scaling.type', type: GgufValueType.STRING, value: 'bogus' }] }, /'llama\.rope\.scaling\.type' is 'bogus'/],
    ['experts', { setKeys: [u32('llama.expert_used_count', 2)] }, /'llama\.expert_used_count' \(2\) exceeds/],
    ['ctx-int32', { setKeys: [{ key: 'llama.context_length', type: GgufValueType.INT32, value: 512 }] }, /'llama\.context_length' has type int32, expected uint32/],
    ['heads-3', { setKeys: [u32('llama.attention.head_count', 3)] }, /head_count' \(3\) does not divide/],
    ['rope-dims', { setKeys: [u32('llama.rope.dimension_count', 8)] }, /'llama\.rope\.dimension_count' is 8, expected the head size 16/],
    ['no-eps', { omitKeys: ['llama.attention.layer_norm_rms_epsilon'] }, /'llama\.attention\.layer_norm_rms_epsilon' is missing/],
    ['no-arch', { omitKeys: ['general.architecture'] }, /'general\.architecture' is missing/],
    ['no-tokens', { omitKeys: ['tokenizer.ggml.tokens'] }, /'tokenizer\.ggml\.tokens' is missing/],
    ['dup-tokens', { setKeys: [{ key: 'tokenizer.ggml.tokens', type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value: tinyVocab().tokens.map((t) => (t === '▁dog' ? '▁do' : t)) }] }, /holds "▁do" twice/],
    ['short-scores', { setKeys: [{ key: 'tokenizer.ggml.scores', type: GgufValueType.ARRAY, itemType: GgufValueType.FLOAT32, value: [0, 1] }] }, /'tokenizer\.ggml\.scores' must be an array of at least 320/],
    ['ff-shape', { setKeys: [u32('llama.feed_forward_length', 256)] }, /tensor 'blk\.0\.ffn_gate\.weight' has shape \[64, 128\], expected \[64, 256\]/],
  ];
  for (const [name, o, pattern] of cases) await expectInvalid(variant(name, o), pattern);
});

test('other dense decoders need their feed-forward length and head count too', async () => {
  const file = variant('qwen2', { setKeys: [{ key: 'general.architecture', type: GgufValueType.STRING, value: 'qwen2' }] });
  const { errors } = await validateGguf(file);
  assert.equal(errors.map((e) => e.location?.path), ['qwen2.context_length', 'qwen2.embedding_length', 'qwen2.block_count', 'qwen2.feed_forward_length', 'qwen2.attention.head_count']);
  assert.match(errors[3]!.message, /'qwen2\.feed_forward_length' is missing \(required for architecture 'qwen2'; llama\.cpp aborts the process without it\)/);
  // An architecture with no such tensors (a recurrent one) is not held to them.
  const mamba = variant('mamba', { setKeys: [{ key: 'general.architecture', type: GgufValueType.STRING, value: 'mamba' }] });
  assert.equal((await validateGguf(mamba)).errors.map((e) => e.location?.path), ['mamba.context_length', 'mamba.embedding_length', 'mamba.block_count']);
});

test('several problems are reported together', async () => {
  const file = variant('two-missing', { omitKeys: ['llama.feed_forward_length', 'llama.attention.head_count'] });
  const err = await expectInvalid(file, /2 problems/, /feed_forward_length/, /head_count/);
  assert.instance(err.cause, ValidationErrors);
  assert.equal((err.cause as ValidationErrors).errors.map((e) => e.location?.path), ['llama.feed_forward_length', 'llama.attention.head_count']);
});

test('a tied-output model (no output.weight) is valid', async () => {
  assert.equal((await validateGguf(variant('tied-ok', { tiedOutput: true }))).errors, []);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
