/**
 * The MaaS end to end in one process: the User Emulator talks to POST /v1/chat
 * of a MaasHost (pipeline + sensor on the embedded log); the sensor's DuckDB
 * history is then checked against the emulator's own account and the
 * pipeline_runs topic.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BuiltinEmbedder } from '../../../models/builtin/embedder.ts';
import { DEFAULT_PARAMS } from '../../../operators/maas/params.ts';
import { analyze, assemble } from '../../../operators/maas/stages.ts';
import { MemoryStore } from '../../../operators/maas/store.ts';
import { withSensorDb } from '../../../operators/sensor/history.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { startMaasService } from '../../../server/maas-service.ts';
import { runEmulator } from '../../../streams/emulator/index.ts';
import { terminalRuns } from './helpers.ts';
import { httpChat } from '../../../streams/maas/http-chat.ts';

const schemas = SchemaRegistry.load();

interface SensorRowView { run_id: string; status: string; error: string | null; client_type: string; golden_fact_keys: string[]; retrieved_fact_keys: string[]; retrieved_memory_ids: string[]; memories_retrieved: number; user_id: string }

async function sensorRows(file: string): Promise<SensorRowView[]> {
  return withSensorDb(file, async (conn) => (await conn.runAndReadAll('SELECT * FROM sensor_runs ORDER BY run_id')).getRowObjectsJS() as unknown as SensorRowView[]);
}

test('100 emulated dialogues through POST /v1/chat: every run ends COMPLETED or FAILED with a reason; sensor rows = pipeline runs exactly; planted facts are retrievable', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-e2e-'));
  const service = await startMaasService({ schemas, dataDir: dir, port: 0, fresh: true });
  const report = await runEmulator({ seed: 11, dialogues: 100, chat: httpChat(service.url), concurrency: 8 });
  const { paths } = service.host;
  await service.close();

  assert.is(report.dialogues, 100);
  assert.not.ok(report.aborted);
  const transcript = report.threads.flatMap((t) => t.transcript);
  assert.ok(transcript.length >= 300, `a realistic run has several turns per dialogue (got ${transcript.length})`);
  for (const entry of transcript) {
    assert.ok(entry.run_id, `turn ${entry.turn} of ${entry.request.thread_id} got a run id`);
    assert.ok(entry.status === 'COMPLETED' || (entry.status === 'FAILED' && typeof entry.error === 'string' && entry.error.length > 0), `run ${entry.run_id}: ${entry.status} ${entry.error ?? ''}`);
  }

  const terminal = terminalRuns(paths.log, schemas);
  const rows = await sensorRows(paths.sensor);
  const runIds = new Set(transcript.map((e) => e.run_id!));
  assert.is(runIds.size, transcript.length, 'one run per request');
  assert.is(terminal.size, runIds.size, 'every run reached a terminal state on pipeline_runs');
  assert.is(rows.length, terminal.size, 'sensor rows = pipeline runs');
  assert.is(new Set(rows.map((r) => r.run_id)).size, rows.length, 'no run twice');
  const statusOf = new Map(transcript.map((e) => [e.run_id!, e.status]));
  for (const r of rows) {
    assert.is(r.status, terminal.get(r.run_id), `run ${r.run_id}: the sensor's status is the pipeline's`);
    assert.is(r.status, statusOf.get(r.run_id), `run ${r.run_id}: the sensor's status is what the client got`);
    assert.is(r.client_type, 'emulator');
    if (r.status === 'FAILED') assert.ok(r.error, `failed run ${r.run_id} has its reason`);
  }
  const completed = rows.filter((r) => r.status === 'COMPLETED').length;
  const calls = await withSensorDb(paths.sensor, async (conn) => Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM inference_log WHERE ok`)).getRowObjectsJS()[0]!.n));
  assert.is(calls, 2 * completed, 'the Logger logged the Analyzer and the Responder call of every completed run');

  // Planted facts: stored as memories of their user, and found by retrieval.
  const store = new MemoryStore({ path: paths.memoryStore, dim: new BuiltinEmbedder().dim });
  await store.open();
  try {
    const memoriesOf = new Map<string, Set<string>>();
    for (const user of new Set(report.planted.map((p) => p.user_id))) memoriesOf.set(user, new Set((await store.listMemories(user)).flatMap((m) => m.factKeys)));
    const plantedDone = report.planted.filter((p) => statusOf.get(p.run_id) === 'COMPLETED');
    assert.ok(plantedDone.length >= 100, `facts were planted (${plantedDone.length})`);
    for (const p of plantedDone) assert.ok(memoriesOf.get(p.user_id)!.has(p.fact_key), `fact ${p.fact_key} planted by ${p.user_id} in run ${p.run_id} is a memory`);

    const asked = report.questions.filter((q) => q.planted_before && q.run_id && statusOf.get(q.run_id) === 'COMPLETED');
    assert.ok(asked.length >= 50, `questions about planted facts were asked (${asked.length})`);
    const rowOf = new Map(rows.map((r) => [r.run_id, r]));
    const retrievedInRun = asked.filter((q) => q.golden_facts.every((k) => rowOf.get(q.run_id!)!.retrieved_fact_keys.includes(k))).length;
    assert.ok(retrievedInRun / asked.length >= 0.8, `the run's retrieval under the default version found the golden memories of ${retrievedInRun}/${asked.length} questions`);
    const embedder = new BuiltinEmbedder();
    const generous = { ...DEFAULT_PARAMS, top_k: 50, token_budget: 8192 };
    let found = 0;
    for (const q of asked) {
      const request = { user_id: q.user_id, thread_id: q.thread_id, message: transcript.find((e) => e.run_id === q.run_id)!.request.message };
      const ctx = { store, embedder, params: generous, now: Date.now() };
      const { keywords } = await analyze(request, ctx);
      const { retrieved } = await assemble(request, keywords, ctx);
      if (q.golden_facts.every((k) => retrieved.some((m) => m.factKeys.includes(k)))) found++;
    }
    assert.is(found, asked.length, 'every golden memory is retrievable by its question');
  } finally {
    await store.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
