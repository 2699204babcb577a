import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/** Envelopes in a real browser against a real hub: upload, watch the chain live, expand a row, roll back. */
describe.skipIf(!browserAvailable())('console: envelopes (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    h = await startConsoleHarness();
    ({ context, page } = await h.signedInPage('admin', ADMIN_PASSWORD));
    page.setDefaultTimeout(30_000);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  const upload = async (name: string, text: string) => {
    await page.goto('/envelopes');
    await page
      .locator('form[aria-label="Upload an envelope"] input[type=file]')
      .setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
    await page.getByRole('button', { name: 'Submit envelope' }).click();
  };
  const status = (label: string) => page.getByTestId('envelope-status').filter({ hasText: label }).waitFor();

  it('uploads a file, shows the chain moving live, and rolls it back', async () => {
    const jobs = [1, 2, 3].map(() => ({ workflow: 'simulate', fields: { tasks: 1, items: 10, delayMs: 60 } }));
    await upload('chain.json', JSON.stringify(jobs));
    await page.waitForURL(/\/envelopes\/\d+$/);
    const rows = page.getByTestId('envelope-job');
    await expect.poll(() => rows.count()).toBe(3);
    // Live: the first job runs while the last still waits its turn.
    await page.locator('[data-testid="envelope-job"][data-state="running"]').first().waitFor();
    expect(await rows.nth(2).getAttribute('data-state')).toBe('queued');
    expect(await rows.nth(2).textContent()).toMatch(/Waiting for job \d+ of envelope \d+/);
    await status('Success');
    expect(await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-state')))).toEqual(['success', 'success', 'success']);

    await page.getByRole('group', { name: 'Envelope controls' }).getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
    await status('Rolled back');
    await page.getByTestId('rollback-job').filter({ hasText: 'Success' }).waitFor();
    // A member's job page leads back to its envelope.
    await rows.first().getByRole('link').click();
    await page.getByTestId('job-envelope').click();
    await page.waitForURL(/\/envelopes\/\d+$/);
    await status('Rolled back');
  }, 90_000);

  it('lists envelopes with their status; a row expands to its jobs', async () => {
    await page.goto('/envelopes');
    const row = page.getByTestId('envelope-row').first();
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('rolled-back');
    await row.getByRole('button', { name: /Expand envelope/ }).click();
    await expect.poll(() => page.getByTestId('envelope-job').count()).toBe(3);
  });

  it('says at once why a corrupt file was refused', async () => {
    await upload('bad.json', '[{"workflow": "simulate"},\n{"workflow": 5}]');
    await page.getByTestId('corrupt-alert').waitFor();
    expect(await page.getByTestId('corrupt-alert').textContent()).toMatch(/entry 1.*workflow/);
    await page.locator('[data-testid="envelope-row"][data-status="corrupt"]').first().waitFor();
  });
});
