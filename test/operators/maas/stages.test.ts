/** MaaS stages over a real DuckDB store: Archivist thresholds and the stage chain on a 3-turn dialogue. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BuiltinEmbedder } from '../../../models/builtin/embedder.ts';
import { countTokens } from '../../../models/builtin/keywords.ts';
import { IDK, systemPrompt } from '../../../models/builtin/responder.ts';
import { DEFAULT_PARAMS } from '../../../operators/maas/params.ts';
import { analyze, archive, assemble, importanceOf, promptTemplateHash, respond, type StageContext } from '../../../operators/maas/stages.ts';
import { memoryIdFor, MemoryStore } from '../../../operators/maas/store.ts';
import type { ChatRequest, MaasParams } from '../../../operators/maas/types.ts';

const T0 = Date.UTC(2026, 0, 15, 12);
let dir = '';
let store: MemoryStore;
const embedder = new BuiltinEmbedder();

test.before.each(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-stages-'));
  store = new MemoryStore({ path: path.join(dir, 'maas.duckdb'), dim: embedder.dim });
  await store.open();
});
test.after.each(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ctx = (params: Partial<MaasParams> = {}, now = T0): StageContext => ({ store, embedder, params: { ...DEFAULT_PARAMS, ...params }, now });
const req = (message: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({ user_id: 'u1', thread_id: 't1', message, ...extra });

test('importance: first person, numbers and names score; small talk scores 0', () => {
  assert.ok(importanceOf("My dog's name is Rex and he is a beagle.") > 0.6);
  assert.ok(importanceOf('I was born in 1990.') > importanceOf('I was born.'));
  assert.ok(importanceOf('The weather is nice today.') < 0.3);
  assert.is(importanceOf('Thanks!'), 0);
  assert.is(importanceOf('Hi there, ok.'), 0);
});

test('archivist: threshold, per-message cap, no questions, deterministic ids, idempotent', async () => {
  const message = "What time is it? My dog's name is Rex. The weather is nice today. I was born in 1990 in Porto.";
  const strict = await archive(req(message), 'msg-1', ctx({ archivist_min_importance: 0.3 }));
  assert.equal(strict.map((m) => m.text), ["My dog's name is Rex.", 'I was born in 1990 in Porto.']);
  assert.equal(strict.map((m) => m.memoryId), [memoryIdFor('msg-1', 1), memoryIdFor('msg-1', 3)]);
  const lenient = await archive(req(message), 'msg-1', ctx({ archivist_min_importance: 0 }));
  assert.equal(lenient.map((m) => m.text), ["My dog's name is Rex.", 'The weather is nice today.', 'I was born in 1990 in Porto.'], 'the question is never stored');
  const capped = await archive(req(message), 'msg-1', ctx({ archivist_min_importance: 0, archivist_max_per_message: 1 }));
  assert.equal(capped.map((m) => m.text), ['I was born in 1990 in Porto.'], 'the most important one');
  assert.equal(await archive(req(message), 'msg-1', ctx({ archivist_min_importance: 0.95 })), []);
  assert.equal(await archive(req(message), 'msg-1', ctx({ archivist_min_importance: 0, archivist_max_per_message: 0 })), []);
  assert.equal(await archive(req('Where do I live?'), 'msg-2', ctx({ archivist_min_importance: 0 })), []);
  // every run above wrote into the same store: one row per clause, whatever the thresholds
  const stored = await store.listMemories('u1');
  assert.is(stored.length, 3);
  assert.ok(stored.every((m) => m.importance > 0 && m.sourceMessageId === 'msg-1' && m.createdAt === T0 && m.threadId === 't1'));
});

test('archivist stores eval.plants as fact keys and keywords of each memory', async () => {
  const [m] = await archive(req('I live in Lisbon.', { eval: { plants: ['home_city'] } }), 'msg-9', ctx());
  assert.equal(m!.factKeys, ['home_city']);
  assert.equal(m!.keywords, ['live', 'lisbon']);
});

/** The chain the pipeline runs for one message; returns what the pipeline would record. */
async function turn(message: string, n: number, extra: Partial<ChatRequest> = {}, params: Partial<MaasParams> = {}) {
  const request = req(message, extra);
  const c = ctx(params, T0 + n * 60_000);
  const messageId = `t1-m${n}`;
  await store.ensureUserThread(request.user_id, request.thread_id, c.now);
  await store.addMessage({ messageId, threadId: request.thread_id, userId: request.user_id, role: 'user', text: message, createdAt: c.now, runId: `run-${n}` });
  const analysis = await analyze(request, c);
  const assembled = await assemble(request, analysis.keywords, c);
  const response = await respond(request, assembled.retrieved, c);
  await store.addMessage({ messageId: `${messageId}-a`, threadId: request.thread_id, userId: request.user_id, role: 'assistant', text: response.answer, createdAt: c.now, runId: `run-${n}` });
  const memories = await archive(request, messageId, c);
  return { analysis, assembled, response, memories };
}

test('end to end: a 3-turn dialogue plants facts, then retrieves and answers them', async () => {
  const t1 = await turn("Hi! My dog's name is Rex and he is a beagle. I live in Lisbon.", 0, { eval: { plants: ['dog_name', 'home_city'] } });
  assert.is(t1.response.answer, IDK, 'nothing stored yet');
  assert.equal([t1.assembled.found, t1.assembled.retrieved], [0, []]);
  assert.is(t1.memories.length, 2);

  const t2 = await turn('What is the name of my dog?', 1);
  assert.equal(t2.analysis.keywords, ['name', 'dog']);
  assert.is(t2.analysis.modelId, 'builtin-tiny-keywords-none-v1.0');
  assert.is(t2.analysis.promptTokens, countTokens('What is the name of my dog?'));
  assert.is(t2.assembled.retrieved[0]!.memoryId, t1.memories[0]!.memoryId);
  assert.equal(t2.assembled.retrieved[0]!.factKeys, ['dog_name', 'home_city']);
  assert.match(t2.response.answer, 'Rex');
  assert.equal(t2.response.usedMemoryIds, [t1.memories[0]!.memoryId]);
  assert.is(t2.response.modelId, 'builtin-tiny-extractive-none-v1.0');
  assert.is(t2.response.promptTemplateHash, promptTemplateHash(systemPrompt('v1').text));
  assert.match(t2.response.promptTemplateHash, /^[0-9a-f]{16}$/);
  assert.ok(t2.response.promptTokens > countTokens(systemPrompt('v1').text));
  assert.is(t2.response.completionTokens, countTokens(t2.response.answer));
  assert.equal(t2.memories, [], 'questions are not archived');

  const t3 = await turn('Where do I live?', 2, {}, { system_prompt_version: 'v2' });
  assert.is(t3.response.answer, 'I live in Lisbon.');
  assert.equal(t3.response.usedMemoryIds, [t1.memories[1]!.memoryId]);
  assert.is.not(t3.response.promptTemplateHash, t2.response.promptTemplateHash);

  assert.equal((await store.recentMessages('t1', 10)).map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
  // another user asks the same: no memories of u1 leak
  const other = await respond(req('What is the name of my dog?', { user_id: 'u2' }), (await assemble(req('What is the name of my dog?', { user_id: 'u2' }), ['name', 'dog'], ctx())).retrieved, ctx());
  assert.is(other.answer, IDK);
});

test.run();
