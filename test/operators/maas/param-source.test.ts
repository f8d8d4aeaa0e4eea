import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignArm } from '../../../operators/maas/assignment.ts';
import { FileParamSource } from '../../../operators/maas/param-source.ts';
import { DEFAULT_PARAMS } from '../../../operators/maas/params.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-params-'));
let files = 0;
function source(content: unknown): FileParamSource {
  const file = path.join(dir, `p${files++}.json`);
  fs.writeFileSync(file, JSON.stringify(content));
  return new FileParamSource(file);
}

const experiment = { id: 'exp-topk', unit: 'user_id', arms: [{ name: 'control', ratio: 0.5, version: 'v1', params: {} }, { name: 'treatment', ratio: 0.5, version: 'v1+topk8', params: { top_k: 8 } }] };

test('assignArm: deterministic, follows the split, reshuffled by the salt', () => {
  const arms = [{ name: 'a', ratio: 0.2 }, { name: 'b', ratio: 0.8 }];
  assert.is(assignArm('user-17', 'salt', arms), assignArm('user-17', 'salt', arms));
  const counts = { a: 0, b: 0 };
  let moved = 0;
  for (let i = 0; i < 20_000; i++) {
    const arm = assignArm(`user-${i}`, 'salt', arms) as 'a' | 'b';
    counts[arm]++;
    if (arm !== assignArm(`user-${i}`, 'other salt', arms)) moved++;
  }
  assert.ok(Math.abs(counts.a / 20_000 - 0.2) < 0.01, `share of a: ${counts.a / 20_000}`);
  assert.ok(moved > 5_000, `another salt reassigns about 2·0.2·0.8 of the units (${moved})`);
});

test('a running experiment: each user gets an arm by hash, with the arm\'s version; a request naming an experiment keeps it', () => {
  const params = source({ version: 'v1', params: { top_k: 3 }, experiments: [experiment] });
  const arms = new Map<string, string>();
  for (let i = 0; i < 200; i++) {
    const r = params.forRequest({ user_id: `u${i}`, thread_id: `t${i}`, message: 'hi' });
    assert.is(r.experiment_id, 'exp-topk');
    arms.set(`u${i}`, r.variant!);
    assert.is(r.version.version, r.variant === 'control' ? 'v1' : 'v1+topk8');
    assert.is(r.version.params.top_k, r.variant === 'control' ? 3 : 8, 'an arm changes the active params');
    assert.is(r.version.params.relevance_weight, DEFAULT_PARAMS.relevance_weight);
    // the same user in another thread: same arm
    assert.is(params.forRequest({ user_id: `u${i}`, thread_id: `other${i}`, message: 'again' }).variant, r.variant);
  }
  const treated = [...arms.values()].filter((a) => a === 'treatment').length;
  assert.ok(treated > 70 && treated < 130, `about half the users are treated (${treated})`);
  const named = params.forRequest({ user_id: 'u1', thread_id: 't', message: 'x', experiment_id: 'exp-topk', variant: 'treatment' });
  assert.equal([named.experiment_id, named.variant, named.version.params.top_k], ['exp-topk', 'treatment', 8]);
  const other = params.forRequest({ user_id: 'u1', thread_id: 't', message: 'x', experiment_id: 'not-running', variant: 'b' });
  assert.equal([other.experiment_id, other.variant, other.version.version], ['not-running', 'b', 'v1'], 'an experiment the file does not run: the active version, tags kept');
  assert.equal(source({ version: 'v2', params: {} }).forRequest({ user_id: 'u', thread_id: 't', message: 'x' }).variant, null);
});

test('bad experiment entries are refused with the field named; the previous content stays active', () => {
  const cases: [unknown, string][] = [
    [{ ...experiment, arms: [experiment.arms[0]] }, '/experiments/0/arms: must list at least two arms'],
    [{ ...experiment, arms: [{ ...experiment.arms[0], ratio: 0.7 }, experiment.arms[1]] }, '/experiments/0/arms: ratios must sum to 1'],
    [{ ...experiment, arms: [experiment.arms[0], { ...experiment.arms[1], params: { top_k: 500 } }] }, 'top_k = 500 is not allowed: expected integer 1..50'],
    [{ ...experiment, arms: [experiment.arms[0], { ...experiment.arms[1], params: { topk: 5 } }] }, 'unknown parameter "topk"'],
    [{ ...experiment, unit: 'session' }, '/experiments/0/unit: must be "user_id" or "thread_id"'],
    [{ ...experiment, arms: [experiment.arms[0], { ...experiment.arms[1], name: 'control' }] }, 'arm "control" is listed twice'],
  ];
  for (const [entry, needle] of cases) {
    const params = source({ version: 'v1', params: {}, experiments: [entry] });
    assert.throws(() => params.forRequest({ user_id: 'u', thread_id: 't', message: 'x' }), (e: Error) => e.message.includes(needle), needle);
  }
  const file = path.join(dir, 'changing.json');
  fs.writeFileSync(file, JSON.stringify({ version: 'v1', params: {}, experiments: [experiment] }));
  const params = new FileParamSource(file);
  assert.is(params.experiments().length, 1);
  fs.writeFileSync(file, JSON.stringify({ version: 'v2', params: {}, experiments: [{ ...experiment, unit: 'x' }] }));
  fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.is(params.active().version, 'v1', 'a refused change leaves the previous version');
  assert.match(params.lastProblem!.message, '/experiments/0/unit');
});

test.run();
