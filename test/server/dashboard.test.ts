import type { Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDashboard, textIs, WAIT } from '../support/chromium.ts';
import { FakeControlPlane } from '../support/fake-control-plane.ts';

const TOKEN = 'dashboard-token-0123456789';

const rows = (page: Page, table: string): Promise<number> => page.locator(`#${table} tbody tr`).count();

test('the dashboard shows live figures, the tables, and approves a pending change with the token', async () => {
  const fake = new FakeControlPlane();
  const session = await openDashboard(fake, TOKEN);
  const { base, page, problems } = session;
  try {
    await page.goto(`${base}/`);
    // The snapshot over SSE, then the tables from the GET routes.
    await textIs(page, 'run-count', '120');
    await textIs(page, 'stream-status', 'live');
    await page.locator('body[data-refreshed]').waitFor({ state: 'attached', ...WAIT }); // every table was read once
    await page.locator('[data-testid="version-v3"].active').waitFor(WAIT);
    assert.is(await rows(page, 'parameters-table'), 4);
    assert.is(await rows(page, 'experiments-table'), 2);
    assert.is(await page.locator('[data-testid="experiment-top-k-8"]').getByText('running').count(), 1);
    assert.ok((await page.locator('[data-testid="version-v2"]').getAttribute('class'))!.includes('rolled-back'), 'a rolled-back version is marked');
    assert.is(await rows(page, 'audit-table'), 4);
    assert.is(await page.locator('#reports-list a[href="/v1/reports/1/report.md"]').count(), 1);
    assert.is(await page.locator('#chart-quality').getAttribute('data-points'), '1');
    assert.is(await page.locator('#chart-quality canvas').count(), 1, 'uPlot drew the chart');

    // A pushed figure reaches the page: run count and the chart's points.
    fake.push({ runs: 150, q: 0.7, metrics: { precision_at_k: 0.72, recall_at_k: 0.66, correct_rate: 0.81, latency_p95_ms: 75 } });
    await textIs(page, 'run-count', '150');
    await page.locator('#chart-quality[data-points="2"]').waitFor({ state: 'attached', ...WAIT });
    assert.is(await page.locator('#q-value').textContent(), '0.700');

    // Without the token nothing is sent.
    await page.getByTestId('approve-appr-1').click();
    await page.locator('#message').getByText('enter the API token first').waitFor(WAIT);
    assert.ok(!fake.calls.includes('approvals.decide'));

    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('token-save').click();
    await textIs(page, 'token-state', 'token set: changes allowed');
    await page.getByTestId('approve-appr-1').click();
    await textIs(page, 'active-version', 'v4');
    await page.locator('[data-testid="version-v4"].active').waitFor(WAIT);
    await page.getByTestId('approve-appr-1').waitFor({ state: 'detached', ...WAIT }); // no longer pending
    await page.locator('#audit-table tbody tr').nth(4).waitFor(WAIT); // the activation is in the audit log
    assert.match((await page.locator('#message').textContent()) ?? '', /appr-1 approved: v4 is active/);

    const state = fake.state();
    assert.is(state.versions.find((v) => v.active)!.version, 'v4');
    assert.is(state.approvals[0]!.status, 'approved');
    assert.is(state.approvals[0]!.decided_by, 'user:api');
    assert.equal(problems, []);
  } finally {
    await session.close();
  }
});

test.run();
