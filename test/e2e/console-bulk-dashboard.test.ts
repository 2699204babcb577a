import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable } from '../helpers/browser.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
/** Screenshots a person can look at: test-results/screenshots/<page>-<theme>.png. */
const SHOTS = join(new URL('../../', import.meta.url).pathname, 'test-results', 'screenshots');

/**
 * Serious and critical accessibility violations (axe-core) within `include` (CSS selectors):
 * the parts this feature owns. The shared header and the jobs table are other pages' parts.
 */
async function axeViolations(page: Page, include: string[]): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(async (selectors) => {
    type Result = { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
    const axe = (window as unknown as { axe: { run(ctx: object, opts: object): Promise<Result> } }).axe;
    return axe.run({ include: selectors.map((s) => [s]) }, { resultTypes: ['violations'] });
  }, include);
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** A signed-in page; CSP bypassed only so that the test can inject axe-core (the hub's CSP forbids inline scripts). */
async function signIn(h: ConsoleHarness, colorScheme: 'light' | 'dark', width = 1400): Promise<{ context: BrowserContext; page: Page }> {
  // Reduced motion: no check reads a half-faded dialog.
  const context = await h.browser.newContext({ baseURL: h.hub.url, colorScheme, bypassCSP: true, viewport: { width, height: 900 }, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto('/login');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
  return { context, page };
}

/** Bulk actions from the jobs list and the dashboard, in a real browser. */
describe.skipIf(!browserAvailable())('console: bulk actions and dashboard (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    h = await startConsoleHarness();
    ({ context, page } = await signIn(h, 'light'));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  it('selects all jobs matching a filter, previews, confirms, follows the progress and shows the summary', async () => {
    const later = '2090-01-01T00:00:00Z';
    await h.api('POST', '/jobs/bulk', { jobs: Array.from({ length: 60 }, () => ({ workflow: 'simulate', fields: { tasks: 1, items: 1 }, runAt: later })) });
    await page.goto('/?state=queued');
    await page.getByTestId('job-row').first().waitFor();
    await page.getByTestId('select-page').check();
    await expect.poll(() => page.getByTestId('bulk-selected').textContent()).toBe('50 selected');
    await page.getByTestId('bulk-select-all-matching').click();
    await expect.poll(() => page.getByTestId('bulk-selected').textContent()).toBe('All 60 jobs matching this filter selected');
    expect(await axeViolations(page, ['[data-testid="bulk-bar"]'])).toEqual([]);
    await page.getByTestId('bulk-cancel').click();
    await expect.poll(() => page.getByTestId('bulk-preview').textContent()).toMatch(/This will cancel 60 of the 60 selected jobs/);
    expect(await axeViolations(page, ['.mantine-Modal-content'])).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'bulk-confirm-light.png') });
    await page.getByTestId('bulk-confirm').click();
    const panel = page.getByTestId('operation-panel');
    await panel.waitFor();
    await page.locator('[data-testid="operation-panel"][data-state="done"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('operation-summary').textContent()).toMatch(/60 cancelled, 0 skipped, 0 failed/);
    expect(await page.getByTestId('operation-progress').textContent()).toBe('60 of 60 handled');
    await page.screenshot({ path: join(SHOTS, 'bulk-summary-light.png') });
    expect(await axeViolations(page, ['[data-testid="operation-panel"]'])).toEqual([]);
    const queued = await h.api<{ items: unknown[] }>('GET', '/jobs?state=queued&limit=100');
    expect(queued.items).toHaveLength(0);
  }, 90_000);

  it('shows the dashboard, and a chart segment opens the jobs list with its filter', async () => {
    await page.goto('/dashboard');
    await page.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
    await page.getByTestId('stat-created').waitFor();
    expect(await page.getByTestId('stat-created').textContent()).toContain('60');
    const segment = page.locator('[data-testid="chart-created"] .recharts-bar-rectangle path').first();
    await segment.waitFor();
    expect(await axeViolations(page, ['main'])).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'dashboard-light.png'), fullPage: true });
    await segment.click();
    await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
    const url = new URL(page.url());
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('state')).toBe('cancelled');
    expect(url.searchParams.get('from')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await page.getByTestId('job-row').first().waitFor();
  }, 60_000);

  it('passes axe in the dark theme too', async () => {
    const { context: dark, page: darkPage } = await signIn(h, 'dark');
    await darkPage.goto('/dashboard');
    await darkPage.locator('[data-testid="chart-created"] .recharts-bar-rectangle path').first().waitFor();
    expect(await axeViolations(darkPage, ['main'])).toEqual([]);
    await darkPage.screenshot({ path: join(SHOTS, 'dashboard-dark.png'), fullPage: true });
    await dark.close();
  }, 60_000);

  it('fits a 390 px phone: the dashboard stacks and passes axe', async () => {
    const { context: phone, page: phonePage } = await signIn(h, 'light', 390);
    await phonePage.goto('/dashboard');
    await phonePage.locator('[data-testid="chart-created"] .recharts-bar-rectangle path').first().waitFor();
    const width = await phonePage.evaluate(() => document.querySelector('main')?.scrollWidth ?? 0);
    expect(width).toBeLessThanOrEqual(390);
    expect(await axeViolations(phonePage, ['main'])).toEqual([]);
    await phonePage.screenshot({ path: join(SHOTS, 'dashboard-phone.png'), fullPage: true });
    await phone.close();
  }, 60_000);
});
