/** Stopping a running cycle: its traffic ends, its experiment is stopped, nothing is adopted; the next cycle runs normally. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectRejects } from '../../support/errors.ts';
import { openLoop } from './loop-support.ts';

test('a stopped cycle adopts nothing and leaves no experiment running', async () => {
  const loop = await openLoop({ runsPerArm: 200 });
  try {
    const { manager } = loop;
    await expectRejects(() => manager.cycles.stop('user:t', 'nothing runs'), 'CONFLICT', /no cycle is running/);
    const run = manager.cycles.run('macro', 'test');
    assert.equal(await manager.cycles.stop('user:t', 'enough for today'), { cycle: 0 }); // before its first await: number not yet drawn
    const record = await run;
    assert.ok(record.decisions.some((d) => d.startsWith('stopped by user:t: enough for today; the cycle ended without adopting anything')), record.decisions.join('\n'));
    assert.is(record.active_after, record.active_before);
    assert.ok((await manager.tuner.experiments()).every((e) => e.status === 'stopped'));
    assert.ok(!(await manager.tuner.audit()).some((e) => e.action === 'activate' && e.initiator === 'manager'));
    const next = await manager.cycles.run('micro', 'test');
    assert.is(next.cycle, record.cycle + 1);
    assert.ok(next.arms[0]!.runs > 0);
  } finally {
    await loop.close();
  }
});

test.run();
