/**
 * The dashboard over the real Manager (synthetic world): a cycle started from
 * the page streams live figures, the Manager's change waits for approval, and
 * the Approve click activates it through the Tuner.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_GOAL } from '../../control/manager/goals.ts';
import { openLoop } from '../control/manager/loop-support.ts';
import { openDashboard, textIs } from '../support/chromium.ts';

const TOKEN = 'loop-dashboard-token-0123456789';

test('live figures of a cycle run from the page; approving the pending change activates its version', async () => {
  // every change needs a person: the deep cycle's adoption becomes a pending approval
  const loop = await openLoop({ autoApprove: false, runsPerArm: 300, goal: { ...DEFAULT_GOAL, approval_required: [...DEFAULT_GOAL.allowed_factors] } });
  const session = await openDashboard(loop.manager, TOKEN).catch(async (err: unknown) => {
    await loop.close();
    throw err;
  });
  const { base, page, problems } = session;
  try {
    await page.goto(`${base}/#token=${TOKEN}`);
    await textIs(page, 'token-state', 'token set: changes allowed');
    await textIs(page, 'stream-status', 'live');
    await textIs(page, 'active-version', 'v1');

    await page.getByTestId('run-deep').click();
    await textIs(page, 'cycle', '1', 60_000); // the cycle's figures arrived over SSE
    const runs = Number(await page.locator('#run-count').textContent());
    assert.ok(runs >= 300 * 2, `live run count ${runs}`);
    // the page refreshes its tables when the cycle's POST answers: the deep cycle's change waits for approval
    await page.getByTestId('approve-a1').waitFor({ timeout: 60_000 });
    const [approval] = (await loop.manager.approvals.list()).filter((a) => a.status === 'pending');
    assert.is(approval?.id, 'a1');
    assert.is((await loop.manager.tuner.active()).version, 'v1', 'nothing changes before the click');

    await page.getByTestId('approve-a1').click();
    await textIs(page, 'active-version', approval!.version);
    const active = await loop.manager.tuner.active();
    assert.is(active.version, approval!.version);
    const last = (await loop.manager.tuner.audit()).at(-1)!;
    assert.equal([last.action, last.version, last.initiator], ['activate', approval!.version, 'user:api']);
    // the loop on GET /metrics as well
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, new RegExp(`maasflow_control_q\\{version="v1"\\} 0\\.\\d+`));
    assert.match(metrics, /maasflow_control_changes_total\{action="activate"\} 2/);
    assert.match(metrics, /maasflow_control_approvals_pending 0/);
    assert.equal(problems, []);
  } finally {
    await session.close();
    await loop.close();
  }
});

test.run();
