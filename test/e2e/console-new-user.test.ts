import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { screenshot } from './axe-check.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/**
 * The ten problems a new user met in the console (issue 13), each shown fixed in a real browser
 * against a real hub. One hub and one signed-in admin page for the file; tests run in order.
 */
describe.skipIf(!browserAvailable())('console as a new user meets it (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  let cleanJob = 0;

  beforeAll(async () => {
    h = await startConsoleHarness();
    const signedIn = await h.signedInPage('admin', ADMIN_PASSWORD);
    context = signedIn.context;
    page = signedIn.page;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  it('1. tells loading, failed and empty apart, and retries a failed list', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first answer is held back: the list must say it is loading, not that nothing matches.
    await page.route('**/api/v1/jobs?*', async (route) => {
      await held;
      await route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'SWY_ERR_TEST', message: 'The hub is busy' } }),
      });
    });
    await page.goto('/');
    await page.locator('[data-testid="list-state"][data-status="loading"]').waitFor();
    expect(await page.getByText('No jobs match this view.').count()).toBe(0);
    expect(await page.getByText('that is all').count()).toBe(0);

    // Every answer fails: a failed list, with the reason and a retry, never "no jobs".
    release();
    await page.locator('[data-testid="list-state"][data-status="failed"]').waitFor({ timeout: 20_000 });
    await page.getByRole('alert').filter({ hasText: 'The hub is busy' }).waitFor();
    expect(await page.getByText('No jobs match this view.').count()).toBe(0);
    expect(await page.getByText('that is all').count()).toBe(0);
    await screenshot(page, 'problem-1-failed-list');

    await page.unroute('**/api/v1/jobs?*');
    await page.locator('[data-testid="list-state"]').getByRole('button', { name: 'Try again' }).click();
    await page.locator('[data-testid="list-state"][data-status="empty"]').getByText('No jobs match this view.').waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('8. opens the keyboard shortcuts with ?', async () => {
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    await dialog.getByText('Show these shortcuts').waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('10. submits with priority, run-at and an idempotency key; fields have human labels', async () => {
    await page.getByRole('button', { name: 'New job' }).click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.getByLabel('Workflow', { exact: true }).click();
    await page.getByRole('option', { name: 'Simulated work' }).click();
    await dialog.getByLabel('Delay ms', { exact: true }).waitFor();
    await dialog.getByLabel('Fail percent', { exact: true }).waitFor();
    await dialog.getByLabel('Tasks', { exact: true }).fill('2');
    await dialog.getByLabel('Items', { exact: true }).fill('3');
    await dialog.getByLabel('Delay ms', { exact: true }).fill('0');
    await dialog.getByLabel('Priority', { exact: true }).fill('7');
    await dialog.getByLabel('Idempotency key', { exact: true }).fill('new-user-key-1');
    const runAt = new Date(Date.now() - 60_000);
    const local = new Date(runAt.getTime() - runAt.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await dialog.getByLabel('Run at', { exact: true }).fill(local);
    await screenshot(page, 'problem-10-new-job-form');
    await dialog.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(/\/jobs\/\d+/);
    cleanJob = Number(new URL(page.url()).pathname.split('/').pop());
    const job = await h.api<{ priority: number; idempotencyKey: string }>('GET', `/jobs/${cleanJob}`);
    expect(job.priority).toBe(7);
    expect(job.idempotencyKey).toBe('new-user-key-1');
    await h.waitForState(cleanJob, ['success']);
  });

  it('10. marks Jobs as the current page on a job page and names the workflow in the header', async () => {
    await page.goto(`/jobs/${cleanJob}`);
    await page.getByRole('heading', { name: `Job ${cleanJob} · Simulated work` }).waitFor();
    const jobs = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' });
    expect(await jobs.getAttribute('aria-current')).toBe('page');
    // The side bar's field names are words, not camelCase.
    await page.getByText('Delay ms', { exact: true }).waitFor();
    expect(await page.getByText('delayMs', { exact: true }).count()).toBe(0);
  });

  it('5. opens the Items tab on the outcome that has items', async () => {
    await page.getByTestId('job-state').filter({ hasText: 'Success' }).waitFor();
    await page.getByRole('tab', { name: 'Items' }).click();
    const completed = page.getByRole('tab', { name: 'Completed (6)' });
    await completed.waitFor();
    expect(await completed.getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => page.getByTestId('item-row').count()).toBe(6);
  });

  it('6. puts a failure reason in a banner at the top of the job page', async () => {
    const failed = await h.submit('checksum-tree', { root: 'nonexistent/new-user-test' });
    await h.waitForState(failed, ['failure']);
    await page.goto(`/jobs/${failed}`);
    const banner = page.getByTestId('job-reason-banner');
    await banner.getByText('does not exist on this worker').waitFor();
    // Above the tabs: the first thing under the header.
    const bannerTop = (await banner.boundingBox())?.y ?? Number.POSITIVE_INFINITY;
    const tabsTop = (await page.getByRole('tab', { name: 'Tasks' }).boundingBox())?.y ?? 0;
    expect(bannerTop).toBeLessThan(tabsTop);
    await screenshot(page, 'problem-6-failure-banner');
  });

  it('7. moves the task rows with the job when it is cancelled', async () => {
    const slow = await h.submit('simulate', { tasks: 2, items: 50, delayMs: 60_000 });
    await page.goto(`/jobs/${slow}`);
    await page.getByTestId('job-state').filter({ hasText: 'Running' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('task-row').count()).toBe(2);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page
      .getByRole('dialog', { name: `Cancel job ${slow}?` })
      .getByRole('button', { name: 'Cancel job' })
      .click();
    await page.getByTestId('job-state').filter({ hasText: 'Cancelled' }).waitFor({ timeout: 20_000 });
    // The tasks' poll is 5 s; the rows must follow the job's badge well before it.
    await page.getByTestId('task-row').filter({ hasText: 'Cancelling' }).first().waitFor({ state: 'detached', timeout: 3_000 });
    await expect.poll(() => page.getByTestId('task-row').filter({ hasText: 'Cancelled' }).count(), { timeout: 3_000 }).toBe(2);
  });

  it('4. light-theme state chips meet WCAG AA contrast (4.5:1)', async () => {
    const paused = await h.submit('simulate', { tasks: 1, items: 50, delayMs: 60_000 });
    await h.waitForState(paused, ['running']);
    await h.api('POST', `/jobs/${paused}/pause`);
    await h.waitForState(paused, ['paused', 'pausing']);
    const errored = await h.submit('simulate', { tasks: 1, items: 10, delayMs: 0, failPercent: 50 });
    await h.waitForState(errored, ['error']);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto('/');
    for (const label of ['Success', 'Completed with errors', 'Failure', 'Cancelled']) {
      await page.getByTestId('job-row').getByText(label, { exact: true }).first().waitFor();
    }
    await page
      .getByTestId('job-row')
      .getByText(/^Paus(ed|ing)$/)
      .first()
      .waitFor();
    const ratios = await page.evaluate(() => {
      const rgb = (value: string) => (value.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r, g, b]: number[]) => {
        const c = [r, g, b].map((v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
      };
      const out: Record<string, number> = {};
      for (const badge of document.querySelectorAll<HTMLElement>('.status-badge')) {
        const text = rgb(getComputedStyle(badge).color);
        const [br, bg, bb, ba = 1] = rgb(getComputedStyle(badge).backgroundColor);
        // The chip's tint over the page's white.
        const back = [br, bg, bb].map((v) => v * ba + 255 * (1 - ba));
        const [hi, lo] = [luminance(text), luminance(back)].sort((a, b) => b - a);
        out[badge.textContent?.trim() ?? ''] = (hi + 0.05) / (lo + 0.05);
      }
      return out;
    });
    for (const [label, ratio] of Object.entries(ratios)) expect(ratio, `${label} chip contrast`).toBeGreaterThanOrEqual(4.5);
    expect(Object.keys(ratios)).toEqual(expect.arrayContaining(['Success', 'Completed with errors']));
    await screenshot(page, 'problem-4-state-chips-light');
  });

  it('3. fits a 390 px phone: header not clipped, Sign out reachable, State early, rows near the top', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto('/');
      await page.getByTestId('job-row').first().waitFor();
      const header = page.locator('header').first();
      const overflow = await header.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      expect(overflow.scroll).toBeLessThanOrEqual(overflow.client);
      const rowTop = (await page.getByTestId('job-row').first().boundingBox())?.y ?? Number.POSITIVE_INFINITY;
      expect(rowTop).toBeLessThan(400);
      const columns = await page.getByRole('columnheader').allTextContents();
      // After the selection box, the row expander and the id only.
      expect(columns.findIndex((c) => c.startsWith('State'))).toBeLessThanOrEqual(3);
      await screenshot(page, 'problem-3-phone-jobs');

      await page.getByRole('button', { name: 'Open navigation' }).click();
      const signOut = page.getByRole('button', { name: 'Sign out' });
      await signOut.waitFor();
      // Inside the screen once the drawer has slid in.
      await expect
        .poll(async () => {
          const box = await signOut.boundingBox();
          return box ? { left: box.x >= 0, right: box.x + box.width <= 390 } : null;
        })
        .toEqual({ left: true, right: true });
      await screenshot(page, 'problem-3-phone-drawer');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Queues' }).click();
      await page.getByRole('heading', { name: 'Queues' }).waitFor();
      await signOut.waitFor({ state: 'hidden' });
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 });
    }
  });

  it('10. shows not-found for /jobs/abc without asking for job NaN', async () => {
    const asked: string[] = [];
    const onRequest = (request: Request) => asked.push(new URL(request.url()).pathname);
    page.on('request', onRequest);
    try {
      await page.goto('/jobs/abc');
      await page.getByRole('heading', { name: 'Job not found' }).waitFor();
      await page.getByText('“abc” is not a job id.').waitFor();
    } finally {
      page.off('request', onRequest);
    }
    expect(asked.filter((p) => p.includes('NaN'))).toEqual([]);
  });

  it('9. serves the console compressed, hashed assets immutable and the shell revalidated', async () => {
    const shell = await fetch(`${h.hub.url}/`);
    expect(shell.headers.get('cache-control')).toBe('no-cache');
    const html = await shell.text();
    const assets = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const br = await fetch(`${h.hub.url}/${asset}`, { headers: { 'accept-encoding': 'br, gzip' } });
      expect(br.status).toBe(200);
      expect(br.headers.get('content-encoding'), asset).toBe('br');
      expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(br.headers.get('vary')?.toLowerCase()).toContain('accept-encoding');
      const gz = await fetch(`${h.hub.url}/${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      await gz.arrayBuffer();
      await br.arrayBuffer();
    }
  });

  it('10. signs out from the Queues page without a React error', async () => {
    await page.goto('/queues');
    await page.getByRole('heading', { name: 'Queues' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(pageErrors).toEqual([]);
    // Failed loads of an aborted request are the browser's, not the app's.
    expect(consoleErrors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
