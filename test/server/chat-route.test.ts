import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../engine/errors.ts';
import type { ChatRequest, ChatResponse } from '../../operators/maas/types.ts';
import { buildServer } from '../../server/app.ts';

const valid: ChatRequest = { user_id: 'u1', thread_id: 't1', message: 'My dog is called Rex.' };

function fakeMaas(answer: (r: ChatRequest) => ChatResponse | Promise<ChatResponse>): { calls: ChatRequest[]; chat(r: ChatRequest): Promise<ChatResponse> } {
  const calls: ChatRequest[] = [];
  return { calls, chat: async (r) => { calls.push(r); return answer(r); } };
}

const completed = (r: ChatRequest): ChatResponse => ({ run_id: 'run-1', thread_id: r.thread_id, status: 'COMPLETED', answer: 'ok', memories_used: [], param_version: 'v1' });

test('a valid body reaches the MaaS once and its response comes back with the run id', async () => {
  const maas = fakeMaas(completed);
  const app = await buildServer({ chat: maas.chat });
  const res = await app.inject({ method: 'POST', url: '/v1/chat', payload: valid });
  assert.is(res.statusCode, 200);
  assert.equal(res.json(), completed(valid));
  assert.equal(maas.calls, [valid]);
  assert.is((await app.inject({ method: 'GET', url: '/health' })).json().status, 'ok');
  await app.close();
});

const BAD: { name: string; status: number; code: string; needle: string; payload?: string; contentType?: string }[] = [
  { name: 'missing field', status: 400, code: 'REQUEST_INVALID', needle: 'missing required field "thread_id"', payload: JSON.stringify({ user_id: 'u', message: 'hi' }) },
  { name: 'unknown field', status: 400, code: 'REQUEST_INVALID', needle: 'unknown field "role"', payload: JSON.stringify({ ...valid, role: 'admin' }) },
  { name: 'wrong type', status: 400, code: 'REQUEST_INVALID', needle: '/message: must be string', payload: JSON.stringify({ ...valid, message: 42 }) },
  { name: 'empty message', status: 400, code: 'REQUEST_INVALID', needle: '/message', payload: JSON.stringify({ ...valid, message: '' }) },
  { name: 'message too long', status: 400, code: 'REQUEST_INVALID', needle: '/message: must NOT have more than 16000 characters', payload: JSON.stringify({ ...valid, message: 'a'.repeat(16_001) }) },
  { name: 'bad client type', status: 400, code: 'REQUEST_INVALID', needle: '/client_type', payload: JSON.stringify({ ...valid, client_type: 'robot' }) },
  { name: 'bad eval', status: 400, code: 'REQUEST_INVALID', needle: '/eval/golden_facts', payload: JSON.stringify({ ...valid, eval: { golden_facts: 'pet.name' } }) },
  { name: 'array body', status: 400, code: 'REQUEST_INVALID', needle: 'must be object', payload: JSON.stringify([valid]) },
  { name: 'null body', status: 400, code: 'REQUEST_INVALID', needle: 'body', payload: 'null' },
  { name: 'malformed JSON', status: 400, code: 'REQUEST_INVALID', needle: 'JSON', payload: '{"user_id": "u1", ' },
  { name: 'empty JSON body', status: 400, code: 'REQUEST_INVALID', needle: 'empty', payload: '' },
  { name: 'not JSON', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', needle: 'text/xml', payload: '<chat/>', contentType: 'text/xml' },
  { name: 'huge body', status: 413, code: 'BODY_TOO_LARGE', needle: 'POST /v1/chat', payload: JSON.stringify({ ...valid, message: 'x'.repeat(300_000) }) },
];

for (const c of BAD) {
  test(`bad body (${c.name}): ${c.status} ${c.code} with a message naming the problem; nothing reaches the MaaS`, async () => {
    const maas = fakeMaas(completed);
    const app = await buildServer({ chat: maas.chat });
    const res = await app.inject({ method: 'POST', url: '/v1/chat', payload: c.payload, headers: { 'content-type': c.contentType ?? 'application/json' } });
    assert.is(res.statusCode, c.status, res.body);
    const body = res.json() as { error: { code: string; message: string } };
    assert.is(body.error.code, c.code);
    assert.ok(body.error.message.includes(c.needle), `"${body.error.message}" should mention ${c.needle}`);
    assert.is(maas.calls.length, 0);
    await app.close();
  });
}

test('a failed run is a 500 with the response (run id, reason); a timeout 504; an unknown route 404', async () => {
  const failing = fakeMaas((r) => ({ run_id: 'run-2', thread_id: r.thread_id, status: 'FAILED', answer: null, error: 'maas.respond: boom', memories_used: [], param_version: 'v1' }));
  const app = await buildServer({ chat: failing.chat });
  const res = await app.inject({ method: 'POST', url: '/v1/chat', payload: valid });
  assert.is(res.statusCode, 500);
  assert.is(res.json().run_id, 'run-2');
  assert.is(res.json().error, 'maas.respond: boom');
  const missing = await app.inject({ method: 'GET', url: '/v1/nothing' });
  assert.is(missing.statusCode, 404);
  assert.is(missing.json().error.message, 'no route GET /v1/nothing');
  await app.close();

  const slow = await buildServer({ chat: async () => { throw new MaasflowError('CHAT_TIMEOUT', 'no response for run r within 10 ms'); } });
  const timedOut = await slow.inject({ method: 'POST', url: '/v1/chat', payload: valid });
  assert.is(timedOut.statusCode, 504);
  assert.is(timedOut.json().error.code, 'CHAT_TIMEOUT');
  const broken = await buildServer({ chat: async () => { throw new Error('disk on fire'); } });
  const internal = await broken.inject({ method: 'POST', url: '/v1/chat', payload: valid });
  assert.is(internal.statusCode, 500);
  assert.is(internal.json().error.code, 'INTERNAL');
  assert.not.ok(internal.body.includes('disk on fire'), 'internal details stay in the server log');
  await slow.close();
  await broken.close();
});

test.run();
