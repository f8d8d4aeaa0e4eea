import fs from 'node:fs';
import type { Page } from 'playwright-core';

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
