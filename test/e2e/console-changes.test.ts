import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { mirror } from '../worker/fixtures/change-workflows.js';
import { checkPage, expectClean } from './axe-check.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/**
 * The job page's "View details" (a job's change set, with a side-by-side text diff), "Compared
 * with previous run", the items by operation and "Retry failed items" (the retried item's
 * failure kept in its history, marked replaced), in a real browser
 * against a real hub running the test's own `mirror` workflow.
 */
describe.skipIf(!browserAvailable())('console: view details, compare and retry failed items (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;
  let first = 0;
  let second = 0;

  beforeAll(async () => {
    h = await startConsoleHarness({ workflows: [mirror] });
    ({ context, page } = await h.signedInPage('admin', ADMIN_PASSWORD));
    first = await h.submit('mirror', {
      source: { 'docs/readme.txt': 'alpha\nbeta\ngamma\ndelta\n', 'docs/new.txt': 'fresh\n', 'keep.txt': 'same\n' },
      target: { 'docs/readme.txt': 'alpha\nBETA\ngamma\n', 'old/gone.txt': 'bye\n' },
      failFirst: ['docs/new.txt'],
    });
    await h.waitForState(first, ['error']);
    second = await h.submit('mirror', { source: { 'docs/readme.txt': 'alpha\n', 'keep.txt': 'same\n', 'extra.txt': 'more\n' }, target: {} });
    await h.waitForState(second, ['success']);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  it('lists the job’s changes with counts and filters, and shows a text change side by side', async () => {
    await page.goto(`/jobs/${first}`);
    await page.getByTestId('view-details').click();
    const rows = page.getByTestId('change-row');
    await expect.poll(() => rows.count()).toBe(4);
    await page.getByTestId('changes-kind-all').filter({ hasText: 'All (4)' }).waitFor();
    await page.getByTestId('changes-kind-changed').filter({ hasText: 'Changed (1)' }).waitFor();

    await page.getByTestId('changes-kind-added').click();
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByTestId('changes-kind-all').click();
    await page.getByLabel('Path contains').fill('OLD/');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.getByTestId('change-path').first().textContent()).toBe('old/gone.txt');
    await page.getByLabel('Path contains').fill('readme');
    await expect.poll(() => rows.count()).toBe(1);

    await page.getByRole('button', { name: 'Show diff of docs/readme.txt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Text diff' });
    await dialog.getByTestId('text-diff').waitFor();
    expect(await dialog.getByTestId('diff-summary').textContent()).toBe('2 lines differ.');
    const diffRows = dialog.getByTestId('diff-row');
    expect(await diffRows.count()).toBe(4);
    expect(await diffRows.nth(1).getAttribute('data-op')).toBe('changed');
    expect(await diffRows.nth(1).textContent()).toContain('BETA');
    expect(await diffRows.nth(1).textContent()).toContain('beta');
    expect(await diffRows.nth(3).getAttribute('data-op')).toBe('added');
    expectClean(await checkPage(page, 'job-changes-diff', () => dialog.getByTestId('text-diff').waitFor()), 'the text diff');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expectClean(await checkPage(page, 'job-changes', () => rows.first().waitFor()), 'the changes tab');
  }, 120_000);

  it('compares a job with the previous run', async () => {
    await page.goto(`/jobs/${second}?tab=compare`);
    await page
      .getByTestId('compare-previous')
      .filter({ hasText: `job ${first}` })
      .waitFor();
    const rows = page.getByTestId('compare-row');
    // First run: readme and keep copied, new failed, old/gone deleted. Second: readme (other bytes), keep, extra.
    await expect.poll(() => rows.count()).toBe(4);
    await page.getByTestId('compare-kind-removed').filter({ hasText: 'Removed (2)' }).waitFor();
    await page.getByTestId('compare-kind-removed').click();
    await expect.poll(() => rows.count()).toBe(2);
    expectClean(await checkPage(page, 'job-compare', () => rows.first().waitFor()), 'the comparison tab');
  }, 120_000);

  it('shows items by operation, the queued tab, and retries only the failed items', async () => {
    await page.goto(`/jobs/${first}?tab=items&status=queued`);
    const stats = page.getByTestId('item-stats');
    await stats.waitFor();
    expect(await page.getByTestId('item-stats-row').count()).toBe(2);
    expect(await stats.textContent()).toContain('delete');
    // The copy settled every queued item.
    await page.getByRole('tab', { name: 'Queued (0)' }).waitFor();
    await page.getByRole('button', { name: 'Retry failed items' }).click();
    await h.waitForState(first, ['success']);
    await page.getByTestId('job-state').filter({ hasText: 'Success' }).waitFor();
    expect(await page.getByRole('button', { name: 'Retry failed items' }).count()).toBe(0);
    const [copy] = (await h.api<{ items: { result: unknown }[] }>('GET', `/jobs/${first}/tasks?type=copy`)).items;
    expect(copy.result).toEqual({ acted: ['docs/new.txt'], retryPaths: ['docs/new.txt'] });

    // The retried item counts once, as completed; its failure stays in its history, marked replaced.
    await page.getByRole('tab', { name: 'Failed (0)' }).click();
    await page.getByRole('tab', { name: 'Completed' }).click();
    await page.getByLabel('Path contains').fill('new.txt');
    await expect.poll(() => page.getByTestId('item-row').count()).toBe(1);
    await page.getByTestId('item-path').first().click();
    const history = page.getByRole('dialog', { name: 'Item history' });
    await expect.poll(() => history.getByRole('row').count()).toBe(3);
    expect(await history.getByText('replaced', { exact: true }).count()).toBe(1);
    await page.keyboard.press('Escape');
  }, 120_000);
});
