/**
 * The MaaS stages with a model file: given a manifests folder whose models
 * §3.1 selects for keywords and chat, the Analyzer and the Responder call the
 * LLM through the inference service (a tiny GGUF the test writes), and the
 * Logger records that model, its template hash and tokens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { runTopology } from '../../../engine/runtime.ts';
import { ANALYZER_TEMPLATE, RESPONDER_TEMPLATE } from '../../../operators/maas/stages.ts';
import type { ChatResponse } from '../../../operators/maas/types.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { EmbeddedLog } from '../../../streams/log/embedded-log.ts';
import type { TopologySpec } from '../../../topologies/spec.ts';
import { writeTinyGguf } from '../../support/models/tiny-gguf.ts';
import { writeTinyEmbeddingModel } from '../../support/models/tiny-onnx.ts';
import { sha256OfModel } from '../../../models/runtime/model-host.ts';
import { MemoryStore } from '../../../operators/maas/store.ts';

const schemas = SchemaRegistry.load();

function readJson<T>(log: EmbeddedLog, topic: string): T[] {
  const out: T[] = [];
  for (let p = 0; p < log.topicConfig(topic).partitions; p++) for (const r of log.read(topic, p, 0, 1e6)) out.push(JSON.parse(Buffer.from(r.value).toString('utf8')) as T);
  return out;
}

test('with a tiny GGUF and a tiny ONNX embedder in the manifests folder: the Analyzer and the Responder run on the LLM, memories are embedded by the ONNX model (vectors cached on disk); the Logger records the model', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-llm-pipeline-'));
  const manifests = path.join(dir, 'manifests');
  fs.mkdirSync(manifests);
  const { sha256 } = writeTinyGguf(path.join(dir, 'tiny.gguf'), { seed: 1 });
  fs.writeFileSync(
    path.join(manifests, 'tiny.yaml'),
    `id: tiny-0m-chat-f32-v1.0\nfamily: tiny\nrole: primary\npath: ${path.join(dir, 'tiny.gguf')}\nformat: gguf\nquant: f32\ncontext_length: 256\ncapabilities: [chat, keywords]\nrevision: r1\nchecksum_sha256: ${sha256}\n`,
  );
  const embedDir = path.join(dir, 'tiny-embed');
  writeTinyEmbeddingModel(embedDir, { seed: 3 });
  fs.writeFileSync(
    path.join(manifests, 'embed.yaml'),
    `id: tiny-1m-embed-f32-v1.0\nfamily: tiny\nrole: primary\npath: ${embedDir}\nformat: onnx\nquant: f32\ncontext_length: 128\ncapabilities: [embedding]\nrevision: r1\nchecksum_sha256: ${await sha256OfModel(embedDir)}\n`,
  );
  fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ version: 'v-llm', params: {} }));
  const spec = parse(fs.readFileSync('topologies/maas/pipeline.yaml', 'utf8')) as TopologySpec;
  for (const o of spec.operators ?? []) o.params = { store: path.join(dir, 'maas.duckdb'), params: path.join(dir, 'params.json'), models: manifests, modelThreads: 1 };
  spec.sources[0]!.params = { topic: 'requests', stopAtEnd: true };
  const log = EmbeddedLog.open(path.join(dir, 'log'));
  log.createTopic('requests', { partitions: 1 });
  const requests = [
    { user_id: 'u1', thread_id: 't1', message_id: 'm1', message: 'My dog Rex is a quick brown beagle and he is 3 years old.' },
    { user_id: 'u1', thread_id: 't1', message_id: 'm2', message: 'what does the quick fox do?' },
  ];
  log.appendByKey('requests', requests.map((r, i) => ({ key: Buffer.from(r.user_id), value: Buffer.from(JSON.stringify(r)), timestamp: 1_700_000_000_000 + i })));
  log.close();

  const summary = await runTopology(spec, { schemas, dataDir: dir });
  assert.ok(summary.completed);
  const check = EmbeddedLog.open(path.join(dir, 'log'));
  try {
    const responses = readJson<ChatResponse>(check, 'responses');
    assert.equal(responses.map((r) => r.status), ['COMPLETED', 'COMPLETED']);
    assert.ok(responses.every((r) => typeof r.answer === 'string' && r.answer.length > 0));
    const calls = readJson<{ stage: string; model_id: string; prompt_template_hash: string | null; completion_tokens: number; ok: boolean }>(check, 'inferences');
    assert.is(calls.length, 4, 'an Analyzer and a Responder call per run');
    assert.ok(calls.every((c) => c.ok && c.model_id === 'tiny-0m-chat-f32-v1.0' && c.completion_tokens > 0), JSON.stringify(calls));
    assert.ok(calls.filter((c) => c.stage === 'maas.respond').every((c) => c.prompt_template_hash!.startsWith(`${RESPONDER_TEMPLATE.hash}:`)));
    assert.ok(calls.filter((c) => c.stage === 'maas.analyze').every((c) => c.prompt_template_hash === ANALYZER_TEMPLATE.hash));
  } finally {
    check.close();
  }
  const cacheFiles = fs.readdirSync(path.join(dir, 'maas.duckdb.embeddings')).filter((f) => f.endsWith('.emb'));
  assert.is(cacheFiles.length, 1, 'one cache file for the embedder version');
  const store = new MemoryStore({ path: path.join(dir, 'maas.duckdb'), dim: 32 });
  await store.open();
  const memories = await store.listMemories('u1');
  assert.ok(memories.length > 0 && memories.every((m) => m.embedding.length === 32), `memories carry the ONNX model's 32-dim vectors (${memories.length}, ${memories.map((m) => m.embedding.length)})`);
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
