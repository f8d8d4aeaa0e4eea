import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildServer } from '../../server/app.ts';
import type { ControlPlane } from '../../server/control-plane.ts';

export const WAIT = { timeout: 10_000 };

/** Debian's chromium (CI installs it, .ci/run); a missing binary is a failure that says what to install. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`no Chromium at ${candidates.join(', ')}: install the Debian package "chromium" (apt-get install chromium) or set CHROMIUM_PATH`);
  return found;
}

// Locators, not waitForFunction: the page's CSP forbids the eval a string predicate needs.
export const textIs = (page: Page, id: string, text: string, timeout = WAIT.timeout): Promise<void> =>
  page.locator(`#${id}`, { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor({ state: 'attached', timeout });

export interface DashboardSession {
  base: string;
  page: Page;
  /** Page errors, console errors and failed requests (the SSE stream's end on close aside): a test expects none. */
  problems: string[];
  close(): Promise<void>;
}

/** Serves the API with `control` on a free port and opens the dashboard's origin in headless Chromium. */
export async function openDashboard(control: ControlPlane, token: string): Promise<DashboardSession> {
  const executablePath = chromiumPath();
  const app = await buildServer({ chat: async () => { throw new Error('no chat here'); }, control, token });
  let browser: Browser | undefined;
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
    page.on('requestfailed', (req) => { if (!req.url().endsWith('/v1/metrics/stream')) problems.push(`request failed: ${req.url()}`); });
    const b = browser;
    return { base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, page, problems, close: async () => { await b.close(); await app.close(); } };
  } catch (err) {
    await browser?.close();
    await app.close();
    throw err;
  }
}
