/**
 * The closed loop over the synthetic world: from the worst version to ≥ 95 %
 * of the grid-search optimum within 10 cycles without ever activating an
 * infeasible version; then an injected bad version rolled back in one cycle.
 */
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gridBest } from '../../../control/world/closed-form.ts';
import { GOAL, WORST, openLoop, trueQ } from './loop-support.ts';

const loop = await openLoop();
const { manager } = loop;
test.after(() => loop.close());

test('from the worst version the loop reaches ≥ 95 % of the grid-search best Q within 10 cycles, never activating an infeasible version', async () => {
  const best = gridBest(GOAL, WORST);
  assert.ok(best.points > 20_000, `grid of ${best.points} points`);
  const start = trueQ(WORST);
  assert.ok(start.q < 0.3 * best.q, `the start is poor: Q ${start.q} vs best ${best.q}`);
  let reachedAt: number | null = null;
  const schedule = ['deep', ...Array<'macro'>(9).fill('macro')] as const;
  for (const type of schedule) {
    const record = await manager.cycles.run(type, 'test');
    const active = await manager.tuner.active();
    if (reachedAt === null && trueQ(active.params).q >= 0.95 * best.q) reachedAt = record.cycle;
  }
  const final = trueQ((await manager.tuner.active()).params);
  assert.ok(reachedAt !== null && reachedAt <= 10, `95 % of ${best.q.toFixed(4)} not reached in 10 cycles`);
  assert.ok(final.q >= 0.95 * best.q, `final Q ${final.q} < 95 % of ${best.q}`);
  // every version the Manager activated satisfies every constraint of the goal (by the world's true figures)
  const activations = (await manager.tuner.audit()).filter((e) => e.action === 'activate' && e.initiator === 'manager');
  assert.ok(activations.length >= 3, `${activations.length} activations`);
  for (const a of activations) {
    const v = await manager.tuner.version(a.version!);
    assert.ok(trueQ(v.params).feasible, `activated ${v.version} breaks a constraint: ${JSON.stringify(v.params)}`);
    assert.match(a.reason, /^cycle \d+: .+ \(Q .+ → .+, experiment c\d{4}-(explore|confirm)\)$/);
  }
  const cycles = await manager.cycles.list();
  assert.is(cycles.length, 10);
  assert.ok(cycles[0]!.sensitivity !== null && cycles[0]!.sensitivity[0]!.metric === 'q', 'the deep cycle ranks sensitivity');
  const reports = await manager.reports.list();
  assert.is(reports.length, 10);
  for (const r of reports) assert.ok(fs.existsSync(r.path), r.path);
  const report = await manager.reports.get(1);
  assert.ok(Object.keys(report.charts).length >= 2 && report.markdown.includes('svg'));
  console.log(`    loop: 95 % of grid best ${best.q.toFixed(4)} reached at cycle ${reachedAt}; final Q ${final.q.toFixed(4)} (${((100 * final.q) / best.q).toFixed(1)} %); ${activations.length} activations`);
});

test('a bad version forced active is rolled back within one cycle, with the reason in the audit log', async () => {
  const good = await manager.tuner.active();
  await manager.cycles.run('micro', 'test'); // the good version's own traffic: the reference of drop rules
  const bad = await manager.tuner.createVersion({ top_k: 1, relevance_weight: 0, recency_weight: 1 }, { initiator: 'test', reason: 'injected degradation' });
  await manager.tuner.activate(bad.version, { initiator: 'test', reason: 'injected degradation' });
  const record = await manager.cycles.run('micro', 'test');
  assert.is((await manager.tuner.active()).version, good.version);
  assert.is(record.active_before, bad.version);
  assert.is(record.active_after, good.version);
  assert.ok(record.alerts.length > 0);
  const last = (await manager.tuner.audit()).at(-1)!;
  assert.is(last.action, 'rollback');
  assert.is(last.from_version, bad.version);
  assert.match(last.initiator, /^rule:/);
  assert.match(last.reason, /^rule [a-z-]+: /, last.reason);
  console.log(`    rolled back: ${last.reason}`);
  assert.is((await manager.tuner.version(bad.version)).status, 'rolled_back');
});

test.run();
