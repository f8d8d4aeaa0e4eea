import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { ChatResponse } from '../../operators/maas/types.ts';
import { buildServer } from '../../server/app.ts';
import { FakeControlPlane } from '../support/fake-control-plane.ts';
import { connectSse } from '../support/sse.ts';

const TOKEN = 'test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const chat = async (): Promise<ChatResponse> => ({ run_id: 'r1', thread_id: 't', status: 'COMPLETED', answer: 'ok', memories_used: [], param_version: 'v3' });

async function setup(extra: { sseKeepAliveMs?: number } = {}): Promise<{ fake: FakeControlPlane; app: FastifyInstance }> {
  const fake = new FakeControlPlane();
  const app = await buildServer({ chat, control: fake, token: TOKEN, ...extra });
  return { fake, app };
}

const errorOf = (res: LightMyRequestResponse): { code: string; message: string } => (res.json() as { error: { code: string; message: string } }).error;

const NEW_SPEC = {
  id: 'temp-07', goal: 'warmer answers', baseline: { name: 'control' }, variants: [{ name: 'warm', params: { temperature: 0.7 } }],
  assignment: { unit: 'user_id', split: { control: 0.5, warm: 0.5 } }, primary_metrics: ['correct_rate'], success: { mde: 0.05 },
};
const NEW_GOAL = {
  id: 'fast', description: 'quick answers', primary: [{ metric: 'correct_rate', target: 0.9, weight: 1 }],
  constraints: [{ metric: 'latency_p95_ms', max: 2000 }], allowed_factors: ['top_k'], approval_required: [],
};
const NOT_JSON = '{"reason": ';

interface Bad { name: string; payload: string; needle: string }
interface Mutation {
  method: 'POST' | 'PUT';
  url: string;
  /** The route as error messages name it. */
  route: string;
  /** A good body (undefined: none is sent). */
  good?: unknown;
  bad: Bad[];
  /** Puts the fake in the state the good call needs (default: as set up). */
  prepare?(fake: FakeControlPlane): void;
  check(body: Record<string, unknown>, fake: FakeControlPlane): void;
}

const json = (v: unknown): string => JSON.stringify(v);
const active = (fake: FakeControlPlane): string => fake.state().versions.find((v) => v.active)!.version;

