/** MemoryStore on a DuckDB file: idempotent writes, search, ranking by the impact factors, isolation. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { hashEmbed } from '../../../models/builtin/embedder.ts';
import { countTokens, extractKeywords } from '../../../models/builtin/keywords.ts';
import { DEFAULT_PARAMS } from '../../../operators/maas/params.ts';
import { memoryIdFor, MemoryStore, type MemoryRecord, type SearchParams } from '../../../operators/maas/store.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 15, 12);
let dir = '';

test.before.each(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-store-'));
});
test.after.each(() => fs.rmSync(dir, { recursive: true, force: true }));

async function openStore(file = 'maas.duckdb', dim = 256): Promise<MemoryStore> {
  const store = new MemoryStore({ path: path.join(dir, file), dim });
  await store.open();
  return store;
}

function memory(id: string, text: string, ageMs: number, userId = 'u1', threadId = 't1'): MemoryRecord {
  return {
    memoryId: id, userId, threadId, sourceMessageId: `msg-${id}`, text, embedding: hashEmbed(text), keywords: extractKeywords(text, 16),
    factKeys: [`fact:${id}`], importance: 0.5, createdAt: NOW - ageMs,
  };
}

async function search(store: MemoryStore, question: string, params: Partial<SearchParams> = {}, userId = 'u1') {
  return store.searchMemories({
    userId, queryEmbedding: hashEmbed(question), keywords: extractKeywords(question, 5), now: NOW, params: { ...DEFAULT_PARAMS, ...params },
  });
}
async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

const ids = (r: { ranked: { memoryId: string }[] }): string[] => r.ranked.map((m) => m.memoryId);

test('messages and memories are idempotent by id; recentMessages is oldest first', async () => {
  const store = await openStore();
  try {
    await store.ensureUserThread('u1', 't1', NOW);
    await store.ensureUserThread('u1', 't1', NOW);
    for (let i = 0; i < 4; i++) {
      const m = { messageId: `m${i}`, threadId: 't1', userId: 'u1', role: i % 2 ? 'assistant' : 'user', text: `text ${i}`, createdAt: NOW + i, runId: i % 2 ? 'run-1' : null } as const;
      assert.is(await store.addMessage(m), true);
      assert.is(await store.addMessage({ ...m, text: 'replayed' }), false);
    }
    const recent = await store.recentMessages('t1', 2);
    assert.equal(recent.map((m) => [m.messageId, m.role, m.text, m.createdAt, m.runId]), [['m2', 'user', 'text 2', NOW + 2, null], ['m3', 'assistant', 'text 3', NOW + 3, 'run-1']]);
    const mems = [memory('a', 'My dog is called Rex.', 0), memory('b', 'I live in Lisbon.', DAY)];
    assert.is(await store.addMemories(mems), 2);
    assert.is(await store.addMemories(mems), 0);
    assert.is(await store.addMemories([]), 0);
    const listed = await store.listMemories('u1');
    assert.equal(listed.map((m) => m.memoryId), ['b', 'a']);
    assert.equal(listed[1]!.embedding, mems[0]!.embedding);
    assert.equal(listed[1]!.factKeys, ['fact:a']);
    assert.is(memoryIdFor('msg-1', 0), memoryIdFor('msg-1', 0));
    assert.is.not(memoryIdFor('msg-1', 0), memoryIdFor('msg-1', 1));
    await rejects(() => store.ensureUserThread('u2', 't1', NOW), /thread t1 belongs to user u1/);
  } finally {
    await store.close();
  }
});

test('search finds the planted memory for a question about it; only the asking user\'s memories', async () => {
  const store = await openStore();
  try {
    await store.addMemories([
      memory('dog', "My dog's name is Rex and he is a beagle.", DAY),
      memory('job', 'I work as a nurse at the city hospital.', DAY),
      memory('city', 'I live in Lisbon.', DAY, 'u1', 't2'),
      memory('other-dog', "My dog's name is Max.", 0, 'u2', 't9'),
    ]);
    const r = await search(store, 'What is the name of my dog?');
    assert.equal(ids(r), ['dog']);
    assert.is(r.found, 1);
    assert.equal(r.ranked[0]!.factKeys, ['fact:dog']);
    assert.is(r.ranked[0]!.keywordOverlap, 1);
    assert.ok(r.ranked[0]!.similarity > 0.5);
    assert.is(r.ranked[0]!.tokens, countTokens("My dog's name is Rex and he is a beagle."));
    assert.equal(ids(await search(store, 'Where do I live?')), ['city'], 'other threads of the user are searched');
    assert.equal(ids(await search(store, 'What is the name of my dog?', {}, 'u2')), ['other-dog']);
    const none = await search(store, 'What is the name of my dog?', {}, 'nobody');
    assert.equal([none.found, none.ranked], [0, []]);
    assert.is((await search(store, '?!')).found, 0, 'a query without words finds nothing');
  } finally {
    await store.close();
  }
});

test('relevance_weight / recency_weight flip the ranking; top_k cuts it', async () => {
  const store = await openStore();
  try {
    await store.addMemories([
      memory('old-exact', 'My dog eats salmon with rice every day.', 10 * DAY), // both query keywords, old
      memory('new-partial', 'I walked my dog this morning.', 0), // one keyword, fresh
      memory('mid-partial', 'My dog sleeps on the sofa.', 2 * DAY), // one keyword, older
    ]);
    const q = 'What does my dog eat?';
    const relevant = await search(store, q, { relevance_weight: 1, recency_weight: 0 });
    const recent = await search(store, q, { relevance_weight: 0.1, recency_weight: 1 });
    assert.is(relevant.ranked[0]!.memoryId, 'old-exact');
    assert.equal(ids(recent), ['new-partial', 'mid-partial', 'old-exact']);
    assert.ok(relevant.ranked[0]!.relevance > recent.ranked[0]!.relevance);
    assert.ok(Math.abs(recent.ranked[0]!.recency - 1) < 1e-9 && Math.abs(recent.ranked[1]!.recency - 0.25) < 1e-9, 'half-life 1 day');
    assert.equal(ids(await search(store, q, { top_k: 1, relevance_weight: 1, recency_weight: 0 })), ['old-exact']);
    assert.equal(ids(await search(store, q, { top_k: 1, relevance_weight: 0.1, recency_weight: 1 })), ['new-partial']);
    const two = await search(store, q, { top_k: 2 });
    assert.is(two.ranked.length, 2);
    assert.is(two.found, 3, 'found counts candidates before the cut');
    // equal scores: memory_id decides
    const tie = await search(store, q, { relevance_weight: 0, recency_weight: 0 });
    assert.equal(ids(tie), ['mid-partial', 'new-partial', 'old-exact']);
  } finally {
    await store.close();
  }
});

test('token budget keeps the longest prefix of the ranking that fits', async () => {
  const store = await openStore();
  try {
    const texts = ['My dog Rex is a beagle who loves long walks along the river in the early morning.', 'My dog Rex barks.', 'My dog Rex is three years old.'];
    await store.addMemories(texts.map((t, i) => memory(`m${i}`, t, i * DAY)));
    const q = 'Tell me about my dog Rex';
    const all = await search(store, q, { relevance_weight: 0, recency_weight: 1 });
    assert.equal(ids(all), ['m0', 'm1', 'm2']);
    const first = countTokens(texts[0]!);
    assert.equal(ids(await search(store, q, { relevance_weight: 0, recency_weight: 1, token_budget: first })), ['m0']);
    assert.equal(ids(await search(store, q, { relevance_weight: 0, recency_weight: 1, token_budget: first + countTokens(texts[1]!) })), ['m0', 'm1']);
    // the best memory does not fit: nothing lower-ranked jumps ahead of it
    const cut = await search(store, q, { relevance_weight: 0, recency_weight: 1, token_budget: first - 1 });
    assert.equal([cut.found, ids(cut)], [3, []]);
  } finally {
    await store.close();
  }
});

test('persists across reopen; two stores on one file share the DuckDB instance; other dim refused', async () => {
  const a = await openStore();
  const b = await openStore();
  await a.addMemories([memory('x', 'I live in Lisbon.', 0)]);
  assert.equal((await b.listMemories('u1')).map((m) => m.memoryId), ['x'], 'b sees a\'s write');
  await a.close();
  assert.is(await b.addMemories([memory('y', 'I work as a nurse.', 0)]), 1, 'b still works after a closed');
  await b.close();
  const c = await openStore();
  assert.equal((await c.listMemories('u1')).map((m) => m.memoryId), ['x', 'y']);
  await c.close();
  await rejects(() => c.listMemories('u1'), /not open/);
  const wrongDim = new MemoryStore({ path: path.join(dir, 'maas.duckdb'), dim: 128 });
  try {
    await wrongDim.open();
    assert.unreachable();
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.match((err as Error).message, 'FLOAT[256]');
  }
  const store = await openStore('other.duckdb');
  try {
    await rejects(() => store.addMemories([{ ...memory('z', 'x y z', 0), embedding: new Float32Array(3) }]), /3 values/);
  } finally {
    await store.close();
  }
});

test.run();
