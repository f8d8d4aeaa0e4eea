import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../engine/errors.ts';
import { parseManifest, type ModelManifest } from '../../models/registry/manifest.ts';
import { ModelRegistry } from '../../models/registry/registry.ts';
import { InferenceQueue } from '../../models/runtime/inference-queue.ts';
import { InferenceService } from '../../models/runtime/inference-service.ts';
import type { LoadedModel } from '../../models/runtime/model-host.ts';
import { promptTemplate, renderPrompt } from '../../models/runtime/prompt-template.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-inference-'));
const weights = path.join(dir, 'fake.gguf');
fs.writeFileSync(weights, 'fake weights');
const sha = createHash('sha256').update('fake weights').digest('hex');

function manifest(over: Record<string, string> = {}): ModelManifest {
  const fields = { id: 'fake-1m-chat-f32-v1.0', family: 'fake', role: 'lightweight', path: weights, format: 'gguf', quant: 'f32', context_length: '256', capabilities: '[chat]', revision: 'r1', checksum_sha256: sha, sequences: '2', ...over };
  return parseManifest('fake.yaml', Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n'), dir);
}

/** A fake LLM: output depends only on the prompt; it fails loudly if two generations overlap on one sequence. */
function fakeLoader(stats: { loads: number; unloads: number; maxConcurrent: number }): (m: ModelManifest) => Promise<LoadedModel> {
  return async (m) => {
    stats.loads++;
    const busy = new Set<number>();
    let running = 0;
    return {
      kind: 'generator',
      model: {
        sequences: m.sequences,
        countTokens: (t) => t.split(/\s+/).filter(Boolean).length,
        async generate(seq, prompt, o) {
          if (busy.has(seq)) throw new Error(`two generations on sequence ${seq}: output would be garbage`);
          busy.add(seq);
          running++;
          stats.maxConcurrent = Math.max(stats.maxConcurrent, running);
          try {
            for (let i = 0; i < 3; i++) {
              if (o.signal?.aborted) throw o.signal.reason;
              await sleep(2 + (prompt.length % 3));
            }
            const text = createHash('sha256').update(prompt).digest('hex').slice(0, o.maxTokens);
            return { text, promptTokens: prompt.split(/\s+/).length, completionTokens: o.maxTokens };
          } finally {
            busy.delete(seq);
            running--;
          }
        },
        async unload() {
          stats.unloads++;
        },
      },
    };
  };
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const template = promptTemplate('echo', 'Q: {{question}}\nA:');

test('prompt templates: versioned by hash; missing or extra variables are named', () => {
  assert.is(template.hash, createHash('sha256').update(template.text).digest('hex').slice(0, 16));
  assert.equal(template.variables, ['question']);
  assert.is(renderPrompt(template, { question: 'hi' }), 'Q: hi\nA:');
  assert.throws(() => renderPrompt(template, {}), /no value for \{\{question\}\}/);
  assert.throws(() => renderPrompt(template, { question: 'x', other: 'y' }), /has no placeholder for other/);
});

test('queue: slots bound the concurrency; priority first, then arrival; a full queue refuses; whenBelow waits for room', async () => {
  const q = new InferenceQueue('m@cpu', 1, { maxQueued: 3 });
  const order: string[] = [];
  const job = (name: string, priority = 0): Promise<string> => q.submit({ priority, run: async () => (await sleep(5), order.push(name), name) });
  const all = [job('first'), job('low'), job('high', 5), job('mid', 2)];
  await q.submit({ run: async () => 'x' }).then(
    () => assert.unreachable('the queue was full'),
    (e: MaasflowError) => assert.is(e.code, 'INFERENCE_BUSY'),
  );
  const room = q.whenBelow(2);
  await Promise.all(all);
  await room;
  assert.equal(order, ['first', 'high', 'mid', 'low']);
  assert.equal(q.stats, { queued: 0, running: 0, completed: 4, failed: 0, timedOut: 0, cancelled: 0 });
});

test('queue: timeouts and cancellation, queued or running; a running task\'s slot frees only when it stopped', async () => {
  const q = new InferenceQueue('m@cpu', 1);
  const stopped: string[] = [];
  const slow = (name: string, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> =>
    q.submit({
      ...o,
      run: async (_slot, signal) => {
        while (!signal.aborted) await sleep(2);
        stopped.push(name);
        throw signal.reason;
      },
    });
  const timedOut = slow('running', { timeoutMs: 30 });
  const controller = new AbortController();
  const cancelledQueued = slow('queued', { signal: controller.signal });
  controller.abort('user gave up');
  const errors = await Promise.allSettled([timedOut, cancelledQueued]);
  assert.is((errors[0] as PromiseRejectedResult).reason.code, 'INFERENCE_TIMEOUT');
  assert.is((errors[1] as PromiseRejectedResult).reason.code, 'INFERENCE_CANCELLED');
  assert.match((errors[1] as PromiseRejectedResult).reason.message, 'user gave up');
  await until(() => q.stats.running === 0, 1000, 'the aborted task to stop');
  assert.equal(stopped, ['running'], 'the queued one never ran');
  const c2 = new AbortController();
  const running = slow('cancel-running', { signal: c2.signal });
  await until(() => q.stats.running === 1, 1000, 'start');
  c2.abort();
  await running.then(() => assert.unreachable(), (e: MaasflowError) => assert.is(e.code, 'INFERENCE_CANCELLED'));
});

test('N concurrent generations through the service give the same outputs as one by one; never two on one sequence; reason and template hash recorded', async () => {
  const stats = { loads: 0, unloads: 0, maxConcurrent: 0 };
  const service = new InferenceService({ registry: new ModelRegistry([manifest()]), loader: fakeLoader(stats) });
  const questions = Array.from({ length: 24 }, (_, i) => `question number ${i} ${'x'.repeat(i % 5)}`);
  const call = (q: string) => service.generate({ select: { capability: 'chat', latencyCritical: true }, template, vars: { question: q }, maxTokens: 12, role: 'responder' });
  const sequential: string[] = [];
  for (const q of questions) sequential.push((await call(q)).text);
  const concurrent = await Promise.all(questions.map(call));
  assert.equal(concurrent.map((r) => r.text), sequential);
  assert.is(stats.maxConcurrent, 2, 'both sequences used, never more');
  assert.is(stats.loads, 1, 'loaded once, lazily');
  const r = concurrent[0]!;
  assert.equal([r.modelId, r.reason, r.promptTemplateHash, r.completionTokens], ['fake-1m-chat-f32-v1.0', 'latency-critical -> lightweight', template.hash, 12]);
  const text = service.metrics.prometheus();
  assert.match(text, 'maasflow_inference_latency_ms_count{model="fake-1m-chat-f32-v1.0",role="responder"} 48');
  assert.match(text, 'maasflow_inference_queue_depth{model="fake-1m-chat-f32-v1.0"} 0');
  assert.match(text, /maasflow_model_resident_seconds\{model="fake-1m-chat-f32-v1.0"\} \d/);
  assert.ok(service.metrics.tokensPerSecond('fake-1m-chat-f32-v1.0')! > 0);
  await service.close();
  assert.is(stats.unloads, 1);
});

test('lifecycle: lazy load, idle unload on time, lazy reload; eager models load at start', async () => {
  const stats = { loads: 0, unloads: 0, maxConcurrent: 0 };
  const m = manifest({ idle_unload_seconds: '1' });
  const service = new InferenceService({ registry: new ModelRegistry([m]), loader: fakeLoader(stats) });
  const host = service.host(m);
  assert.is(host.state, 'unloaded');
  await service.start();
  assert.is(stats.loads, 0, 'on_demand: nothing at start');
  await service.generate({ model: m.id, template, vars: { question: 'a' }, maxTokens: 4 });
  assert.is(host.state, 'loaded');
  const t0 = Date.now();
  await until(() => host.state === 'unloaded', 3000, 'idle unload');
  const after = Date.now() - t0;
  assert.ok(after >= 900 && after < 2000, `unloaded ${after} ms after the last use (idle_unload_seconds: 1)`);
  await service.generate({ model: m.id, template, vars: { question: 'b' }, maxTokens: 4 });
  assert.equal([stats.loads, stats.unloads, host.state], [2, 1, 'loaded'], 'reloaded on the next use');
  await service.close();

  const eager = manifest({ id: 'fake-1m-chat-f32-v2.0', role: 'primary' });
  const s2 = { loads: 0, unloads: 0, maxConcurrent: 0 };
  const service2 = new InferenceService({ registry: new ModelRegistry([eager]), loader: fakeLoader(s2) });
  await service2.start();
  assert.is(s2.loads, 1, 'rule 2: the primary loads at start');
  await service2.close();
});

test('rule 4: the checksum is verified on first load (a mismatch is refused, naming both sums) unless skipped', async () => {
  const stats = { loads: 0, unloads: 0, maxConcurrent: 0 };
  const wrong = manifest({ checksum_sha256: 'b'.repeat(64) });
  const service = new InferenceService({ registry: new ModelRegistry([wrong]), loader: fakeLoader(stats) });
  await service.generate({ model: wrong.id, template, vars: { question: 'a' }, maxTokens: 4 }).then(
    () => assert.unreachable(),
    (e: MaasflowError) => {
      assert.is(e.code, 'MODEL_INVALID');
      assert.match(e.message, `checksum of ${weights} is ${sha}, the manifest fake.yaml says ${'b'.repeat(64)}`);
    },
  );
  assert.is(stats.loads, 0, 'the loader never saw the file');
  const skipped = manifest({ checksum_sha256: 'b'.repeat(64), skip_checksum: 'true' });
  const s2 = new InferenceService({ registry: new ModelRegistry([skipped]), loader: fakeLoader(stats) });
  assert.is((await s2.generate({ model: skipped.id, template, vars: { question: 'a' }, maxTokens: 4 })).text.length, 4);
  await s2.close();
  const missing = manifest({ path: path.join(dir, 'nope.gguf') });
  const s3 = new InferenceService({ registry: new ModelRegistry([missing]), loader: fakeLoader(stats) });
  await s3.generate({ model: missing.id, template, vars: { question: 'a' }, maxTokens: 4 }).then(
    () => assert.unreachable(),
    (e: MaasflowError) => assert.match(e.message, 'nope.gguf does not exist'),
  );
});

test.run();
