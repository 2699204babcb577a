import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { waitFor } from '../helpers/test-hub.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/** Subscribing from a job page in a real browser, and the console notification the job's end leaves. */
describe.skipIf(!browserAvailable())('console: subscribe to a job (browser)', () => {
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

  it('subscribes from the job page; the job ending puts one unread notification in the inbox', async () => {
    const id = await h.submit('simulate', { tasks: 1, items: 10_000, delayMs: 50 });
    await page.goto(`/jobs/${id}`);
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByRole('menuitem', { name: 'In the console when it ends' }).click();
    await page.getByText('You will be told in the console when it ends.').waitFor();
    await h.api('POST', `/jobs/${id}/cancel`);
    await h.waitForState(id, ['cancelled']);
    const inbox = await waitFor(
      h.hub.engine,
      async () => {
        const body = (await (await page.request.get('/api/v1/notifications')).json()) as { unread: number; items: { jobId: number }[] };
        return body.unread > 0 ? body : null;
      },
      15_000,
      'the notification',
    );
    expect(inbox.unread).toBe(1);
    expect(inbox.items[0].jobId).toBe(id);

    // The bell counts it without a reload, and opening it goes to the job and marks it read.
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).click();
    const message = page.getByTestId('notification').first();
    await expect.poll(() => message.textContent()).toContain(`Job ${id} simulate was cancelled at local`);
    expect(await message.getAttribute('data-unread')).toBe('true');
    await message.click();
    await page.getByRole('button', { name: 'Notifications', exact: true }).waitFor({ timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe(`/jobs/${id}`);
  }, 90_000);

  it('adds a site rule as a webhook digest from the notifications page, shows its secret once and its (empty) delivery log', async () => {
    await page.goto('/notifications');
    await page.getByRole('tab', { name: 'Subscriptions and rules' }).click();
    const form = page.getByRole('form', { name: 'New site rule' });
    await form.getByLabel('By webhook').check();
    await form.getByLabel('Webhook URL').fill('https://hooks.example.test/switchyard');
    await form.getByLabel('Daily digest').check();
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect.poll(() => page.getByTestId('webhook-secret').textContent()).toMatch(/^whsec_/);
    const row = page.getByTestId('subscription-row').filter({ hasText: 'All my sites' });
    await expect.poll(() => row.textContent()).toContain('Daily digest');
    expect(await row.textContent()).toContain('https://hooks.example.test/…');
    await row.getByRole('button', { name: 'Delivery log' }).click();
    await page.getByText('Nothing sent yet.').waitFor();
  }, 60_000);

  it('subscribes from the envelope page; the envelope ending leaves one notification that opens the envelope', async () => {
    await page.request.post('/api/v1/notifications/read', { data: {} });
    const envelope = await h.api<{ id: number }>('POST', '/envelopes', {
      type: 'jobs',
      jobs: [{ workflow: 'simulate', fields: { tasks: 1, items: 10_000, delayMs: 50 } }],
    });
    await page.goto(`/envelopes/${envelope.id}`);
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByRole('menuitem', { name: 'In the console when it ends' }).click();
    await page.getByText('You will be told in the console when it ends.').waitFor();
    await h.api('POST', `/envelopes/${envelope.id}/cancel`);
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).click();
    const message = page.getByTestId('notification').first();
    await expect.poll(() => message.textContent()).toContain(`Envelope ${envelope.id} jobs was cancelled at local`);
    await message.click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/envelopes/${envelope.id}`);
  }, 90_000);

  it('subscribes from the schedule page, listed with the schedule it targets', async () => {
    const schedule = await h.api<{ id: number }>('POST', '/schedules', { name: 'subscribed', workflow: 'simulate', fields: {}, everyMs: 3_600_000 });
    await page.goto(`/schedules/${schedule.id}`);
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByRole('menuitem', { name: 'In the console when a run fails' }).click();
    await page.getByText('You will be told in the console when a run fails.').waitFor();
    await page.goto('/notifications');
    await page.getByRole('tab', { name: 'Subscriptions and rules' }).click();
    await expect
      .poll(() =>
        page
          .getByTestId('subscription-row')
          .filter({ hasText: `Schedule ${schedule.id}` })
          .count(),
      )
      .toBe(1);
  }, 60_000);
});
