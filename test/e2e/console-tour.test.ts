import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { checkPage, expectClean } from './axe-check.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

/** Jobs that wait for their run-at a day ahead: enough rows to load page after page. */
const WAITING = 260;

/**
 * The jobs list's total, XLSX export and windowed rows; then every main page in light, dark and
 * phone layouts: axe (0 serious or critical) and a screenshot each in test-results/screenshots.
 */
describe.skipIf(!browserAvailable())('console tour: totals, XLSX, windowed rows, every page (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;
  let doneJob = 0;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    h = await startConsoleHarness();
    // First, so that it runs before the list fills with waiting jobs (it is id 1).
    doneJob = await h.submit('simulate', { tasks: 3, items: 30, delayMs: 0, failPercent: 10 });
    await h.waitForState(doneJob, ['success', 'error', 'failure'], 60_000);
    const runAt = new Date(Date.now() + 86_400_000).toISOString();
    for (let i = 0; i < WAITING; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, WAITING - i) }, (_, k) =>
          h.api('POST', '/jobs', { workflow: 'simulate', fields: { tasks: 1, items: 0 }, runAt, queue: (i + k) % 4 === 0 ? 'nightly' : 'default' }),
        ),
      );
    }
    await h.api('POST', '/schedules', { name: 'nightly-sim', workflow: 'simulate', fields: {}, everyMs: 3_600_000 });
    await h.api('POST', '/envelopes', { type: 'jobs', jobs: [{ workflow: 'simulate', fields: { tasks: 1, items: 1, delayMs: 0 } }] });
    ({ context, page } = await h.signedInPage('admin', ADMIN_PASSWORD));
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  const total = () => page.getByTestId('jobs-total');
  const rows = () => page.getByTestId('job-row');

  it('shows how many jobs the filter matches', async () => {
    await page.goto('/');
    await expect.poll(() => total().textContent()).toBe(`${(WAITING + 2).toLocaleString('en')} jobs`);
    expect(await total().getAttribute('data-exact')).toBe('true');
    await page.goto('/?queue=nightly');
    await expect.poll(() => total().textContent()).toBe(`${WAITING / 4} jobs`);
  });

  it('exports the filtered list as an XLSX workbook from the Export menu', async () => {
    await page.goto('/?queue=nightly');
    await rows().first().waitFor();
    await page.getByRole('button', { name: 'Export' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: 'Excel workbook (XLSX)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^switchyard-jobs-.*\.xlsx$/);
    const file = join(h.dir, 'jobs.xlsx');
    await download.saveAs(file);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.getWorksheet('Jobs');
    if (!sheet) throw new Error('no Jobs sheet');
    expect(sheet.rowCount).toBe(WAITING / 4 + 1);
    expect(sheet.getRow(1).getCell(1).value).toBe('id');
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(sheet.getRow(2).getCell(header.indexOf('queue') + 1).value).toBe('nightly');
  });

  it('draws only the rows near the view once many are loaded; unfolding and the keyboard still work', async () => {
    await page.goto('/');
    await rows().first().waitFor();
    const footer = page.getByText(/shown — that is all/);
    for (let loads = 0; loads < 10 && !(await footer.isVisible()); loads++) {
      const shown = await page.getByText(/\d+ shown/).textContent();
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => page.getByText(/\d+ shown/).textContent()).not.toBe(shown);
    }
    await footer.waitFor();
    expect(await footer.textContent()).toContain(`${WAITING + 2} shown`);
    await page.locator('table[data-windowed]').waitFor();
    // Far fewer rows in the page than loaded.
    expect(await rows().count()).toBeLessThan(80);

    // The newest rows first; scrolled to the end, the oldest job's row is drawn.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.locator('[data-testid="job-row"][data-job-id="2"]').waitFor();
    expect(await page.locator(`[data-testid="job-row"][data-job-id="${WAITING + 2}"]`).count()).toBe(0);
    expect(await rows().count()).toBeLessThan(80);

    // Unfold a row with the keyboard: its details come beneath it, and the rows below move down.
    const row = page.locator('[data-testid="job-row"][data-job-id="20"]');
    const below = page.locator('[data-testid="job-row"][data-job-id="19"]');
    const toggle = row.getByRole('button', { name: 'Show the statistics of job 20' });
    // Measured from the unfolded row, not the viewport: the browser's scroll anchoring may keep
    // the row below in place on screen and move the page above it instead.
    const gap = async () => ((await below.boundingBox())?.y ?? 0) - ((await row.boundingBox())?.y ?? 0);
    const gapBefore = await gap();
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.locator('#job-20-details').waitFor();
    await expect.poll(async () => (await gap()) > gapBefore + 20).toBe(true);
    // Tab moves on to the next control in the row order.
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-job-id') ?? document.activeElement?.closest('[id]')?.id),
    ).toBeTruthy();

    // Back to the top: the newest row is drawn again.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator(`[data-testid="job-row"][data-job-id="${WAITING + 2}"]`).waitFor();
    expect(pageErrors).toEqual([]);
  }, 120_000);

  /** Each main page, with something it shows once loaded. */
  const PAGES: { name: string; path: () => string; ready: (page: Page) => Locator }[] = [
    { name: 'tour-dashboard', path: () => '/dashboard', ready: (p) => p.getByRole('heading', { name: 'Dashboard', exact: true }) },
    { name: 'tour-jobs', path: () => '/', ready: (p) => p.getByTestId('job-row').first() },
    { name: 'tour-job', path: () => `/jobs/${doneJob}`, ready: (p) => p.getByTestId('task-row').first() },
    { name: 'tour-queues', path: () => '/queues', ready: (p) => p.getByRole('heading', { name: 'Queues', exact: true }) },
    { name: 'tour-schedules', path: () => '/schedules', ready: (p) => p.getByText('nightly-sim').first() },
    { name: 'tour-envelopes', path: () => '/envelopes', ready: (p) => p.getByTestId('envelope-row').first() },
    { name: 'tour-notifications', path: () => '/notifications', ready: (p) => p.getByRole('heading', { name: 'Notifications', exact: true }) },
    { name: 'tour-audit', path: () => '/audit', ready: (p) => p.getByTestId('audit-row').first() },
    { name: 'tour-admin', path: () => '/users', ready: (p) => p.getByRole('heading', { name: 'Users', exact: true }) },
  ];

  for (const target of PAGES) {
    it(`${target.name.replace('tour-', '')}: axe-clean in light, dark and at 390 px, with screenshots`, async () => {
      await page.goto(target.path());
      await target.ready(page).waitFor();
      expectClean(await checkPage(page, target.name, () => target.ready(page).waitFor()), target.name);
    }, 120_000);
  }

  it('met no script error on the way', () => {
    expect(pageErrors).toEqual([]);
  });
});
