import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { runTopology } from '../../../engine/runtime.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { EmbeddedLog } from '../../../streams/log/embedded-log.ts';
import type { TopologySpec } from '../../../topologies/spec.ts';
import type { ChatResponse } from '../../../operators/maas/types.ts';

const schemas = SchemaRegistry.load();

function pipelineSpec(dir: string): TopologySpec {
  const spec = parse(fs.readFileSync('topologies/maas/pipeline.yaml', 'utf8')) as TopologySpec;
  fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ version: 'v-test', params: { top_k: 3 } }));
  for (const o of spec.operators ?? []) o.params = { store: path.join(dir, 'maas.duckdb'), params: path.join(dir, 'params.json') };
  spec.sources[0]!.params = { topic: 'requests', stopAtEnd: true };
  return spec;
}

function readAll(log: EmbeddedLog, topic: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < log.topicConfig(topic).partitions; p++) for (const r of log.read(topic, p, 0, 1e6)) out.push(r.value);
  return out;
}

test('pipeline topology: every run walks the state machine on pipeline_runs; a planted fact is answered in a later thread; a bad request goes to requests.dlq', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-pipeline-'));
  const requests = [
    { user_id: 'u1', thread_id: 't1', message_id: 'm1', message: "My dog's name is Rex and he is a beagle.", client_type: 'emulator', eval: { plants: ['pet.name'] } },
    { user_id: 'u2', thread_id: 't9', message_id: 'm2', message: 'My favourite city is Lisbon.' },
    { user_id: 'u1', thread_id: 't2', message_id: 'm3', message: "What is my dog's name?", client_type: 'emulator', eval: { golden_facts: ['pet.name'], golden_answer: 'Rex' } },
    { user_id: 'u1', message: 'no thread id' },
  ];
  const log = EmbeddedLog.open(path.join(dir, 'log'));
  log.createTopic('requests', { partitions: 1 });
  log.appendByKey('requests', requests.map((r, i) => ({ key: Buffer.from(String(r.user_id)), value: Buffer.from(JSON.stringify(r)), timestamp: 1_700_000_000_000 + i })));
  log.close();

  const summary = await runTopology(pipelineSpec(dir), { schemas, dataDir: dir });
  assert.ok(summary.completed);

  const check = EmbeddedLog.open(path.join(dir, 'log'));
  const decode = schemas.decoder('maas.PipelineRunEvent@1');
  const events = readAll(check, 'pipeline_runs').map((b) => {
    const r = decode(b);
    if (!r.ok) throw new Error(r.reason);
    return r.value as { run_id: string; seq: number; state: string; param_version: string; client_type: string; retrieved_fact_keys: string[]; golden_fact_keys: string[]; answer: string | null; prompt_tokens: number };
  });
  const byRun = new Map<string, typeof events>();
  for (const e of events) byRun.set(e.run_id, [...(byRun.get(e.run_id) ?? []), e]);
  assert.is(byRun.size, 3, 'one run per valid request');
  for (const list of byRun.values()) {
    list.sort((a, b) => a.seq - b.seq);
    assert.equal(list.map((e) => e.state), ['NEW', 'ANALYZING', 'ANALYZED', 'ASSEMBLING', 'READY', 'RESPONDING', 'COMPLETED']);
    assert.equal(list.map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(list.every((e) => e.param_version === 'v-test'));
  }
  const responses = readAll(check, 'responses').map((b) => JSON.parse(Buffer.from(b).toString('utf8')) as ChatResponse);
  assert.is(responses.length, 3);
  const question = responses.find((r) => r.thread_id === 't2')!;
  assert.is(question.status, 'COMPLETED');
  assert.match(question.answer!, 'Rex', 'the fact planted in thread t1 is answered in thread t2 of the same user');
  const completed = byRun.get(question.run_id)!.at(-1)!;
  assert.equal(completed.golden_fact_keys, ['pet.name']);
  const ready = byRun.get(question.run_id)!.find((e) => e.state === 'READY')!;
  assert.ok(ready.retrieved_fact_keys.includes('pet.name'), 'the golden memory was retrieved');
  assert.ok(completed.prompt_tokens > 0);
  const dlq = readAll(check, 'requests.dlq').map((b) => JSON.parse(Buffer.from(b).toString('utf8')) as { reason: string });
  assert.is(dlq.length, 1);
  assert.match(dlq[0]!.reason, 'missing required field "thread_id"');
  check.close();
});

test.run();
