import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { checkPage, expectClean } from './axe-check.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/** Envelopes in a real browser against a real hub: upload, watch the chain live (graph and history), expand a row, roll back, the panel at hand, filters, delete. */
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
    // The chain as a graph: three boxes left to right, an arrow between each, each box linking to its job.
    const nodes = page.getByTestId('envelope-node');
    await page.locator('[data-testid="envelope-node"][data-state="success"]').nth(2).waitFor();
    expect(await nodes.count()).toBe(3);
    expect(await page.getByTestId('envelope-edge').count()).toBe(2);
    const boxes = await nodes.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().left));
    expect(boxes[0]).toBeLessThan(boxes[1]);
    expect(boxes[1]).toBeLessThan(boxes[2]);
    expect(await nodes.first().getByRole('link').getAttribute('href')).toMatch(/\/jobs\/\d+$/);
    // Its history, newest first: the envelope's own events and its jobs' state changes.
    const history = page.getByTestId('envelope-event');
    await page.locator('[data-testid="envelope-event"][data-type="envelope:status:changed"]').first().waitFor();
    expect(await history.last().getAttribute('data-type')).toBe('envelope:created');
    expect(await page.locator('[data-testid="envelope-event"][data-type="job:state:changed"]').count()).toBeGreaterThanOrEqual(6);
    expect(await history.first().textContent()).toMatch(/Active.*Success/);
    expectClean(await checkPage(page, 'envelope', () => nodes.first().waitFor()), 'envelope');

    await page.getByRole('group', { name: 'Envelope controls' }).getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
    await status('Rolled back');
    await page.getByTestId('rollback-job').filter({ hasText: 'Success' }).waitFor();
    await page
      .getByTestId('envelope-history')
      .filter({ hasText: /Rolling back.*Rolled back/ })
      .waitFor();
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
    // The panel on top lists it among those that errored of late.
    await page.locator('[data-testid="at-hand-errored"] [data-testid="at-hand-envelope"][data-status="corrupt"]').waitFor();
  });

  it('shows running envelopes in the panel on top, filters by submitter, and is accessible', async () => {
    const running = await h.api<{ id: number }>('POST', '/envelopes', {
      type: 'jobs',
      jobs: [{ workflow: 'simulate', fields: { tasks: 1, items: 400, delayMs: 50 } }],
    });
    await page.goto('/envelopes');
    const active = page.getByTestId('at-hand-active').getByRole('link', { name: `#${running.id}` });
    await active.waitFor();
    expectClean(await checkPage(page, 'envelopes', () => active.waitFor()), 'envelopes');

    const rows = page.getByTestId('envelope-row');
    expect(await rows.count()).toBeGreaterThanOrEqual(3);
    // The browser's uploads are admin's; the API's envelope is the CLI token's.
    const submitters = await rows.evaluateAll((els) => els.map((el) => el.querySelectorAll('td')[5]?.textContent));
    const admins = submitters.filter((name) => name === 'admin').length;
    expect(admins).toBeGreaterThanOrEqual(2);
    expect(admins).toBeLessThan(submitters.length);
    await page.getByLabel('Submitter').fill('nobody-at-all');
    await expect.poll(() => rows.count()).toBe(0);
    await page.getByLabel('Submitter').fill('admin');
    await expect.poll(() => rows.count()).toBe(admins);

    await h.api('POST', `/envelopes/${running.id}/cancel`);
    await expect.poll(() => active.count(), { timeout: 30_000 }).toBe(0);
  }, 90_000);

  it('deletes an envelope that is through, after confirmation', async () => {
    await page.goto('/envelopes');
    const first = page.locator('[data-testid="envelope-row"][data-status="rolled-back"]').first();
    await first.waitFor();
    const link = first.getByRole('link', { name: /^#\d+$/ });
    const id = Number((await link.textContent())?.slice(1));
    await link.click();
    await page.waitForURL(new RegExp(`/envelopes/${id}$`));
    const controls = page.getByRole('group', { name: 'Envelope controls' });
    await controls.getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('dialog')
      .getByText(/its 3 jobs and its rollback job/)
      .waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete envelope' }).click();
    await page.waitForURL(/\/envelopes$/);
    await page.getByTestId('envelope-row').first().waitFor();
    await expect.poll(() => page.getByRole('link', { name: `#${id}`, exact: true }).count()).toBe(0);
    await expect(h.api('GET', `/envelopes/${id}`)).rejects.toThrow(/404/);
  }, 60_000);
});
