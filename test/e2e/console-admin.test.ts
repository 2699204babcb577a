import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { checkPage, expectClean } from './axe-check.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/**
 * The operations pages of the console (issue 13): queues edited in place, users, tokens,
 * workers and sites, the audit log and a job's audit pop-up — each used as an admin would, then
 * checked with axe-core in the light and dark themes and at 390 px, with screenshots. One hub
 * and one signed-in admin page for the file; tests run in order.
 */
describe.skipIf(!browserAvailable())('console operations pages (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  let slowJob = 0;

  const row = (testId: string, attribute: string, value: string) => page.locator(`[data-testid="${testId}"][${attribute}="${value}"]`);
  const bearer = (token: string) => fetch(`${h.hub.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    h = await startConsoleHarness();
    const signedIn = await h.signedInPage('admin', ADMIN_PASSWORD);
    context = signedIn.context;
    page = signedIn.page;
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  it('edits a queue in place, shows what waits and how long, and offers Clear only when something waits', async () => {
    slowJob = (await h.api<{ id: number }>('POST', '/jobs', { workflow: 'simulate', fields: { tasks: 1, items: 50, delayMs: 60_000 }, queue: 'imports' })).id;
    await h.waitForState(slowJob, ['running']);
    await page.goto('/queues');
    const imports = row('queue-row', 'data-queue', 'imports');
    await imports.waitFor();
    // Nothing waits: nothing to clear.
    expect(await imports.getByRole('button', { name: 'Clear' }).count()).toBe(0);

    await imports.getByRole('button', { name: 'Settings of queue imports' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings of queue imports' });
    await dialog.getByLabel('Concurrency').fill('1');
    await dialog.getByLabel('Pause on failure').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await imports.getByText('1 (sequential)').waitFor();
    const queues = await h.api<{ items: { name: string; concurrency: number | null; pauseOnFailure: boolean }[] }>('GET', '/queues');
    expect(queues.items.find((q) => q.name === 'imports')).toMatchObject({ concurrency: 1, pauseOnFailure: true });

    // A second job waits behind the first (concurrency 1): counted, aged, clearable.
    const waiting = (await h.api<{ id: number }>('POST', '/jobs', { workflow: 'simulate', fields: { tasks: 1, items: 1, delayMs: 0 }, queue: 'imports' })).id;
    await expect.poll(() => imports.getByTestId('queue-queued').textContent(), { timeout: 15_000 }).toBe('1');
    await imports
      .getByTestId('queue-oldest')
      .getByText(/\d+ s$/)
      .waitFor();
    await imports.getByRole('button', { name: 'Clear' }).waitFor();

    expectClean(await checkPage(page, 'queues', () => imports.waitFor()), 'queues');

    await imports.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('dialog', { name: 'Clear queue imports?' }).getByRole('button', { name: 'Clear queue' }).click();
    await h.waitForState(waiting, ['cancelled']);
    await imports.getByRole('button', { name: 'Clear' }).waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('adds a user, changes their role, resets their password and disables them', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('button', { name: 'Add user' }).click();
    const add = page.getByRole('dialog', { name: 'Add user' });
    await add.getByLabel('Username').fill('olga');
    await add.getByLabel(/^Password/).fill('Tramway-Lantern-Quartz-7');
    await add.getByLabel('Role', { exact: true }).click();
    await page.getByRole('option', { name: /^Operator/ }).click();
    await add.getByLabel('Every site (also sites added later)').uncheck();
    await add.getByLabel('Sites', { exact: true }).click();
    await page.getByRole('option', { name: 'local' }).click();
    await page.keyboard.press('Escape');
    await add.getByRole('button', { name: 'Add user' }).click();
    await add.waitFor({ state: 'hidden' });
    const olga = row('user-row', 'data-username', 'olga');
    await olga.getByText('operator').waitFor();
    await olga.getByText('local', { exact: true }).waitFor();

    // A weak password is refused with the server's reason, nothing created.
    await page.getByRole('button', { name: 'Add user' }).click();
    await add.getByLabel('Username').fill('weak');
    await add.getByLabel(/^Password/).fill('short');
    await add.getByRole('button', { name: 'Add user' }).click();
    await add.getByText(/^Use at least 12 characters/).waitFor();
    await page.keyboard.press('Escape');

    await olga.getByRole('button', { name: 'Actions for olga' }).click();
    await page.getByRole('menuitem', { name: 'Edit role, sites and e-mail' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit olga' });
    await edit.getByLabel('Role', { exact: true }).click();
    await page.getByRole('option', { name: /^Viewer/ }).click();
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'hidden' });
    await olga.getByText('viewer').waitFor();

    await olga.getByRole('button', { name: 'Actions for olga' }).click();
    await page.getByRole('menuitem', { name: 'Reset password' }).click();
    const reset = page.getByRole('dialog', { name: 'Reset the password of olga' });
    await reset.getByLabel('New password').fill('Harbor-Violet-Engine-9');
    await reset.getByRole('button', { name: 'Reset password' }).click();
    await reset.waitFor({ state: 'hidden' });
    const olgaPage = await h.signedInPage('olga', 'Harbor-Violet-Engine-9');
    // A viewer is offered none of the admin pages, and is told why when sent to one.
    const nav = olgaPage.page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Jobs', 'Dashboard', 'Queues', 'Envelopes', 'Schedules', 'Workers']);
    await olgaPage.page.goto('/users');
    await olgaPage.page.getByText('This page is for admins; you are signed in as a viewer.').waitFor();
    await olgaPage.page.goto(`/jobs/${slowJob}`);
    await olgaPage.page.getByRole('heading', { name: new RegExp(`^Job ${slowJob}`) }).waitFor();
    expect(await olgaPage.page.getByRole('button', { name: 'Audit' }).count()).toBe(0);
    await olgaPage.context.close();

    await olga.getByRole('button', { name: 'Actions for olga' }).click();
    await page.getByRole('menuitem', { name: 'Disable' }).click();
    // Asked first; Keep it is where the focus lands.
    const ask = page.getByRole('dialog', { name: 'Disable olga?' });
    expect(await ask.getByRole('button', { name: 'Keep it' }).evaluate((el) => el === document.activeElement)).toBe(true);
    await ask.getByRole('button', { name: 'Disable user' }).click();
    await olga.getByText('Disabled').waitFor();
    // The actions menu closes as it acts: check the page once it is gone, not while it fades.
    await page.getByRole('menu').waitFor({ state: 'detached' });
    const refused = await fetch(`${h.hub.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'olga', password: 'Harbor-Violet-Engine-9' }),
    });
    expect(refused.status).toBe(401);

    expectClean(await checkPage(page, 'users', () => olga.waitFor()), 'users');
  });

  it('creates a token shown once, shows when it was last used, and revokes it', async () => {
    await page.goto('/tokens');
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByLabel('Name').fill('ci-bot');
    await dialog.getByLabel('Role', { exact: true }).click();
    await page.getByRole('option', { name: /^Operator/ }).click();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByRole('dialog', { name: 'Token ci-bot created' });
    const secret = (await shown.getByTestId('token-secret').textContent())?.trim() ?? '';
    expect(secret.length).toBeGreaterThan(20);
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'hidden' });
    // Never shown again: the list has no secret.
    expect(await page.getByText(secret).count()).toBe(0);

    const bot = row('token-row', 'data-token-name', 'ci-bot');
    await bot.getByText('Active').waitFor();
    await bot.getByTestId('token-last-used').getByText('not yet').waitFor();
    expect((await bearer(secret)).status).toBe(200);
    await page.reload();
    await expect.poll(() => bot.getByTestId('token-last-used').locator('time').count()).toBe(1);

    expectClean(await checkPage(page, 'tokens', () => bot.waitFor()), 'tokens');

    await bot.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog', { name: 'Revoke token ci-bot?' }).getByRole('button', { name: 'Revoke token' }).click();
    await bot.getByText('Revoked').waitFor();
    expect((await bearer(secret)).status).toBe(401);
  });

  it('lists sites and workers: online, last seen, running tasks', async () => {
    await page.goto('/workers');
    const site = row('site-row', 'data-site', 'local');
    await site.getByText('Online').waitFor();
    await site.getByText(/^1 of 1$/).waitFor();
    const worker = page.getByTestId('worker-row').first();
    await worker.getByText('Online').waitFor();
    expect(await worker.getByTestId('worker-site').textContent()).toBe('local');
    // The slow job of the first test still runs on it.
    await expect.poll(() => worker.getByTestId('worker-running').textContent()).toBe('1');
    expectClean(await checkPage(page, 'workers', () => worker.waitFor()), 'workers');
  });

  it("filters the audit log and shows a job's audit as a pop-up from its page", async () => {
    await page.goto('/audit');
    await page.getByTestId('audit-row').first().waitFor();
    const search = page.getByRole('search', { name: 'Audit filters' });
    await search.getByLabel('Action').fill('user.');
    await search.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/action=user\./);
    await expect
      .poll(async () => {
        const actions = await page.getByTestId('audit-row').locator('td:nth-child(3)').allTextContents();
        return actions.length > 0 && actions.every((a) => a.startsWith('user.'));
      })
      .toBe(true);
    await page.getByTestId('audit-row').filter({ hasText: 'user.create' }).filter({ hasText: 'user:olga' }).waitFor();

    await search.getByLabel('Target').fill('user:olga');
    await search.getByLabel('Actor').fill('nobody-at-all');
    await search.getByRole('button', { name: 'Apply' }).click();
    await page.locator('[data-testid="list-state"][data-status="empty"]').getByText('No audit entries match.').waitFor();
    await search.getByLabel('Actor').fill('admin');
    await search.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.getByTestId('audit-row').count()).toBeGreaterThanOrEqual(4);

    expectClean(await checkPage(page, 'audit', () => page.getByTestId('audit-row').first().waitFor()), 'audit');

    await h.api('POST', `/jobs/${slowJob}/cancel`);
    await page.goto(`/jobs/${slowJob}`);
    await page.getByRole('button', { name: 'Audit' }).click();
    const popup = page.getByRole('dialog', { name: `Audit of job ${slowJob}` });
    await popup.getByTestId('audit-row').filter({ hasText: 'job.submit' }).waitFor();
    await popup.getByTestId('audit-row').filter({ hasText: 'job.cancel' }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('shows Site, Queue, Outcome and Duration in the jobs list; columns and density are remembered', async () => {
    await page.goto('/');
    const headers = () => page.getByRole('columnheader').allTextContents();
    await expect.poll(headers).toEqual(expect.arrayContaining(['Site', 'Queue', 'Outcome', 'Duration']));
    const first = page.locator(`[data-testid="job-row"][data-job-id="${slowJob}"]`);
    expect(await first.locator('[data-column="queue"]').textContent()).toBe('imports');
    expect(await first.locator('[data-column="site"]').textContent()).toBe('local');
    await first.getByTestId('job-duration').waitFor();

    // A row unfolds to the job's task and item statistics.
    await first.getByRole('button', { name: `Show the statistics of job ${slowJob}` }).click();
    const details = page.getByTestId('job-row-details');
    await details.getByRole('list', { name: 'Tasks' }).waitFor();
    await details.getByRole('list', { name: 'Items' }).waitFor();
    await first.getByRole('button', { name: `Hide the statistics of job ${slowJob}` }).click();
    await details.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Columns' }).click();
    const chooser = page.getByRole('group', { name: 'Columns shown' });
    await chooser.getByLabel('Outcome').uncheck();
    await chooser.getByLabel('Last update').check();
    expect(await chooser.getByLabel('State').isDisabled()).toBe(true);
    await chooser.getByText('Compact').click();
    await page.keyboard.press('Escape');
    await expect.poll(headers).not.toContain('Outcome');
    expect(await headers()).toEqual(expect.arrayContaining([expect.stringMatching(/^Last update/)]));
    expect(await page.locator('table[data-density]').first().getAttribute('data-density')).toBe('compact');

    await page.reload();
    await first.waitFor();
    expect(await headers()).not.toContain('Outcome');
    expect(await page.locator('table[data-density]').first().getAttribute('data-density')).toBe('compact');
  });

  it('passes axe on the jobs list and a job page in every layout', async () => {
    await page.goto('/');
    expectClean(await checkPage(page, 'jobs', () => page.getByTestId('job-row').first().waitFor()), 'jobs');
    await page.goto(`/jobs/${slowJob}`);
    expectClean(await checkPage(page, 'job', () => page.getByTestId('job-state').filter({ hasText: 'Cancelled' }).waitFor()), 'job');
    expect(pageErrors).toEqual([]);
  });
});
