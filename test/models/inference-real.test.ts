/**
 * The inference service on real model files the test writes itself: a tiny
 * GGUF through node-llama-cpp and a tiny ONNX embedder through
 * transformers.js, selected from manifests, queued, lifecycle-managed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MaasflowError } from '../../engine/errors.ts';
import { parseManifest, type ModelManifest } from '../../models/registry/manifest.ts';
import { ModelRegistry } from '../../models/registry/registry.ts';
import { sha256OfModel } from '../../models/runtime/model-host.ts';
import { InferenceService } from '../../models/runtime/inference-service.ts';
import { createModelLoader } from '../../models/runtime/loaders.ts';
import { promptTemplate } from '../../models/runtime/prompt-template.ts';
import { writeTinyGguf } from '../support/models/tiny-gguf.ts';
import { writeTinyEmbeddingModel } from '../support/models/tiny-onnx.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-models-'));
const gguf = path.join(dir, 'tiny.gguf');
const { sha256 } = writeTinyGguf(gguf, { seed: 1 });
const onnxDir = path.join(dir, 'tiny-embed');
writeTinyEmbeddingModel(onnxDir, { seed: 2 });

const yaml = (o: Record<string, string>): string => Object.entries(o).map(([k, v]) => `${k}: ${v}`).join('\n');
const llm = (over: Record<string, string> = {}): ModelManifest =>
  parseManifest('tiny-llm.yaml', yaml({ id: 'tiny-0m-chat-f32-v1.0', family: 'tiny', role: 'lightweight', path: gguf, format: 'gguf', quant: 'f32', context_length: '256', capabilities: '[chat]', revision: 'r1', checksum_sha256: sha256, ...over }), dir);
const template = promptTemplate('continue', '{{text}}');
// One thread: on this 2-core machine llama.cpp is ~40x slower on the tiny model with two (CONVENTIONS.md).
// One sequence: node-llama-cpp 3.21.1 sometimes swaps outputs between sequences decoded together (~2 in 1000
// generations, raw node-llama-cpp too; docs/MODELS.md), so concurrency here is the queue's serialization.
const loader = createModelLoader({ threads: 1 });

test('N concurrent requests through the service give the same outputs as the same requests one by one', async () => {
  const service = new InferenceService({ registry: new ModelRegistry([llm()]), loader });
  const prompts = ['the quick', 'a lazy', 'hello world', 'the lazy dog', 'quick brown', 'over a', 'fox jumps', 'the dog'];
  const call = (text: string) => service.generate({ select: { capability: 'chat' }, template, vars: { text }, maxTokens: 12, temperature: 0 });
  const one: string[] = [];
  for (const p of prompts) one.push((await call(p)).text);
  const all = await Promise.all([...prompts, ...prompts].map(call));
  assert.equal(all.map((r) => r.text), [...one, ...one]);
  assert.ok(new Set(one).size > 1, 'outputs depend on the prompt');
  assert.equal([all[0]!.modelId, all[0]!.promptTemplateHash, all[0]!.completionTokens], ['tiny-0m-chat-f32-v1.0', template.hash, 12]);
  assert.match(all[0]!.reason, 'default -> primary; no primary model can do chat, fell back to lightweight');
  await service.close();
});

test('a truncated or metadata-broken GGUF: a clear error naming file and key, and this process lives on', async () => {
  const broken = path.join(dir, 'broken.gguf');
  writeTinyGguf(broken, { omitKeys: ['llama.attention.head_count'] });
  const truncated = path.join(dir, 'truncated.gguf');
  writeTinyGguf(truncated, { truncateAt: 200_000 });
  for (const [file, needle] of [[broken, "metadata key 'llama.attention.head_count' is missing"], [truncated, truncated]] as const) {
    const m = llm({ path: file, checksum_sha256: await sha256OfModel(file) });
    const service = new InferenceService({ registry: new ModelRegistry([m]), loader });
    await service.generate({ model: m.id, template, vars: { text: 'the quick' }, maxTokens: 4 }).then(
      () => assert.unreachable('the file is broken'),
      (e: MaasflowError) => {
        assert.is(e.code, 'MODEL_INVALID');
        assert.match(e.message, needle);
      },
    );
  }
  // llama.cpp aborts the whole process on such files; that this process can still load and run a model shows it never saw them
  const good = new InferenceService({ registry: new ModelRegistry([llm()]), loader });
  assert.ok((await good.generate({ select: { capability: 'chat' }, template, vars: { text: 'the quick' }, maxTokens: 4 })).completionTokens > 0);
  await good.close();
});

test('idle unload after idle_unload_seconds, lazy reload with the same output', async () => {
  const m = llm({ idle_unload_seconds: '1' });
  const service = new InferenceService({ registry: new ModelRegistry([m]), loader });
  const host = service.host(m);
  const first = await service.generate({ model: m.id, template, vars: { text: 'the quick' }, maxTokens: 8 });
  assert.is(host.state, 'loaded');
  const t0 = Date.now();
  while (host.state !== 'unloaded' && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
  const waited = Date.now() - t0;
  assert.ok(host.state === 'unloaded' && waited >= 900 && waited < 2500, `unloaded after ${waited} ms`);
  const again = await service.generate({ model: m.id, template, vars: { text: 'the quick' }, maxTokens: 8 });
  assert.is(again.text, first.text);
  await service.close();
});

test('embeddings through the service from a local ONNX folder (transformers.js, remote loading off)', async () => {
  const m = parseManifest('tiny-embed.yaml', yaml({ id: 'tiny-1m-embed-f32-v1.0', family: 'tiny', role: 'lightweight', path: onnxDir, format: 'onnx', quant: 'f32', context_length: '128', capabilities: '[embedding]', revision: 'r1', checksum_sha256: await sha256OfModel(onnxDir) }), dir);
  const service = new InferenceService({ registry: new ModelRegistry([m, ...ModelRegistry.load().manifests]), loader });
  const r = await service.embed({ texts: ['my dog is called rex', 'my dog is called rex', 'the weather is nice'] });
  assert.is(r.modelId, 'tiny-1m-embed-f32-v1.0', 'the model file before the built-in embedder');
  assert.equal(Array.from(r.vectors[0]!), Array.from(r.vectors[1]!));
  assert.is(r.vectors[0]!.length, 32);
  await service.close();
});

test.run();