const MUTATIONS: Mutation[] = [
  {
    method: 'POST', url: '/v1/experiments', route: 'POST /v1/experiments', good: NEW_SPEC,
    bad: [
      { name: 'missing field', payload: json({ ...NEW_SPEC, goal: undefined }), needle: 'missing required field "goal"' },
      { name: 'unknown field', payload: json({ ...NEW_SPEC, owner: 'me' }), needle: 'unknown field "owner"' },
      { name: 'wrong type', payload: json({ ...NEW_SPEC, variants: 'warm' }), needle: '/variants: must be array' },
      { name: 'bad parameter', payload: json({ ...NEW_SPEC, variants: [{ name: 'warm', params: { temperature: 9 } }] }), needle: '/variants/0/params/temperature: must be <= 2' },
    ],
    check: (body, fake) => {
      assert.is(body.status, 'created');
      assert.is(body.initiator, 'user:api');
      assert.ok(fake.state().experiments.some((e) => e.id === 'temp-07'));
    },
  },
  {
    method: 'POST', url: '/v1/experiments/archivist-off/start', route: 'POST /v1/experiments/:id/start',
    bad: [
      { name: 'unknown field', payload: json({ force: true }), needle: 'unknown field "force"' },
      { name: 'wrong type', payload: json(['go']), needle: '/: must be object' },
    ],
    check: (body, fake) => {
      assert.is(body.status, 'running');
      assert.is(fake.state().experiments.find((e) => e.id === 'archivist-off')!.status, 'running');
    },
  },
  {
    method: 'POST', url: '/v1/experiments/top-k-8/stop', route: 'POST /v1/experiments/:id/stop', good: { reason: 'enough data' },
    bad: [
      { name: 'missing field', payload: json({}), needle: 'missing required field "reason"' },
      { name: 'unknown field', payload: json({ reason: 'x', now: true }), needle: 'unknown field "now"' },
      { name: 'wrong type', payload: json({ reason: 5 }), needle: '/reason: must be string' },
      { name: 'too long', payload: json({ reason: 'x'.repeat(1001) }), needle: '/reason: must NOT have more than 1000 characters' },
    ],
    check: (body) => assert.is(body.status, 'stopped'),
  },
  {
    method: 'POST', url: '/v1/parameters/activate', route: 'POST /v1/parameters/activate', good: { version: 'v4', reason: 'try a larger budget' },
    bad: [
      { name: 'missing field', payload: json({ reason: 'r' }), needle: 'missing required field "version"' },
      { name: 'unknown field', payload: json({ version: 'v4', reason: 'r', force: true }), needle: 'unknown field "force"' },
      { name: 'wrong type', payload: json({ version: 4, reason: 'r' }), needle: '/version: must be string' },
      { name: 'bad id', payload: json({ version: '../v4', reason: 'r' }), needle: '/version: must match pattern' },
    ],
    check: (body, fake) => {
      assert.is(body.version, 'v4');
      assert.is(active(fake), 'v4');
    },
  },
  {
    method: 'POST', url: '/v1/parameters/rollback', route: 'POST /v1/parameters/rollback', good: { reason: 'recall fell' },
    bad: [
      { name: 'missing field', payload: json({}), needle: 'missing required field "reason"' },
      { name: 'empty reason', payload: json({ reason: '' }), needle: '/reason: must NOT have fewer than 1 characters' },
      { name: 'wrong type', payload: json({ reason: null }), needle: '/reason: must be string' },
    ],
    check: (body, fake) => {
      assert.is(body.version, 'v1');
      assert.is(fake.state().versions.find((v) => v.version === 'v3')!.status, 'rolled_back');
    },
  },
  {
    method: 'PUT', url: '/v1/goals', route: 'PUT /v1/goals', good: NEW_GOAL,
    bad: [
      { name: 'missing field', payload: json({ ...NEW_GOAL, primary: undefined }), needle: 'missing required field "primary"' },
      { name: 'unknown field', payload: json({ ...NEW_GOAL, owner: 'me' }), needle: 'unknown field "owner"' },
      { name: 'wrong type', payload: json({ ...NEW_GOAL, primary: 'correct_rate' }), needle: '/primary: must be array' },
      { name: 'unknown metric', payload: json({ ...NEW_GOAL, primary: [{ metric: 'speed', target: 1, weight: 1 }] }), needle: '/primary/0/metric: must be one of "precision_at_k"' },
      { name: 'unknown factor', payload: json({ ...NEW_GOAL, allowed_factors: ['top_k', 'mood'] }), needle: '/allowed_factors/1: must be one of "top_k"' },
    ],
    check: (body, fake) => {
      assert.is(body.id, 'fast');
      assert.is(fake.state().goal.id, 'fast');
    },
  },
  {
    method: 'POST', url: '/v1/approvals/appr-1/approve', route: 'POST /v1/approvals/:id/approve', good: { comment: 'looks right' },
    bad: [
      { name: 'unknown field', payload: json({ note: 'x' }), needle: 'unknown field "note"' },
      { name: 'wrong type', payload: json({ comment: 3 }), needle: '/comment: must be string' },
    ],
    check: (body, fake) => {
      assert.is(body.status, 'approved');
      assert.is(body.comment, 'looks right');
      assert.is(active(fake), 'v4');
    },
  },
  {
    method: 'POST', url: '/v1/approvals/appr-1/reject', route: 'POST /v1/approvals/:id/reject',
    bad: [
      { name: 'unknown field', payload: json({ note: 'x' }), needle: 'unknown field "note"' },
      { name: 'wrong type', payload: json('no'), needle: '/: must be object' },
    ],
    check: (body, fake) => {
      assert.is(body.status, 'rejected');
      assert.is(body.comment, null);
      assert.is(active(fake), 'v3');
    },
  },
  {
    method: 'POST', url: '/v1/cycles', route: 'POST /v1/cycles', good: { type: 'macro' },
    bad: [
      { name: 'missing field', payload: json({}), needle: 'missing required field "type"' },
      { name: 'unknown field', payload: json({ type: 'micro', now: 1 }), needle: 'unknown field "now"' },
      { name: 'wrong value', payload: json({ type: 'weekly' }), needle: '/type: must be one of "micro", "macro", "deep"' },
    ],
    check: (body, fake) => {
      assert.is(body.type, 'macro');
      assert.is(fake.state().cycles.length, 2);
    },
  },
  {
    method: 'POST', url: '/v1/cycles/stop', route: 'POST /v1/cycles/stop', good: { reason: 'enough traffic' },
    bad: [
      { name: 'unknown field', payload: json({ reason: 'x', force: true }), needle: 'unknown field "force"' },
      { name: 'wrong type', payload: json({ reason: 1 }), needle: '/reason: must be string' },
    ],
    prepare: (fake) => {
      fake.busy = true;
    },
    check: (body, fake) => {
      assert.is(body.cycle, 2);
      assert.ok(!fake.busy);
    },
  },
];

