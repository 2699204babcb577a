import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { browserAvailable } from '../helpers/browser.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/** Exports at the hub's own site, imports at `to`, where no worker runs it. */
const transfer = defineWorkflow({
  name: 'transfer',
  fields: z.object({ to: z.string() }),
  plan: (fields) => [
    { type: 'export', key: 'export' },
    { type: 'import', key: 'import', after: ['export'], site: fields.to },
  ],
  tasks: { export: () => ({ changed: true }), import: () => ({ changed: true }) },
});

/** The job page's Sites section for a job that spans two sites, in a real browser. */
describe.skipIf(!browserAvailable())('console: where a job that spans sites ran (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    h = await startConsoleHarness({ workflows: [transfer] });
    // A worker registered at "remote" makes the site exist; it never leases, so the import waits.
    const { token } = await h.api<{ token: string }>('POST', '/tokens', { name: 'remote', role: 'worker', sites: ['remote'] });
    const response = await fetch(`${h.hub.url}/api/v1/worker/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'remote-1', name: 'remote-1', site: 'remote', host: 'test', workflows: ['simulate'] }),
    });
    expect(response.status).toBe(200);
    ({ context, page } = await h.signedInPage('admin', ADMIN_PASSWORD));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  it('groups the tasks by site and worker, the home site marked', async () => {
    const { id } = await h.api<{ id: number }>('POST', '/jobs', { workflow: 'transfer', fields: { to: 'remote' } });
    await expect
      .poll(async () => (await h.api<{ items: { site: string; taskCounts: Record<string, number> }[] }>('GET', `/jobs/${id}/sites`)).items, {
        timeout: 20_000,
      })
      .toEqual([
        expect.objectContaining({ site: 'local', taskCounts: { success: 1 } }),
        expect.objectContaining({ site: 'remote', taskCounts: { queued: 1 } }),
      ]);
    await page.goto(`/jobs/${id}`);
    const sites = page.getByTestId('job-sites');
    await sites.waitFor();
    const local = sites.locator('[data-site="local"]');
    const remote = sites.locator('[data-site="remote"]');
    await local.getByText('home').waitFor();
    await local.getByTestId('job-site-worker').getByText('1 success').waitFor();
    await remote.getByText('Not leased yet').waitFor();
    await remote.getByTestId('job-site-worker').getByText('1 queued').waitFor();
    expect(await remote.getByText('home').count()).toBe(0);
    await page.getByText('local (also runs at remote)').waitFor();
    // The waiting import says which site lacks a worker, in the tasks table too.
    await page.getByTestId('task-wait-reason').filter({ hasText: 'site "remote"' }).waitFor();
    const tasks = await h.api<{ items: { type: string; waitReason: { code: string; message: string } | null }[] }>('GET', `/jobs/${id}/tasks`);
    expect(tasks.items.find((t) => t.type === 'import')?.waitReason?.message).toContain('site "remote"');
    await h.api('POST', `/jobs/${id}/cancel`);
  }, 60_000);
});
