import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saveJudgements } from '../../control/teacher/results-store.ts';
import { parseManifest } from '../../models/registry/manifest.ts';
import { ModelRegistry } from '../../models/registry/registry.ts';
import { InferenceService } from '../../models/runtime/inference-service.ts';
import { promptTemplate } from '../../models/runtime/prompt-template.ts';
import { withSensorDb } from '../../operators/sensor/history.ts';
import { exportJudgeAgreement } from '../../operators/sensor/metrics-source.ts';
import { buildServer } from '../../server/app.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-metrics-'));

test('GET /metrics: inference latency histograms, tokens/s, queue depth, residency, and the judges\' agreement, as Prometheus text', async () => {
  const m = parseManifest('m.yaml', 'id: fake-1m-chat-f32-v1.0\nfamily: fake\nrole: lightweight\npath: x.gguf\nformat: gguf\nquant: f32\ncontext_length: 64\ncapabilities: [chat]\nrevision: r1\nchecksum_sha256: none\nskip_checksum: true', dir);
  fs.writeFileSync(m.path, 'x');
  const service = new InferenceService({
    registry: new ModelRegistry([m]),
    loader: async () => ({ kind: 'generator', model: { sequences: 1, countTokens: () => 1, generate: async () => ({ text: 'ok', promptTokens: 3, completionTokens: 2 }), unload: async () => undefined } }),
  });
  await service.generate({ model: m.id, template: promptTemplate('t', '{{q}}'), vars: { q: 'hi' }, maxTokens: 2, role: 'judge' });
  const sensor = path.join(dir, 'sensor.duckdb');
  await withSensorDb(sensor, (conn) => saveJudgements(conn, 1_800_000_000_000, [], [{ judges: ['golden-v1', 'lexical-v1'], hallucination: { runs: 10, agreement: 0.9 }, relevance: { memories: 4, agreement: 0.75 } }]));
  const unexport = exportJudgeAgreement(sensor);
  const app = await buildServer({ chat: async () => { throw new Error('unused'); } });
  try {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.is(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, 'text/plain; version=0.0.4');
    assert.match(res.body, 'maasflow_inference_latency_ms_count{model="fake-1m-chat-f32-v1.0",role="judge"} 1');
    assert.match(res.body, /maasflow_inference_tokens_per_second\{model="fake-1m-chat-f32-v1.0",role="judge"\} [\d.e+-]+/);
    assert.match(res.body, 'maasflow_inference_queue_depth{model="fake-1m-chat-f32-v1.0"} 0');
    assert.match(res.body, /maasflow_model_resident_seconds\{model="fake-1m-chat-f32-v1.0"\} [\d.]+/);
    assert.match(res.body, 'maasflow_judge_agreement{judge_a="golden-v1",judge_b="lexical-v1",aspect="hallucination"} 0.9');
    await service.close();
    unexport();
    const after = await app.inject({ method: 'GET', url: '/metrics' });
    assert.not.match(after.body, 'maasflow_inference_latency_ms_count', 'a closed service no longer exports');
  } finally {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
