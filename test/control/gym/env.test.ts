/** The Tuner env over the synthetic world: steps through the Tuner, refusals, replayable episodes, and the hill climber beating its start. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hillClimbAgent, randomAgent, runEpisode } from '../../../control/gym/agents.ts';
import { GYM_START, TunerEnv } from '../../../control/gym/env.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-gym-'));
const env = await TunerEnv.open({ dir, runsPerStep: 200, maxSteps: 12 });
test.after(async () => {
  await env.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('reset measures the start version; a move goes through the Tuner as a new active version, initiator gym', async () => {
  const obs = await env.reset(11);
  assert.equal(obs.state, GYM_START);
  assert.is(obs.version, 'v1');
  assert.ok(obs.reward > 0 && obs.reward < 0.4, `start reward ${obs.reward}`);
  assert.ok(obs.metrics.recall_at_k !== undefined);
  const r = await env.step({ factor: 'top_k', steps: 2 });
  assert.is(r.refused, null);
  assert.is(r.state.top_k, 3);
  assert.is(r.info.version, 'v2');
  assert.is(r.info.runs, 200);
  assert.is(r.done, false);
  const last = (await env.tuner.audit()).at(-1)!;
  assert.equal([last.action, last.version, last.initiator], ['activate', 'v2', 'gym']);
  assert.is(env.expectedReward(GYM_START).feasible, true);
});

test('refused actions (past a ladder end, guard errors, nothing to roll back) change nothing and repeat the last reward', async () => {
  await env.reset(12);
  const moved = await env.step({ factor: 'keyword_count', steps: 3 });
  const refusals = [
    [{ factor: 'keyword_count', steps: -9 }, /past the end of its ladder/],
    [{ params: { temperature: 1 } }, /changes factors the goal does not allow \(temperature 0 → 1\)/],
    [{ params: { top_k: 999 } }, /top_k = 999 is not allowed/],
    [{ params: { keyword_count: 5 } }, /no change/],
  ] as const;
  for (const [action, reason] of refusals) {
    const r = await env.step(action);
    assert.match(r.refused ?? '', reason);
    assert.equal([r.state, r.reward, r.feasible, r.info.version, r.info.runs], [moved.state, moved.reward, moved.feasible, 'v2', 0]);
  }
  const back = await env.step({ rollback: true });
  assert.equal([back.refused, back.info.version, back.state], [null, 'v1', GYM_START]);
  const none = await env.step({ rollback: true });
  assert.match(none.refused ?? '', /nothing to roll back to/);
  assert.is((await env.tuner.versions()).length, 2, 'refusals stored no version');
  for (let i = 8; i < 12; i++) assert.is((await env.step({ rollback: true })).done, false);
  assert.is((await env.step({ rollback: true })).done, true, 'done after maxSteps (12)');
});

test('the same seed replays the same episode bit for bit; another seed does not', async () => {
  const a = await runEpisode(env, randomAgent(5), { seed: 5, steps: 6 });
  const b = await runEpisode(env, randomAgent(5), { seed: 5, steps: 6 });
  assert.equal(b.trajectory, a.trajectory);
  assert.equal(b.rewards, a.rewards);
  const c = await runEpisode(env, randomAgent(5), { seed: 6, steps: 2 });
  assert.not.equal(c.rewards, a.rewards.slice(0, 2));
});

test('hill-climb ends a short episode with a better best reward than its start', async () => {
  const r = await runEpisode(env, hillClimbAgent(3), { seed: 3, steps: 12 });
  assert.ok(r.bestReward !== null && r.bestReward > r.startReward + 0.1, `best ${r.bestReward} vs start ${r.startReward}`);
  assert.ok(env.expectedReward(r.best!.params).q! > env.expectedReward(GYM_START).q!, 'the best version is truly better');
  assert.ok(r.trajectory.some((t) => t.action === 'rollback'), 'rejected moves were rolled back through the Tuner');
});

test.run();