const send = (app: FastifyInstance, m: Mutation, headers: Record<string, string>, payload?: string): Promise<LightMyRequestResponse> =>
  app.inject({ method: m.method, url: m.url, headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' }, ...(payload === undefined ? {} : { payload }) });

for (const m of MUTATIONS) {
  const goodPayload = m.good === undefined ? undefined : json(m.good);

  test(`${m.route}: no token or a wrong one is a 401 before the body is read; nothing changes`, async () => {
    const { fake, app } = await setup();
    const before = fake.state();
    const attempts: [Record<string, string>, string][] = [
      [{}, 'requires Authorization: Bearer <token>'],
      [{ authorization: `Basic ${Buffer.from(`api:${TOKEN}`).toString('base64')}` }, 'requires Authorization: Bearer <token>'],
      [{ authorization: `Bearer ${TOKEN.slice(0, -1)}x` }, 'the bearer token is not valid'],
      [{ authorization: 'Bearer short' }, 'the bearer token is not valid'],
    ];
    for (const [headers, needle] of attempts) {
      for (const payload of [goodPayload, m.bad[0]!.payload, NOT_JSON]) {
        const res = await send(app, m, headers, payload);
        assert.is(res.statusCode, 401, res.body);
        assert.is(errorOf(res).code, 'UNAUTHORIZED');
        assert.ok(errorOf(res).message.includes(needle) && errorOf(res).message.includes(m.route), errorOf(res).message);
        assert.ok(String(res.headers['www-authenticate']).startsWith('Bearer'));
      }
    }
    assert.equal(fake.calls, []);
    assert.equal(fake.state(), before);
    await app.close();
  });

  test(`${m.route}: a bad body is a 400 naming the route and the field; nothing reaches the control plane`, async () => {
    const { fake, app } = await setup();
    const before = fake.state();
    for (const bad of [...m.bad, { name: 'not JSON', payload: NOT_JSON, needle: 'not valid JSON' }]) {
      const res = await send(app, m, AUTH, bad.payload);
      assert.is(res.statusCode, 400, `${bad.name}: ${res.body}`);
      const err = errorOf(res);
      assert.is(err.code, 'REQUEST_INVALID', bad.name);
      assert.ok(err.message.includes(bad.needle), `${bad.name}: "${err.message}" should mention ${bad.needle}`);
      if (bad.name !== 'not JSON') assert.ok(err.message.startsWith(`${m.route} body: `), err.message);
    }
    const text = await app.inject({ method: m.method, url: m.url, headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'reason=x' });
    assert.is(text.statusCode, 400, text.body); // fastify reads text/plain as a string: not an object
    assert.ok(errorOf(text).message.includes(`${m.route} body: /: must be object`), errorOf(text).message);
    assert.equal(fake.calls, []);
    assert.equal(fake.state(), before);
    await app.close();
  });

  test(`${m.route}: with the token and a good body, 200 and the change is made`, async () => {
    const { fake, app } = await setup();
    m.prepare?.(fake);
    const res = await send(app, m, AUTH, goodPayload);
    assert.is(res.statusCode, 200, res.body);
    m.check(res.json() as Record<string, unknown>, fake);
    await app.close();
  });
}

test('control-plane refusals keep their codes: unknown ids 404, wrong state 409, cross-field rules 400', async () => {
  const { fake, app } = await setup();
  const post = (url: string, payload?: unknown): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'POST', url, headers: payload === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' }, ...(payload === undefined ? {} : { payload: json(payload) }) });
  const expect = (res: LightMyRequestResponse, status: number, code: string, needle: string): void => {
    assert.is(res.statusCode, status, res.body);
    assert.is(errorOf(res).code, code);
    assert.ok(errorOf(res).message.includes(needle), errorOf(res).message);
  };
  expect(await post('/v1/experiments/nope/start'), 404, 'NOT_FOUND', 'no experiment "nope"');
  expect(await post('/v1/experiments/top-k-8/start'), 409, 'CONFLICT', 'is running');
  expect(await post('/v1/experiments', { ...NEW_SPEC, assignment: { unit: 'user_id', split: { control: 0.5, warm: 0.4 } } }), 400, 'CONFIG', 'shares must sum to 1');
  expect(await post('/v1/experiments', { ...NEW_SPEC, id: 'top-k-8' }), 409, 'CONFLICT', 'exists');
  expect(await post('/v1/parameters/activate', { version: 'v9', reason: 'r' }), 404, 'NOT_FOUND', 'v9');
  expect(await post('/v1/parameters/activate', { version: 'v3', reason: 'r' }), 409, 'CONFLICT', 'already active');
  expect(await post('/v1/approvals/appr-9/approve'), 404, 'NOT_FOUND', 'appr-9');
  expect(await app.inject({ method: 'PUT', url: '/v1/goals', headers: AUTH, payload: { ...NEW_GOAL, approval_required: ['token_budget'] } }), 400, 'CONFIG', 'token_budget');
  expect(await post('/v1/cycles/stop', {}), 409, 'CONFLICT', 'no cycle is running');
  fake.busy = true;
  expect(await post('/v1/cycles', { type: 'micro' }), 409, 'CONFLICT', 'a cycle is running');
  assert.is((await post('/v1/approvals/appr-1/reject')).statusCode, 200);
  expect(await post('/v1/approvals/appr-1/approve'), 409, 'CONFLICT', 'already rejected');
  expect(await post('/v1/experiments/bad%20id/start'), 400, 'REQUEST_INVALID', 'path parameter :id "bad id"');
  await app.close();
});

test('X-Maasflow-User names the initiator; a malformed one is refused before anything is called', async () => {
  const { fake, app } = await setup();
  const ok = await app.inject({ method: 'POST', url: '/v1/parameters/rollback', headers: { ...AUTH, 'x-maasflow-user': 'alice.b' }, payload: { reason: 'worse' } });
  assert.is(ok.statusCode, 200, ok.body);
  assert.is(fake.state().audit.at(-1)!.initiator, 'user:alice.b');
  const calls = fake.calls.length;
  const bad = await app.inject({ method: 'POST', url: '/v1/parameters/rollback', headers: { ...AUTH, 'x-maasflow-user': 'alice b' }, payload: { reason: 'worse' } });
  assert.is(bad.statusCode, 400);
  assert.ok(errorOf(bad).message.includes('X-Maasflow-User'), errorOf(bad).message);
  assert.is(fake.calls.length, calls);
  await app.close();
});

test('a control plane without a token (or with a weak one) is refused at build time; /v1/chat needs no token', async () => {
  const fake = new FakeControlPlane();
  try {
    await buildServer({ chat, control: fake });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.match((err as Error).message, /needs a token/);
  }
  try {
    await buildServer({ chat, control: fake, token: 'abc' });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.match((err as Error).message, /16\.\.512 printable ASCII/);
  }
  const { app } = await setup();
  const res = await app.inject({ method: 'POST', url: '/v1/chat', payload: { user_id: 'u', thread_id: 't', message: 'hi' } });
  assert.is(res.statusCode, 200, res.body);
  await app.close();
});

test('GET routes are open and return the control plane data', async () => {
  const { fake, app } = await setup();
  const get = (url: string): Promise<LightMyRequestResponse> => app.inject({ method: 'GET', url });
  const s = fake.state();
  assert.equal((await get('/v1/experiments')).json(), s.experiments);
  assert.equal((await get('/v1/parameters')).json(), s.versions);
  assert.equal((await get('/v1/parameters/audit')).json(), s.audit);
  assert.equal((await get('/v1/goals')).json(), s.goal);
  assert.equal((await get('/v1/approvals')).json(), s.approvals);
  assert.equal((await get('/v1/cycles')).json(), s.cycles);
  assert.equal((await get('/v1/reports')).json(), [s.reports[0]!.info]);
  assert.equal((await get('/v1/reports/1')).json(), s.reports[0]);
  assert.is((await get('/v1/experiments/top-k-8/results')).json().verdict, 'inconclusive');
  const md = await get('/v1/reports/1/report.md');
  assert.match(String(md.headers['content-type']), /^text\/markdown/);
  assert.is(md.body, s.reports[0]!.markdown);
  const svg = await get('/v1/reports/1/charts/q.svg');
  assert.is(svg.statusCode, 200);
  assert.match(String(svg.headers['content-type']), /^image\/svg\+xml/);
  assert.is(svg.body, s.reports[0]!.charts['q.svg']);
  assert.match(String(svg.headers['content-security-policy']), /default-src 'none'/);

  for (const [url, status, needle] of [
    ['/v1/experiments/nope/results', 404, 'no experiment "nope"'],
    ['/v1/reports/99', 404, 'no report for cycle 99'],
    ['/v1/reports/1/charts/nope.svg', 404, 'no chart "nope.svg"'],
    ['/v1/reports/1/charts/toString', 404, 'no chart "toString"'],
    ['/v1/reports/0', 400, 'integer ≥ 1'],
    ['/v1/reports/abc', 400, ':cycle must be an integer ≥ 1, got "abc"'],
    ['/v1/reports/1.5', 400, 'integer ≥ 1'],
    ['/v1/reports/1/charts/..%2Fsecret', 400, ':name'],
  ] as const) {
    const res = await get(url);
    assert.is(res.statusCode, status, `${url}: ${res.body}`);
    assert.ok(errorOf(res).message.includes(needle), `${url}: ${errorOf(res).message}`);
  }
  assert.ok(!fake.calls.some((c) => /create|start|stop|activate|rollback|set|decide|run/.test(c)), fake.calls.join());
  await app.close();
});

test('GET /v1/metrics/stream: the snapshot first, then each pushed figure, keep-alive comments; closing unsubscribes', async () => {
  const { fake, app } = await setup({ sseKeepAliveMs: 50 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const sse = await connectSse(`${base}/v1/metrics/stream`);
    assert.is(sse.response.statusCode, 200);
    assert.match(String(sse.response.headers['content-type']), /^text\/event-stream/);
    const first = await sse.nextEvent('metrics');
    assert.equal(JSON.parse(first.data), fake.state().live);
    const pushed = fake.push({ runs: 121, cycle: 2, metrics: { precision_at_k: 0.75 } });
    assert.equal(JSON.parse((await sse.nextEvent('metrics')).data), pushed);
    let frame = await sse.next();
    while (frame.comment === null) frame = await sse.next();
    assert.is(frame.comment, 'keep-alive');
    const gone = once(fake.events, 'unsubscribe', { signal: AbortSignal.timeout(2000) });
    sse.close();
    await gone;
    assert.is(fake.subscribers, 0);

    // A connected client does not hold the server open: close() ends its stream.
    const held = await connectSse(`${base}/v1/metrics/stream`);
    await held.nextEvent('metrics');
    await app.close();
    await Promise.race([held.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('stream not ended by close()')), 2000).unref())]);
    assert.is(fake.subscribers, 0);
  } finally {
    await app.close();
  }
});

test.run();
