/**
 * The `inference` operator on a real model file the test writes: a tiny GGUF
 * in a temp manifests folder, run by node-llama-cpp on one thread, inside a
 * topology (replay JSONL -> inference -> jsonl sinks for `out` and `errors`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationErrors, type MaasflowError } from '../../../engine/errors.ts';
import { runTopology } from '../../../engine/runtime.ts';
import { ModelRegistry } from '../../../models/registry/registry.ts';
import { InferenceService } from '../../../models/runtime/inference-service.ts';
import { createModelLoader } from '../../../models/runtime/loaders.ts';
import { promptTemplate } from '../../../models/runtime/prompt-template.ts';
import { inferenceOperator, type Completion, type InferenceFailure } from '../../../operators/inference/inference-operator.ts';
import { makeBatch } from '../../../engine/batch.ts';
import type { Counter } from '../../../engine/metrics.ts';
import type { Output } from '../../../engine/operator.ts';
import { acquireInference, openInferenceServices, releaseInference } from '../../../operators/inference/services.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import { parseTopology } from '../../../topologies/validate.ts';
import { TINY_GGUF, writeTinyGguf } from '../../support/models/tiny-gguf.ts';

const schemas = SchemaRegistry.load();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-inference-op-'));
const manifests = path.join(root, 'manifests');
fs.mkdirSync(manifests);
const gguf = path.join(root, 'tiny.gguf');
const { sha256 } = writeTinyGguf(gguf, { seed: 1 });
const MODEL = 'tiny-0m-chat-f32-v1.0';
fs.writeFileSync(path.join(manifests, 'tiny.yaml'), [
  `id: ${MODEL}`, 'family: tiny', 'role: lightweight', `path: ${gguf}`, 'format: gguf', 'quant: f32',
  // one sequence: with two, node-llama-cpp 3.21.1 now and then swaps the first sampled tokens of two prompts
  // decoded in one batch (~2 in 1,000 generations), and these tests compare texts exactly
  'context_length: 256', 'capabilities: [chat]', 'revision: r1', `checksum_sha256: ${sha256}`, 'sequences: 1',
].join('\n'));
const TEMPLATE = 'Continue: {{prompt}}';

/** Seeded prompts from the tiny model's words; record `skip` has no prompt. */
function prompts(n: number, seed: number): string[] {
  const rng = new SplitMix32(seed);
  const words = TINY_GGUF.words.map((w) => w.replace('▁', '')).filter((w) => w !== '.');
  return Array.from({ length: n }, () => Array.from({ length: 1 + rng.nextInt(4) }, () => words[rng.nextInt(words.length)]).join(' '));
}

