import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

interface ScheduleAnswer {
  id: number;
  name: string;
  enabled: boolean;
  fields: Record<string, unknown>;
  cron: string | null;
  timezone: string;
}

/** The Schedules page in a real browser against a real hub: add, run now, edit, disable. */
describe.skipIf(!browserAvailable())('console: schedules (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    h = await startConsoleHarness();
    ({ context, page } = await h.signedInPage('admin', ADMIN_PASSWORD));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  const row = () => page.getByTestId('schedule-row').filter({ hasText: 'nightly-backup' });
  const chip = (label: string) => row().getByTestId('run-result').filter({ hasText: label }).waitFor({ timeout: 30_000 });
  const schedule = async () => (await h.api<{ items: ScheduleAnswer[] }>('GET', '/schedules')).items.find((s) => s.name === 'nightly-backup');

  it('adds a schedule from the workflow form, runs it now and shows the result chip, edits it and sees the chip change, disables it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
    await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Add schedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New schedule' });
    await dialog.getByLabel('Workflow', { exact: true }).click();
    await page.getByRole('option', { name: 'Simulated work' }).click();
    // The workflow's fields, with its defaults, as New job renders them.
    await expect.poll(() => dialog.getByLabel('Tasks', { exact: true }).inputValue()).toBe('4');
    await dialog.getByLabel(/^Name/).fill('nightly-backup');
    await dialog.getByLabel('Tasks', { exact: true }).fill('1');
    await dialog.getByLabel('Items', { exact: true }).fill('0');
    await dialog.getByLabel('Delay ms', { exact: true }).fill('0');
    await dialog.getByLabel('Cron', { exact: true }).fill('0 0 2 * * *');
    await dialog.getByLabel('Time zone', { exact: true }).fill('Europe/Paris');
    await dialog.getByLabel('Time zone', { exact: true }).press('Escape');
    await dialog.getByTestId('schedule-words').filter({ hasText: 'Runs every day at 02:00, Europe/Paris' }).waitFor();
    await dialog.getByRole('button', { name: 'Add schedule' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await row().getByTestId('schedule-description').filter({ hasText: 'every day at 02:00, Europe/Paris' }).waitFor();
    expect(await row().textContent()).toContain('Not run yet');
    const added = await schedule();
    expect(added).toMatchObject({ cron: '0 0 2 * * *', timezone: 'Europe/Paris', enabled: true, fields: { tasks: 1, items: 0, delayMs: 0 } });

    // Run now: nothing changed, so the run is "Up to date".
    await row().getByRole('button', { name: 'Run now' }).click();
    await chip('Up to date');

    // Edit: every item fails now; the next run's chip reads "Failed".
    await row().getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit schedule nightly-backup' });
    await expect.poll(() => edit.getByLabel('Items', { exact: true }).inputValue()).toBe('0');
    await edit.getByLabel('Items', { exact: true }).fill('3');
    await edit.getByLabel('Fail percent', { exact: true }).fill('100');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'hidden' });
    expect((await schedule())?.fields).toMatchObject({ items: 3, failPercent: 100 });
    await row().getByRole('button', { name: 'Run now' }).click();
    await chip('Failed');

    // Its page lists both runs, newest first, each with its chip.
    await row().getByRole('link', { name: 'nightly-backup' }).click();
    await page.getByRole('heading', { name: 'nightly-backup' }).waitFor();
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 15_000 }).toBe(2);
    const results = await page.getByTestId('run-row').getByTestId('run-result').allTextContents();
    expect(results).toEqual(['Failed', 'Up to date']);

    // Disable from the schedule page: no next run; the API agrees.
    await page.getByRole('group', { name: 'Actions for schedule nightly-backup' }).getByRole('button', { name: 'Disable' }).click();
    await page.getByTestId('schedule-disabled').waitFor();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    expect((await schedule())?.enabled).toBe(false);
    await page.getByRole('link', { name: '← Schedules' }).click();
    await row().getByTestId('schedule-disabled').waitFor();
  }, 120_000);

  it('deletes a schedule after confirming', async () => {
    await h.api('POST', '/schedules', { name: 'to-delete', workflow: 'simulate', fields: {}, everyMs: 3_600_000 });
    await page.goto('/schedules');
    const target = page.getByTestId('schedule-row').filter({ hasText: 'to-delete' });
    await target.getByTestId('schedule-description').filter({ hasText: 'every hour' }).waitFor();
    await target.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete schedule' }).click();
    await target.waitFor({ state: 'detached' });
    expect((await h.api<{ items: ScheduleAnswer[] }>('GET', '/schedules')).items.map((s) => s.name)).not.toContain('to-delete');
  }, 60_000);
});
