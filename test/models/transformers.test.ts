/** transformers.js adapter: tiny generated ONNX models loaded from local folders, remote loading off. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkTransformersFolder, loadTransformersClassifier, loadTransformersEmbedder } from '../../models/adapters/transformers.ts';
import { TINY_CLASSIFIER_LABELS, writeTinyClassifierModel, writeTinyEmbeddingModel } from '../support/models/tiny-onnx.ts';
import { expectRejects } from '../support/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'maasflow-transformers-'));
const embDir = join(root, 'emb');
const clsDir = join(root, 'cls');
const { dim } = writeTinyEmbeddingModel(embDir, { seed: 7 });
writeTinyClassifierModel(clsDir, { seed: 7 });

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const digest = (v: Float32Array): string => createHash('sha256').update(Buffer.from(v.buffer, v.byteOffset, v.byteLength)).digest('hex');
const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);


/** A copy of the embedding model folder with `change` applied. */
function brokenCopy(name: string, change: (dir: string) => void): string {
  const dir = join(root, name);
  writeTinyEmbeddingModel(dir, { seed: 7 });
  change(dir);
  return dir;
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test('the generator is deterministic: same seed, same bytes; another seed, other weights', () => {
  const again = join(root, 'again');
  const other = join(root, 'other');
  writeTinyEmbeddingModel(again, { seed: 7 });
  writeTinyEmbeddingModel(other, { seed: 8 });
  const bytes = (d: string) => readFileSync(join(d, 'onnx', 'model.onnx'));
  assert.ok(bytes(embDir).equals(bytes(again)));
  assert.not.ok(bytes(embDir).equals(bytes(other)));
  assert.is(readFileSync(join(embDir, 'tokenizer.json'), 'utf8'), readFileSync(join(again, 'tokenizer.json'), 'utf8'));
});

test('embedder: loads from a local folder, normalised vectors of the model dim, deterministic across loads', async () => {
  const t0 = performance.now();
  const a = await loadTransformersEmbedder({ dir: embDir, threads: 1 });
  const loadMs = performance.now() - t0;
  const { env } = await import('@huggingface/transformers');
  assert.is(env.allowRemoteModels, false);
  assert.is(env.allowLocalModels, true);
  assert.is(a.dim, dim);

  const texts = ['My dog is a beagle.', 'The weather is cold today', 'my dog is a beagle.', 'xylophone quartz'];
  const v = await a.embed(texts);
  assert.is(v.length, texts.length);
  for (const x of v) {
    assert.is(x.length, dim);
    assert.ok(Math.abs(norm(x) - 1) < 1e-5, `norm ${norm(x)}`);
  }
  // the tokenizer lowercases: same tokens, same vector
  assert.is(digest(v[0]!), digest(v[2]!));
  assert.not.equal(digest(v[0]!), digest(v[1]!));
  assert.ok(dot(v[0]!, v[1]!) < 0.9999);
  // a batch gives what single calls give; padding does not leak into the mean
  const single = await a.embed([texts[1]!]);
  assert.ok(dot(single[0]!, v[1]!) > 0.99999);
  assert.equal(await a.embed([]), []);

  const t2 = performance.now();
  const b = await loadTransformersEmbedder({ dir: relative(process.cwd(), embDir), threads: 1 });
  const reloadMs = performance.now() - t2;
  const w = await b.embed(texts);
  for (let i = 0; i < texts.length; i++) assert.is(digest(w[i]!), digest(v[i]!), `text ${i} differs across loads`);

  const many = Array.from({ length: 100 }, (_, i) => `message number ${i} about the order and the refund`);
  const t1 = performance.now();
  const out = await a.embed(many);
  const embedMs = performance.now() - t1;
  assert.is(out.length, 100);
  console.log(`  tiny embedder: first load ${loadMs.toFixed(0)} ms (with the library import), second ${reloadMs.toFixed(0)} ms, embed 100 texts ${embedMs.toFixed(1)} ms`);
  await a.unload();
  await b.unload();
});

test('embedder: cls pooling and normalize=false are passed through', async () => {
  const cls = await loadTransformersEmbedder({ dir: embDir, pooling: 'cls', threads: 1 });
  const mean = await loadTransformersEmbedder({ dir: embDir, threads: 1 });
  const raw = await loadTransformersEmbedder({ dir: embDir, normalize: false, threads: 1 });
  const text = ['a long sentence about many different things'];
  const [c] = await cls.embed(text);
  const [m] = await mean.embed(text);
  const [r] = await raw.embed(text);
  assert.ok(Math.abs(norm(c!) - 1) < 1e-5);
  assert.ok(dot(c!, m!) < 0.9999, 'cls differs from mean pooling');
  assert.ok(Math.abs(norm(r!) - 1) > 1e-3, 'unnormalised');
  assert.ok(dot(r!, m!) / norm(r!) > 0.99999, 'same direction');
  await Promise.all([cls.unload(), mean.unload(), raw.unload()]);
});

test('embedder: a missing folder or file, or a broken config, is a MODEL_INVALID naming folder and file', async () => {
  const missing = join(root, 'nope');
  let e = await expectRejects(() => loadTransformersEmbedder({ dir: missing }), 'MODEL_INVALID', /does not exist/, new RegExp(missing));

  const noOnnx = brokenCopy('no-onnx', (d) => rmSync(join(d, 'onnx', 'model.onnx')));
  e = await expectRejects(() => loadTransformersEmbedder({ dir: noOnnx }), 'MODEL_INVALID', /no onnx\/model\.onnx/, new RegExp(noOnnx));
  assert.is(e.location?.file, join(noOnnx, 'onnx', 'model.onnx'));

  const badJson = brokenCopy('bad-config', (d) => writeFileSync(join(d, 'config.json'), '{"model_type": "bert",'));
  e = await expectRejects(() => loadTransformersEmbedder({ dir: badJson }), 'MODEL_INVALID', /config\.json/, /not valid JSON/, new RegExp(badJson));
  assert.is(e.location?.file, join(badJson, 'config.json'));

  const noType = brokenCopy('no-model-type', (d) => writeFileSync(join(d, 'config.json'), '{"hidden_size": 32}'));
  await expectRejects(() => loadTransformersEmbedder({ dir: noType }), 'MODEL_INVALID', /model_type/);

  const noTok = brokenCopy('no-tokenizer', (d) => rmSync(join(d, 'tokenizer.json')));
  await expectRejects(() => loadTransformersEmbedder({ dir: noTok }), 'MODEL_INVALID', /no tokenizer\.json/);

  assert.throws(() => checkTransformersFolder(brokenCopy('no-tok-config', (d) => rmSync(join(d, 'tokenizer_config.json')))), /no tokenizer_config\.json/);
});

test('embedder: a corrupt ONNX file fails at load as MODEL_LOAD naming the folder', async () => {
  const garbage = brokenCopy('garbage-onnx', (d) => writeFileSync(join(d, 'onnx', 'model.onnx'), Buffer.from('not a protobuf at all')));
  await expectRejects(() => loadTransformersEmbedder({ dir: garbage }), 'MODEL_LOAD', new RegExp(garbage));
  await expectRejects(() => loadTransformersEmbedder({ dir: embDir, threads: 0 }), 'CONFIG', /threads/);
});

test('classifier: returns every label, best first, with softmax scores; sentiment words decide', async () => {
  const c = await loadTransformersClassifier({ dir: clsDir, threads: 1 });
  assert.equal([...c.labels], [...TINY_CLASSIFIER_LABELS]);
  const out = await c.classify(['This is great, excellent service!', 'awful and terrible, the worst', 'the bus leaves at three']);
  assert.is(out.length, 3);
  for (const row of out) {
    assert.equal(row.map((s) => s.label).sort(), [...TINY_CLASSIFIER_LABELS].sort());
    assert.ok(Math.abs(row.reduce((s, x) => s + x.score, 0) - 1) < 1e-5);
    for (let i = 1; i < row.length; i++) assert.ok(row[i - 1]!.score >= row[i]!.score);
  }
  assert.equal(out.map((r) => r[0]!.label), ['positive', 'negative', 'neutral']);
  assert.equal(await c.classify([]), []);
  await c.unload();
});

test('classifier: a config without id2label is a MODEL_INVALID', async () => {
  // the embedding model folder is a valid model but not a classifier
  await expectRejects(() => loadTransformersClassifier({ dir: embDir }), 'MODEL_INVALID', /id2label/, new RegExp(embDir));
});

test.run();
