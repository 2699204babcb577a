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
  }, 60_000);
});
