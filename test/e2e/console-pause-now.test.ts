import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/** "Pause now" and the outcome-coloured progress bar in a real browser against a real hub. */
describe.skipIf(!browserAvailable())('console: pause now and progress by outcome (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    h = await startConsoleHarness();
    ({ context, page } = await h.signedInPage('admin', ADMIN_PASSWORD));
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  const state = (label: string) => page.getByTestId('job-state').filter({ hasText: label }).waitFor();
  const bar = () => page.getByTestId('job-progress-bar');

  it('pauses a running job now: its tasks stop and it reads paused, the bar beside the state label', async () => {
    const id = await h.submit('simulate', { tasks: 2, items: 10_000, delayMs: 50 });
    await h.waitForState(id, ['running']);
    await page.goto(`/jobs/${id}`);
    await state('Running');
    expect(await bar().getAttribute('data-color')).toBe('blue');
    await page.getByRole('group', { name: 'Job controls' }).getByRole('button', { name: 'Pause now', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop tasks and pause' }).click();
    await state('Paused');
    expect(await page.getByTestId('job-progress-state').textContent()).toContain('Paused');
    expect(await page.getByRole('button', { name: 'Pause now', exact: true }).count()).toBe(0);

    await page.getByRole('group', { name: 'Job controls' }).getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel job' }).click();
    await state('Cancelled');
    expect(await bar().getAttribute('data-color')).toBe('gray');
    // Cancelled at the start of its work: it keeps the little it reached, far from 100 %.
    expect(Number.parseFloat((await page.getByTestId('job-percent').textContent()) ?? '')).toBeLessThan(50);
  }, 60_000);

  it('colours a finished job green on success', async () => {
    const id = await h.submit('simulate', { tasks: 1, items: 2, delayMs: 0 });
    await h.waitForState(id, ['success']);
    await page.goto(`/jobs/${id}`);
    await state('Success');
    await page.getByTestId('job-percent').filter({ hasText: '100%' }).waitFor();
    expect(await bar().getAttribute('data-color')).toBe('green');
  });
});
