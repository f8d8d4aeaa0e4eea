import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { agreement, goldenJudge, lexicalJudge, llmJudge, loadJudgeInputs, parseYesNo, type JudgeInput } from '../../../control/teacher/judges.ts';
import { parseManifest } from '../../../models/registry/manifest.ts';
import { ModelRegistry } from '../../../models/registry/registry.ts';
import { InferenceService } from '../../../models/runtime/inference-service.ts';
import { readPerRunValues } from '../../../control/teacher/metrics.ts';
import { saveJudgements } from '../../../control/teacher/results-store.ts';
import { withSensorDb } from '../../../operators/sensor/history.ts';
import { acquireInstance } from '../../../sinks/duckdb/instances.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { loadScenarios, runEmulator } from '../../../streams/emulator/index.ts';
import { MaasHost } from '../../../streams/maas/host.ts';

const markers = loadScenarios().unknown_markers;
const golden = goldenJudge({ unknownMarkers: markers });
const lexical = lexicalJudge({ unknownMarkers: markers });

const base: JudgeInput = {
  run_id: 'r1',
  question: "What is my dog's name?",
  answer: "Your dog's name is Rex.",
  retrieved: [
    { memory_id: 'm1', text: "My dog's name is Rex and he is a beagle.", fact_keys: ['pet.name'] },
    { memory_id: 'm2', text: 'I work as a nurse in Porto.', fact_keys: ['job'] },
  ],
  memories_used: 1,
  golden_fact_keys: ['pet.name'],
  golden_answer: 'Rex',
};

test('both judges on hand-made runs: relevant memories, utilisation, hallucination; "I don\'t know" is never a hallucination', () => {
  for (const judge of [golden, lexical]) {
    const j = judge.judge(base);
    assert.equal(j.relevant, [true, false], judge.id);
    assert.is(j.utilisation, 0.5, judge.id);
    assert.is(j.hallucination, false, judge.id);
    assert.is(judge.judge({ ...base, answer: "I don't know." }).hallucination, false, judge.id);
    assert.is(judge.judge({ ...base, answer: 'Your dog is called Biscuit the poodle.' }).hallucination, true, judge.id);
  }
  assert.is(golden.judge({ ...base, golden_fact_keys: [], golden_answer: null }).hallucination, null, 'no labels: the golden judge cannot tell');
  const a = agreement([golden.judge(base), golden.judge({ ...base, run_id: 'r2', answer: 'Biscuit' })], [lexical.judge(base), lexical.judge({ ...base, run_id: 'r2', answer: 'Biscuit' })]);
  assert.equal(a, { judges: ['golden-v1', 'lexical-v1'], hallucination: { runs: 2, agreement: 1 }, relevance: { memories: 4, agreement: 1 } });
});

test('the LLM judge asks the judge model yes/no questions through the inference service; unclear replies stay unknown', async () => {
  assert.equal(['Yes.', ' no, because', 'maybe', 'yesterday'].map(parseYesNo), [true, false, null, null]);
  const m = parseManifest('judge.yaml', 'id: fake-1m-judge-f32-v1.0\nfamily: fake\nrole: secondary\npath: judge.gguf\nformat: gguf\nquant: f32\ncontext_length: 512\ncapabilities: [judge]\nrevision: r1\nchecksum_sha256: none\nskip_checksum: true', os.tmpdir());
  fs.writeFileSync(m.path, 'x');
  const prompts: string[] = [];
  // the fake judge: a memory is relevant when it mentions "Rex"; an answer is supported when the memories mention its last word
  const service = new InferenceService({
    registry: new ModelRegistry([m]),
    loader: async () => ({
      kind: 'generator',
      model: {
        sequences: 1,
        countTokens: () => 1,
        unload: async () => undefined,
        async generate(_seq, prompt) {
          prompts.push(prompt);
          const memory = /Memory: (.*)/.exec(prompt)?.[1];
          if (memory !== undefined) return { text: memory.includes('Rex') ? ' yes' : ' no', promptTokens: 1, completionTokens: 1 };
          const answer = /Answer: (.*)/.exec(prompt)![1]!;
          const last = answer.replace(/\W+$/, '').split(' ').at(-1)!;
          return { text: prompt.split('Question:')[0]!.includes(last) ? ' yes' : ' no', promptTokens: 1, completionTokens: 1 };
        },
      },
    }),
  });
  const llm = llmJudge(service, { unknownMarkers: markers });
  const j = await llm.judge(base);
  assert.equal([j.judge, j.relevant, j.hallucination, j.utilisation], ['llm-v1', [true, false], false, null]);
  assert.is((await llm.judge({ ...base, answer: 'Your dog is called Biscuit' })).hallucination, true);
  assert.is((await llm.judge({ ...base, answer: "I don't know." })).hallucination, false, 'no question asked for "I don\'t know"');
  assert.ok(prompts.every((p) => p.endsWith('Reply:')));
  const a = agreement([golden.judge(base)], [j]);
  assert.equal(a.relevance, { memories: 2, agreement: 1 });
  await service.close();
});

test('on emulator runs: the golden judge matches the SQL hallucination rate; agreement is measured and stored', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-judges-'));
  const host = MaasHost.start({ schemas: SchemaRegistry.load(), dataDir: dir });
  await runEmulator({ seed: 8, dialogues: 20, chat: (r) => host.chat(r) });
  await host.stop();
  const lease = await acquireInstance(host.paths.memoryStore, 'judges-test');
  const store = await lease.instance.connect();
  try {
    await withSensorDb(host.paths.sensor, async (sensor) => {
      const inputs = await loadJudgeInputs(sensor, store);
      assert.ok(inputs.length > 100, `runs to judge (${inputs.length})`);
      assert.ok(inputs.every((r) => r.question.length > 0), 'every run has its question from the memory store');
      const g = inputs.map((r) => golden.judge(r));
      const l = inputs.map((r) => lexical.judge(r));
      const judged = g.filter((j) => j.hallucination !== null);
      const sql = await readPerRunValues(host.paths.sensor, { metric: 'hallucination_rate' });
      const rate = judged.filter((j) => j.hallucination).length / judged.length;
      const sqlRate = sql.reduce((s, v) => s + v, 0) / sql.length;
      assert.is(judged.length, sql.length, 'the same population: completed questions');
      assert.ok(Math.abs(rate - sqlRate) < 1e-12, `golden judge ${rate} = SQL ${sqlRate}`);
      const a = agreement(g, l);
      assert.ok(a.hallucination.runs === judged.length && a.hallucination.agreement! >= 0.5, JSON.stringify(a));
      assert.ok(a.relevance.memories > 0 && a.relevance.agreement! >= 0.5, JSON.stringify(a));
      await saveJudgements(sensor, 1_800_000_000_000, [...g, ...l], [a]);
      const stored = (await sensor.runAndReadAll(`SELECT aspect, n, agreement FROM judge_agreement ORDER BY aspect`)).getRowObjectsJS();
      assert.equal(stored, [
        { aspect: 'hallucination', n: a.hallucination.runs, agreement: a.hallucination.agreement },
        { aspect: 'relevance', n: a.relevance.memories, agreement: a.relevance.agreement },
      ]);
    });
  } finally {
    store.closeSync();
    lease.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
