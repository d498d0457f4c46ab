/**
 * Headless Debian Chromium driven by playwright-core, for the console and widget tests.
 * With CI=true a missing Chromium is an error; elsewhere those tests are skipped with the reason.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p)) ?? null;
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (ci && !chromiumPath) throw new Error('CI requires Chromium (apt-get install chromium) for the browser tests');

/** `skip` option for browser test suites. */
export const browserSkip: string | false = chromiumPath ? false : 'Chromium not installed (apt-get install chromium)';

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumPath) throw new Error(String(browserSkip));
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
}
