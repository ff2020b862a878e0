import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The machine's Debian Chromium, driven through playwright-core (no browser download). */
const CHROMIUM = '/usr/bin/chromium';

/** Whether browser tests can run here; says why not (once, on stderr) when they cannot. */
export function chromiumAvailable(testName: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available) process.stderr.write(`\n[${testName}] SKIPPED: no Chromium at ${CHROMIUM} (install it: apt-get install -y chromium; .ci/run does)\n\n`);
  return available;
}

export interface HeadlessBrowser {
  browser: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * A headless Chromium with a fresh profile, and the flags the sandboxed, offline CI machine needs
 * (no GPU, no sandbox, no background fetches that would hang on a machine without internet).
 */
export async function launchHeadlessChromium(viewport: { width: number; height: number }): Promise<HeadlessBrowser> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  return {
    browser,
    page,
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
