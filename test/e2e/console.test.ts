import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/**
 * The console in a real browser against a real hub: one hub and one signed-in admin page for
 * the whole file, the tests in order (later ones use jobs made by earlier ones). Every wait is
 * on something the page shows, never a fixed sleep.
 */
describe.skipIf(!browserAvailable())('console (browser)', { timeout: 90_000 }, () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  let succeededJob = 0;
  let erroredJob = 0;

  const jobState = () => page.getByTestId('job-state');
  const waitForJobState = (label: string, timeout = 20_000) => jobState().filter({ hasText: label }).waitFor({ timeout });

  beforeAll(async () => {
    h = await startConsoleHarness();
    context = await h.browser.newContext({ baseURL: h.hub.url, viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.hub.url });
    page = await context.newPage();
    // Fail an action well inside the test's own timeout, so the report names what was awaited.
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('sends an unauthenticated visit to sign in, refuses wrong credentials clearly, and goes back after', async () => {
    await page.goto('/queues');
    await page.waitForURL(/\/login\?next=%2Fqueues/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();

    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Queues' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/queues');
    await expect.poll(() => page.getByTestId('current-user').textContent()).toBe('admin');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  });

  it('shows the jobs page with the site selector, filters and an empty list', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
    await page.getByRole('combobox', { name: 'Site', exact: true }).click();
    await page.getByRole('option', { name: 'Global (all sites)' }).waitFor();
    await page.getByRole('option', { name: 'local' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByText('No jobs match this view.').waitFor();
    await expect.poll(() => page.getByTestId('filter-count').textContent()).toBe('0 applied');
  });

  it('submits a simulate job through the New job form and follows it to success', async () => {
    await page.getByRole('button', { name: 'New job' }).click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.getByLabel('Workflow', { exact: true }).click();
    await page.getByRole('option', { name: 'Simulated work' }).click();
    // Defaults and descriptions come from the workflow's fields schema.
    await dialog.getByText('How many tasks').waitFor();
    await expect.poll(() => dialog.getByLabel('Tasks', { exact: true }).inputValue()).toBe('4');

    // Out of the schema's range: refused on the field, nothing submitted.
    await dialog.getByLabel('Tasks', { exact: true }).fill('5000');
    await dialog.getByRole('button', { name: 'Submit job' }).click();
    await dialog.getByText('At most 1000').waitFor();

    // Refused by the server: its answer lands on the field it names.
    await dialog.getByLabel('Tasks', { exact: true }).fill('3');
    await dialog.getByLabel('Queue', { exact: true }).fill('q'.repeat(201));
    await dialog.getByRole('button', { name: 'Submit job' }).click();
    await dialog.getByText('expected string to have <=200 characters').waitFor();
    await dialog.getByLabel('Queue', { exact: true }).fill('');

    await dialog.getByLabel('Items', { exact: true }).fill('20');
    await dialog.getByLabel('Delay ms', { exact: true }).fill('5');
    await dialog.getByRole('button', { name: 'Submit job' }).click();

    await page.waitForURL(/\/jobs\/\d+/);
    succeededJob = Number(new URL(page.url()).pathname.split('/').pop());
    await page.getByRole('heading', { name: `Job ${succeededJob}` }).waitFor();
    // The notification links to the job and shows its progress (R33).
    await page.getByRole('link', { name: `Open job ${succeededJob}` }).waitFor();
    await waitForJobState('Success');
    await page.getByTestId('job-percent').filter({ hasText: '100%' }).waitFor();
    await page.getByText('Modified', { exact: true }).waitFor();
    await page.getByText('Success: 3').waitFor();
    await page.getByText('Completed: 60').waitFor();
  });

  it("opens the Tasks tab and a task's full output", async () => {
    await page.getByRole('tab', { name: 'Tasks' }).click();
    await expect.poll(() => page.getByTestId('task-row').count()).toBe(3);
    await page.getByTestId('task-row').first().getByRole('button').click();
    const drawer = page.getByRole('dialog');
    await drawer.getByTestId('task-state').filter({ hasText: 'Success' }).waitFor();
    await drawer.getByTestId('output-line').filter({ hasText: 'processing 20 items' }).first().waitFor();
    await drawer.getByTestId('output-line').filter({ hasText: '20/20 items' }).first().waitFor();
    await drawer.getByRole('button', { name: 'Copy' }).click();
    await page.getByText(/The output of task \d+ is on the clipboard/).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied.split('\n')).toContain('task 0: processing 20 items');
    const download = drawer.getByRole('link', { name: 'Download' });
    expect(await download.getAttribute('href')).toMatch(/^\/api\/v1\/tasks\/\d+\/output\?format=text$/);
    await drawer.getByRole('button', { name: 'Full screen' }).click();
    await drawer.getByRole('button', { name: 'Exit full screen' }).waitFor();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
  });

  it('shows failed items with their error for a job with failPercent, and an item history', async () => {
    erroredJob = await h.submit('simulate', { tasks: 2, items: 10, delayMs: 0, failPercent: 30 });
    await page.goto(`/jobs/${erroredJob}`);
    await waitForJobState('Completed with errors');
    await page.getByRole('tab', { name: 'Items' }).click();
    await page.getByRole('tab', { name: 'Failed (10)' }).waitFor();
    await expect.poll(() => page.getByTestId('item-row').count()).toBe(10);
    await expect.poll(() => page.getByTestId('item-error').first().textContent()).toBe('simulated failure');

    await page.getByLabel('Path contains').fill('item-7');
    await expect.poll(() => page.getByTestId('item-row').count()).toBe(1);
    await page.getByTestId('item-path').first().click();
    const history = page.getByRole('dialog', { name: 'Item history' });
    await expect.poll(() => history.getByTestId('history-path').textContent()).toBe('/simulated/task-0/item-7');
    await history.getByText('simulated failure').waitFor();
    await page.keyboard.press('Escape');
  });

  it('filters the jobs list by state, keeps the filter in the URL, and resets it', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const row = (id: number) => page.locator(`[data-testid="job-row"][data-job-id="${id}"]`);
    await row(succeededJob).waitFor();
    await row(erroredJob).waitFor();

    // The filter panel is folded behind its button until opened.
    await page.getByRole('button', { name: /^Filters/ }).click();
    await page.getByRole('search').getByLabel('State', { exact: true }).click();
    await page.getByRole('option', { name: 'Completed with errors' }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/state=error/);
    await row(succeededJob).waitFor({ state: 'detached' });
    await row(erroredJob).waitFor();
    await expect.poll(() => page.getByTestId('filter-count').textContent()).toBe('1 applied');

    // A predefined view is a link to filters too.
    await page.getByRole('button', { name: 'Reset' }).click();
    await row(succeededJob).waitFor();
    await page.getByRole('button', { name: 'Views' }).click();
    await page.getByRole('menuitem', { name: 'Failed or with errors' }).click();
    await page.waitForURL(/state=failure%2Cerror|state=failure,error/);
    await row(succeededJob).waitFor({ state: 'detached' });
    await row(erroredJob).waitFor();

    // A shared link opens the same view.
    await page.goto(`/?state=success`);
    await row(succeededJob).waitFor();
    await expect.poll(() => row(erroredJob).count()).toBe(0);

    await page.getByRole('button', { name: 'Reset' }).click();
    await row(erroredJob).waitFor();
    await row(succeededJob).waitFor();

    // A link whose id is no id filters nothing, counts as no filter and says why in the form.
    await page.goto('/?id=abc');
    await row(succeededJob).waitFor();
    await expect.poll(() => page.getByTestId('filter-count').textContent()).toBe('0 applied');
    // The panel stays as the user left it (open, from above); open it if it is not.
    const panel = page.getByRole('button', { name: /^Filters/ });
    if ((await panel.getAttribute('aria-expanded')) !== 'true') await panel.click();
    await page.getByText('Not a job id: abc').waitFor();
    await page.goto('/');
    await row(erroredJob).waitFor();

    // Sorting goes through the API's sort parameter: oldest first puts the first job on top.
    await page.getByRole('button', { name: /^Sort by Id/ }).click();
    await page.waitForURL(/sort=id/);
    await expect.poll(() => page.getByTestId('job-row').first().getAttribute('data-job-id'), { timeout: 30_000 }).toBe(String(succeededJob));
    await page.getByRole('button', { name: /^Sort by Id/ }).click();
    await page.waitForURL(/sort=-id/);
    await expect.poll(() => page.getByTestId('job-row').first().getAttribute('data-job-id'), { timeout: 30_000 }).toBe(String(erroredJob));
  });

  it('updates the jobs list live, with a handful of refetches for a burst of thousands of events', async () => {
    await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
    let listRequests = 0;
    const count = (request: { url(): string }) => {
      if (new URL(request.url()).pathname === '/api/v1/jobs') listRequests++;
    };
    page.on('request', count);
    try {
      const jobs = Array.from({ length: 200 }, () => ({ workflow: 'simulate', fields: { tasks: 2, items: 1, delayMs: 0 } }));
      const { items } = await h.api<{ items: { id: number }[] }>('POST', '/jobs/bulk', { jobs });
      const last = items[items.length - 1].id;
      for (const job of items) await h.waitForState(job.id, ['success']);
      // No click, no reload: the live feed brings the newest job, finished, to the top.
      await page.locator(`[data-testid="job-row"][data-job-id="${last}"]`).getByText('Success').waitFor({ timeout: 15_000 });
      expect(listRequests).toBeGreaterThan(0);
      expect(listRequests).toBeLessThanOrEqual(15);

      // Keyset pages: 50 at a time.
      await expect.poll(() => page.getByTestId('job-row').count()).toBe(50);
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => page.getByTestId('job-row').count(), { timeout: 30_000 }).toBe(100);
    } finally {
      page.off('request', count);
    }
  });

  it('cancels a slow running job after confirming, and sees it cancelled', async () => {
    const slow = await h.submit('simulate', { tasks: 1, items: 50, delayMs: 60_000 });
    await page.goto(`/jobs/${slow}`);
    await waitForJobState('Running');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: `Cancel job ${slow}?` });
    await confirm.getByRole('button', { name: 'Cancel job' }).click();
    await waitForJobState('Cancelled');
    await page.getByRole('button', { name: 'Cancel', exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Retry' }).waitFor();
  });

  it('shows a viewer no controls and explains why queue actions are disabled', async () => {
    await h.api('POST', '/users', { username: 'vera', password: 'viewer-pass-1', role: 'viewer' });
    const viewer = await h.signedInPage('vera', 'viewer-pass-1');
    try {
      const p = viewer.page;
      await p.getByTestId('job-row').first().waitFor();
      expect(await p.getByRole('button', { name: 'New job' }).count()).toBe(0);
      // Of the bulk actions, a viewer is offered only what a viewer may do: subscribe.
      await p.getByTestId('select-page').check();
      const bar = p.getByTestId('bulk-bar');
      await bar.getByRole('button', { name: 'Subscribe' }).waitFor();
      for (const name of ['Cancel', 'Pause', 'Resume', 'Retry', 'Delete']) {
        expect(await bar.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      }

      await p.goto(`/jobs/${erroredJob}`);
      await p.getByTestId('job-state').filter({ hasText: 'Completed with errors' }).waitFor();
      for (const name of ['Pause', 'Resume', 'Cancel', 'Retry', 'Re-submit', 'Delete']) {
        expect(await p.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      }
      expect(await p.getByRole('group', { name: 'Job controls' }).count()).toBe(0);

      await p.goto('/queues');
      await p.getByText('needs the operator role').waitFor();
      const pause = p.getByTestId('queue-row').first().getByRole('button', { name: 'Pause' });
      expect(await pause.isDisabled()).toBe(true);

      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.waitForURL(/\/login/);
    } finally {
      await viewer.context.close();
    }
  });

  it('shows an item path and output holding markup as text, injecting no element', async () => {
    const root = join(h.dir, 'tree');
    mkdirSync(root, { recursive: true });
    const hostile = '<img src=x onerror=alert(1)>';
    writeFileSync(join(root, hostile), 'payload');
    const id = await h.submit('checksum-tree', { root, algorithm: 'sha256' });
    await h.waitForState(id, ['success', 'error', 'failure']);

    await page.goto(`/jobs/${id}?tab=items&status=completed`);
    await page.getByTestId('item-path').filter({ hasText: hostile }).waitFor();
    expect(await page.getByTestId('item-path').first().textContent()).toBe(hostile);

    await page.getByRole('tab', { name: 'Tasks' }).click();
    await page
      .getByRole('button', { name: /^Open task/ })
      .nth(1)
      .click();
    await page.getByTestId('output-line').filter({ hasText: hostile }).first().waitFor();

    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