let runs = 0;
/** Writes the input, builds the topology as YAML (validated like `maasflow validate`), runs it, reads both sinks. */
async function run(records: object[], params: string, o: { batchSize?: number } = {}): Promise<{ out: (Record<string, unknown> & { completion: Completion })[]; errors: InferenceFailure[] }> {
  const dir = path.join(root, `run-${++runs}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'in.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const yaml = `name: infer
runtime: { batchSize: ${o.batchSize ?? 8}, maxInFlightBatches: 2 }
checkpoint: { interval: 50ms }
sources:
  - id: in
    type: replay
    params: { path: ${path.join(dir, 'in.jsonl')} }
operators:
  - id: llm
    type: inference
    input: in
    params: { ${params.includes('manifests:') ? '' : `manifests: ${manifests}, `}threads: 1, ${params} }
sinks:
  - id: out
    type: jsonl
    input: llm
    params: { path: ${path.join(dir, 'out.jsonl')} }
  - id: errors
    type: jsonl
    input: llm.errors
    params: { path: ${path.join(dir, 'errors.jsonl')} }
`;
  const { spec } = parseTopology(path.join(dir, 'infer.yaml'), yaml, schemas);
  await runTopology(spec, { schemas, dataDir: dir });
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { out: read('out.jsonl'), errors: read('errors.jsonl') };
}

test('outputs keep input order and carry the same texts as calling the service one by one', async () => {
  const texts = prompts(40, 7);
  const records: object[] = texts.map((prompt, i) => ({ i, prompt }));
  records.splice(13, 0, { i: 'no-prompt' });
  const { out, errors } = await run(records, `template: "${TEMPLATE}", maxTokens: 12, temperature: 0`);

  const service = new InferenceService({ registry: ModelRegistry.load(manifests), loader: createModelLoader({ threads: 1 }) });
  const template = promptTemplate('direct', TEMPLATE);
  const expected: string[] = [];
  for (const prompt of texts) expected.push((await service.generate({ select: { capability: 'chat' }, template, vars: { prompt }, maxTokens: 12, temperature: 0 })).text);
  await service.close();

  assert.equal(out.map((r) => r.i), texts.map((_, i) => i), 'input order');
  assert.equal(out.map((r) => r.completion.text), expected);
  assert.ok(new Set(expected).size > 5, 'texts depend on the prompt');
  const c = out[0]!.completion;
  assert.equal([c.model_id, c.prompt_template_hash, c.completion_tokens], [MODEL, template.hash, 12]);
  assert.ok(c.prompt_tokens > 3 && c.latency_ms > 0, JSON.stringify(c));
  assert.match(c.reason, 'default -> primary; no primary model can do chat, fell back to lightweight');
  assert.is(errors.length, 1);
  assert.equal([errors[0]!.code, errors[0]!.value], ['RECORD_VALIDATE', { i: 'no-prompt' }]);
  assert.match(errors[0]!.reason, 'template variable {{prompt}} (value.prompt) is null or undefined');
  assert.is(openInferenceServices(), 0, 'the run released its service');
});

test('a call past timeoutMs goes to the errors port with its reason; the run completes', async () => {
  const records = prompts(6, 3).map((prompt, i) => ({ i, prompt }));
  // 200 tokens take far longer than 1 ms; the queued ones time out while waiting
  const { out, errors } = await run(records, `template: "{{p}}", vars: { p: value.prompt }, maxTokens: 200, timeoutMs: 1`);
  assert.is(out.length, 0);
  assert.equal(errors.map((e) => (e.value as { i: number }).i), [0, 1, 2, 3, 4, 5], 'input order on errors too');
  for (const e of errors) {
    assert.equal([e.code, e.retriable, e.model_id], ['INFERENCE_TIMEOUT', true, MODEL]);
    assert.match(e.reason, 'timed out after 1 ms');
  }
});

test('validate rejects bad params with a clear error, each at its line', () => {
  const bad = (params: string): string[] => {
    const yaml = `name: bad\nsources:\n  - id: in\n    type: replay\n    params: { path: in.jsonl }\noperators:\n  - id: llm\n    type: inference\n    input: in\n    params: ${params}\nsinks:\n  - id: out\n    type: blackhole\n    input: llm\n`;
    try {
      parseTopology('bad.yaml', yaml, schemas);
    } catch (err) {
      assert.instance(err, ValidationErrors);
      return (err as ValidationErrors).errors.map((e: MaasflowError) => e.format());
    }
    assert.unreachable(`accepted ${params}`);
    return [];
  };
  assert.match(bad('{ template: "{{q}}", temprature: 0.5 }').join('\n'), /bad\.yaml:10:.*\/operators\/0\/params\/temprature: unknown field "temprature" \[TOPOLOGY_BAD_PARAMS\]/);
  assert.match(bad('{ maxTokens: 16 }').join('\n'), 'needs a prompt: "template" (text with {{name}} placeholders) or "templateFile"');
  assert.match(bad('{ template: "a", templateFile: b.txt }').join('\n'), '/operators/0/params/templateFile: use either "template" (inline text) or "templateFile", not both');
  assert.match(bad('{ template: "{{q}}", model: x, select: { capability: chat } }').join('\n'), 'use either "model"');
  assert.match(bad('{ template: "{{q}}", vars: { question: value.q } }').join('\n'), '/operators/0/params/vars/question: the template has no placeholder {{question}}; its placeholders: {{q}}');
  assert.match(bad('{ template: "{{q}}", vars: { q: "value.q +" } }').join('\n'), /\/operators\/0\/params\/vars\/q: expression "value.q \+".*\[TOPOLOGY_BAD_EXPRESSION\]/);
  assert.match(bad('{ template: "{{q}}", select: { capability: embedding } }').join('\n'), '/operators/0/params/select/capability');
  const several = bad('{ template: "{{q}}", gpu: true, maxConcurrent: 0, timeoutMs: -5 }').join('\n');
  for (const needle of ['/params/gpu: must be one of: "auto", false', '/params/maxConcurrent: must be >= 1', '/params/timeoutMs: must be >= 1']) assert.match(several, needle);
});

test('an unknown model or a built-in one fails the run at start, naming it', async () => {
  for (const [params, needle] of [
    ['model: nope-1b-chat-q4-v1.0', 'no model "nope-1b-chat-q4-v1.0" in the registry'],
    [`manifests: ${path.resolve('models/manifests')}`, 'is not a text generator served by the inference service'],
  ]) {
    await run([{ prompt: 'the' }], `template: "{{prompt}}", ${params}`).then(
      () => assert.unreachable('the run should fail'),
      (err: Error) => assert.match(err.message, needle, err.message),
    );
  }
  assert.is(openInferenceServices(), 0, 'a failed create released its service');
});

test('one service per process is shared, submissions stay within maxConcurrent, and the last release unloads the model', async () => {
  const held = acquireInference({ manifests, threads: 1, gpu: 'auto' });
  const manifest = held.registry.get(MODEL);
  const queue = held.service.queue(manifest);
  let deepest = 0;
  const submit = queue.submit.bind(queue);
  queue.submit = (task) => {
    deepest = Math.max(deepest, queue.depth + 1);
    return submit(task);
  };
  const records = prompts(24, 11).map((prompt, i) => ({ i, prompt }));
  const first = await run(records, 'template: "{{prompt}}", maxTokens: 6, maxConcurrent: 3', { batchSize: 24 });
  assert.is(deepest, 3, 'at most maxConcurrent requests in the queue, and it was used');
  assert.is(first.out.length, 24);
  assert.is(held.service.host(manifest).state, 'loaded', 'the operator used the held service');
  assert.is(openInferenceServices(), 1);
  await releaseInference(held);
  assert.is(held.service.host(manifest).state, 'unloaded', 'the last release unloaded the model');
  assert.is(openInferenceServices(), 0);

  const second = await run(records, 'template: "{{prompt}}", maxTokens: 6', { batchSize: 5 });
  assert.equal(second.out.map((r) => r.completion.text), first.out.map((r) => r.completion.text), 'a second run in the process: a fresh service, the same texts');
  assert.is(openInferenceServices(), 0);
});

test('release cancels the calls of a batch in flight, then unloads the model', async () => {
  const op = await inferenceOperator.create({ manifests, threads: 1, template: '{{prompt}}', maxTokens: 200 }, {
    id: 'llm',
    store: () => { throw new Error('no state'); },
    counter: () => ({ inc() {}, get value() { return 0; } }) as unknown as Counter,
  });
  const pushed: { value: unknown; port?: string }[] = [];
  const out: Output = { push: (value, _ts, _key, port) => void pushed.push({ value, port }), emitColumns: () => assert.unreachable('the operator pushes records') };
  const values = prompts(5, 5).map((prompt) => ({ prompt }));
  const processing = op.process(makeBatch(values, new Float64Array(values.length), null, 0), 0, out, -Infinity);
  assert.is(openInferenceServices(), 1);
  await op.release!();
  await processing;
  assert.is(openInferenceServices(), 0, 'released and unloaded while the batch was in flight');
  assert.is(pushed.length, 5);
  assert.ok(pushed.every((p) => p.port === 'errors' && (p.value as InferenceFailure).code === 'INFERENCE_CANCELLED'), JSON.stringify(pushed.map((p) => p.value).slice(0, 2)));
  assert.match((pushed[0]!.value as InferenceFailure).reason, 'inference operator "llm" released');
});

test.run();
