import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium; the browser tests use the system one rather than downloading their own. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Whether the browser tests can run here. In CI a missing browser is a failure, never a
 * silent skip; on a developer machine the suite is skipped with a loud warning.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM_PATH} is missing: the browser tests cannot run in CI without it (apt-get install chromium)`);
  console.warn(`\n!!! ${CHROMIUM_PATH} not found: SKIPPING the browser tests. Install Chromium (apt-get install chromium) to run them. !!!\n`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
