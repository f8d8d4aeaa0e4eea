/** node-llama-cpp adapter on the tiny generated llama model (CPU, prebuilt binary). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLlamaCpp } from '../../models/adapters/llama-cpp.ts';
import { GgufValueType } from '../../models/gguf/reader.ts';
import type { LoadedGenerator } from '../../models/types.ts';
import { TINY_GGUF, writeTinyGguf } from '../support/models/tiny-gguf.ts';
import { expectRejects } from '../support/errors.ts';

const THREADS = 2;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-llama-'));
const good = path.join(dir, 'tiny.gguf');
writeTinyGguf(good, { seed: 1 });
const greedy = { maxTokens: 12, temperature: 0 };
/** The continuation is made of the model's words (" the", " quick", ..., "."). */
const wordsOnly = new RegExp(`^(${TINY_GGUF.words.map((w) => w.replace('▁', ' ').replace('.', '\\.')).join('|')})+$`);

let model: LoadedGenerator;


test('a file that would abort llama.cpp is refused before llama.cpp sees it, and the process lives on', async () => {
  for (const key of ['llama.feed_forward_length', 'llama.attention.head_count']) {
    const file = path.join(dir, `no-${key}.gguf`);
    writeTinyGguf(file, { omitKeys: [key] });
    const err = await expectRejects(() => loadLlamaCpp({ path: file, contextLength: 128, threads: THREADS }), 'MODEL_INVALID', new RegExp(key.replaceAll('.', '\\.')));
    assert.ok(err.message.includes(file), err.message);
  }
  const cut = path.join(dir, 'cut.gguf');
  writeTinyGguf(cut, { truncateAt: 250_000 });
  await expectRejects(() => loadLlamaCpp({ path: cut, contextLength: 128, threads: THREADS }), 'MODEL_INVALID', /truncated/);
  const text = path.join(dir, 'text.gguf');
  fs.writeFileSync(text, 'not a model');
  await expectRejects(() => loadLlamaCpp({ path: text, contextLength: 128, threads: THREADS }), 'MODEL_INVALID', /not a GGUF file/);
  await expectRejects(() => loadLlamaCpp({ path: good, contextLength: 0, threads: THREADS }), 'CONFIG', /contextLength must be a positive integer/);
  // Still here: llama.cpp never got the files (it would have aborted the process on the first two).
  assert.ok(process.uptime() > 0);
});

test('a file llama.cpp itself refuses gives MODEL_LOAD with llama.cpp\'s reason', async () => {
  const file = path.join(dir, 'tokenizer.gguf');
  writeTinyGguf(file, { setKeys: [{ key: 'tokenizer.ggml.model', type: GgufValueType.STRING, value: 'nope' }] });
  const err = await expectRejects(() => loadLlamaCpp({ path: file, contextLength: 128, threads: THREADS }), 'MODEL_LOAD', /could not load the model/, /unknown tokenizer: 'nope'/);
  assert.ok(err.message.includes(file), err.message);
});

test('the tiny model loads and generates the same text twice at temperature 0', async () => {
  model = await loadLlamaCpp({ path: good, contextLength: 128, sequences: 2, threads: THREADS });
  assert.is(model.sequences, 2);
  const a = await model.generate(0, 'the quick', greedy);
  const b = await model.generate(0, 'the quick', greedy);
  assert.equal(b, a);
  assert.match(a.text, wordsOnly);
  assert.ok(new Set(a.text.split(' ')).size > 3, `varied output: ${a.text}`);
  assert.is(a.completionTokens, 12);
  assert.is(a.promptTokens, model.countTokens('the quick') + 1); // BOS + text
  assert.is(model.countTokens('the quick'), 2); // "▁the", "▁quick"
  // Other prompts lead elsewhere: the output depends on the context, not only the last token.
  const c = await model.generate(1, 'a lazy', greedy);
  assert.match(c.text, wordsOnly);
  assert.is.not(c.text, a.text);
});

test('two sequences generating at once give what they give one by one', async () => {
  const prompts = ['the quick', 'hello world'];
  const alone = [await model.generate(0, prompts[0]!, greedy), await model.generate(1, prompts[1]!, greedy)];
  const together = await Promise.all([model.generate(0, prompts[0]!, greedy), model.generate(1, prompts[1]!, greedy)]);
  assert.equal(together, alone);
  assert.is.not(alone[0]!.text, alone[1]!.text);
  // A second generation on a busy sequence is refused (it would silently corrupt both).
  const first = model.generate(0, 'the quick', greedy);
  await expectRejects(() => model.generate(0, 'a lazy', greedy), 'INFERENCE_BUSY', /sequence 0 is already generating/);
  assert.equal(await first, alone[0]);
  await expectRejects(() => model.generate(2, 'x', greedy), 'RUNTIME', /sequence 2 does not exist/);
});

test('stop strings end the text before them; maxTokens bounds it', async () => {
  const full = await model.generate(0, 'the quick', { maxTokens: 30, temperature: 0 });
  const at = full.text.indexOf(' over');
  assert.ok(at > 0, full.text);
  const stopped = await model.generate(0, 'the quick', { maxTokens: 30, temperature: 0, stop: [' over', 'never'] });
  assert.is(stopped.text, full.text.slice(0, at));
  assert.ok(stopped.completionTokens < 30);
  const one = await model.generate(0, 'the quick', { maxTokens: 1, temperature: 0 });
  assert.is(one.completionTokens, 1);
  assert.ok(full.text.startsWith(one.text) && one.text.length > 0);
});

test('sampling with a seed repeats; the prompt must fit the context', async () => {
  const o = { maxTokens: 12, temperature: 1.5, seed: 42 };
  assert.equal(await model.generate(0, 'the quick', o), await model.generate(1, 'the quick', o));
  await expectRejects(() => model.generate(0, 'the quick '.repeat(100), greedy), 'REQUEST_INVALID', /the prompt has 20\d tokens; a sequence holds 128/);
});

test('an AbortSignal aborts a generation with its reason; the sequence works after', async () => {
  const before = await model.generate(1, 'the quick', greedy);
  const ac = new AbortController();
  const reason = new Error('caller went away');
  const running = model.generate(1, 'the quick', { maxTokens: 100, temperature: 0, signal: ac.signal });
  ac.abort(reason);
  await running.then(
    () => assert.unreachable('should have been aborted'),
    (e: unknown) => assert.is(e, reason),
  );
  const pre = new AbortController();
  pre.abort(reason);
  await model.generate(1, 'the quick', { ...greedy, signal: pre.signal }).then(
    () => assert.unreachable('should have been aborted'),
    (e: unknown) => assert.is(e, reason),
  );
  assert.equal(await model.generate(1, 'the quick', greedy), before);
});

test('unload frees the model; a reload generates the same text', async () => {
  const before = await model.generate(0, 'the quick', greedy);
  await model.unload();
  await model.unload(); // idempotent
  await expectRejects(() => model.generate(0, 'the quick', greedy), 'RUNTIME', /unloaded/);
  assert.throws(() => model.countTokens('x'), /unloaded/);
  model = await loadLlamaCpp({ path: good, contextLength: 128, threads: THREADS });
  assert.is(model.sequences, 1);
  assert.equal(await model.generate(0, 'the quick', greedy), before);
  await model.unload();
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
