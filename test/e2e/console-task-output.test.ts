import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { browserAvailable } from '../helpers/browser.js';
import { checkPage, expectClean, screenshot } from './axe-check.js';
import { ADMIN_PASSWORD, type ConsoleHarness, startConsoleHarness } from './console-harness.js';

const LINES = 30_000;

/**
 * Writes LINES lines: every 1000th an "ERROR" in red, line 3 in bold green, line 4 looks like
 * markup, line 5 changes colour in the middle of a word ("OUT OF SPACE").
 */
const chatty = defineWorkflow({
  name: 'chatty',
  fields: z.object({ lines: z.number().int().min(0).max(100_000) }),
  plan: () => [{ type: 'talk' }],
  tasks: {
    talk(ctx) {
      for (let n = 1; n <= ctx.job.fields.lines; n++) {
        if (n % 1000 === 0) ctx.log(`\u001b[31mERROR\u001b[0m at line ${n}`);
        else if (n === 3) ctx.log('\u001b[1;32mgreen and bold\u001b[0m then plain');
        else if (n === 4) ctx.log('<b>not markup</b> <script>alert(1)</script>');
        else if (n === 5) ctx.log('\u001b[31mOUT OF SP\u001b[0mACE on /data');
        else ctx.log(`line ${n} is fine`);
      }
      return { changed: false };
    },
  },
});

/** The task output viewer in a real browser: search with next/previous, line links, ANSI colours, full screen. */
describe.skipIf(!browserAvailable())('console: task output (browser)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let page: Page;
  let jobId = 0;
  let taskId = 0;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    h = await startConsoleHarness({ workflows: [chatty] });
    jobId = (await h.api<{ id: number }>('POST', '/jobs', { workflow: 'chatty', fields: { lines: LINES } })).id;
    await h.waitForState(jobId, ['success'], 60_000);
    taskId = (await h.api<{ items: { id: number }[] }>('GET', `/jobs/${jobId}/tasks`)).items[0].id;
    ({ context, page } = await h.signedInPage('admin', ADMIN_PASSWORD));
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  const viewer = () => page.getByRole('region', { name: `Output of task ${taskId}` });
  const line = (n: number) => viewer().locator(`[data-line="${n}"]`);
  /** The line is drawn inside the viewer's visible box. */
  const inView = async (target: Locator) => {
    await target.waitFor();
    await expect
      .poll(async () => {
        const [box, outer] = await Promise.all([target.boundingBox(), viewer().boundingBox()]);
        return box !== null && outer !== null && box.y >= outer.y - 1 && box.y + box.height <= outer.y + outer.height + 1;
      })
      .toBe(true);
  };
  const count = () => page.getByTestId('output-match-count');

  it('draws ANSI colours as colours and markup as text', async () => {
    await page.goto(`/jobs/${jobId}?task=${taskId}`);
    await line(3).waitFor();
    const green = line(3).getByText('green and bold', { exact: true });
    expect(await green.evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el).fontWeight])).toEqual(['rgb(22, 101, 52)', '700']);
    expect(await line(3).textContent()).toBe('3green and bold then plain');
    expect(await line(4).locator('b, script').count()).toBe(0);
    await line(4).getByText('<b>not markup</b> <script>alert(1)</script>').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('searches the whole output on the hub and steps through the matches', async () => {
    const search = page.getByRole('textbox', { name: 'Search the output' });
    await search.fill('error');
    await expect.poll(() => count().textContent()).toBe(`1 of ${LINES / 1000}`);
    await inView(viewer().locator('[data-current-match][data-line="1000"]'));
    await line(1000).locator('mark').getByText('ERROR').waitFor();

    await search.press('Enter');
    await expect.poll(() => count().textContent()).toBe(`2 of ${LINES / 1000}`);
    await inView(viewer().locator('[data-current-match][data-line="2000"]'));

    await page.getByRole('button', { name: 'Previous match' }).click();
    await expect.poll(() => count().textContent()).toBe(`1 of ${LINES / 1000}`);
    // Back from the first wraps to the last: far beyond what was loaded, so it loads through it.
    await search.press('Shift+Enter');
    await expect.poll(() => count().textContent()).toBe(`${LINES / 1000} of ${LINES / 1000}`);
    await inView(viewer().locator(`[data-current-match][data-line="${LINES}"]`));
    await page.getByRole('button', { name: 'Next match' }).click();
    await expect.poll(() => count().textContent()).toBe(`1 of ${LINES / 1000}`);
    await screenshot(page, 'task-output-search');

    await search.fill('no such text anywhere');
    await expect.poll(() => count().textContent()).toBe('No matches');
    await search.fill('');
  });

  it('links to a line: the number sets #L, and a link opens scrolled to it, highlighted', async () => {
    await line(1001).getByRole('link', { name: 'Line 1001' }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#L1001');
    await viewer().locator('[data-target-line][data-line="1001"]').waitFor();

    await page.goto(`/jobs/${jobId}?task=${taskId}#L25000`);
    await inView(viewer().locator('[data-target-line][data-line="25000"]'));
    expect(await viewer().locator('[data-target-line]').count()).toBe(1);
    await screenshot(page, 'task-output-linked-line');
  });

  it('full screen fills the window, on a desktop and on a phone', async () => {
    await page.getByRole('button', { name: 'Full screen' }).click();
    for (const size of [
      { width: 1400, height: 900 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(size);
      await expect
        .poll(async () => {
          const box = await viewer().boundingBox();
          // The drawer's title and the toolbars take the rest.
          return (
            box !== null && box.width >= size.width - 80 && box.height >= size.height - (size.width < 500 ? 260 : 200) && box.y + box.height <= size.height
          );
        })
        .toBe(true);
    }
    await page.setViewportSize({ width: 1400, height: 900 });
    await inView(viewer().locator('[data-target-line][data-line="25000"]'));
    await screenshot(page, 'task-output-full-screen');
    await page.getByRole('button', { name: 'Exit full screen' }).click();
    await page.getByRole('dialog').getByText('Attempts').waitFor();
  });

  it('passes axe in light, dark and phone layouts', async () => {
    await page.goto(`/jobs/${jobId}?task=${taskId}`);
    await page.getByRole('textbox', { name: 'Search the output' }).fill('error');
    await expect.poll(() => count().textContent()).toBe(`1 of ${LINES / 1000}`);
    expectClean(await checkPage(page, 'task-output', () => viewer().locator('[data-current-match]').waitFor()), 'task output');
    expect(pageErrors).toEqual([]);
  });

  it('finds and marks text that a colour change cuts in two', async () => {
    const search = page.getByRole('textbox', { name: 'Search the output' });
    await search.fill('of space on');
    await expect.poll(() => count().textContent()).toBe('1 of 1');
    await inView(viewer().locator('[data-current-match][data-line="5"]'));
    // One hit, marked in each colour run it covers: the red "OF SP" and the plain "ACE on".
    const marks = line(5).locator('mark');
    await expect.poll(() => marks.allTextContents()).toEqual(['OF SP', 'ACE on']);
    expect(await marks.evaluateAll((els) => els.map((el) => el.getAttribute('data-hit')))).toEqual(['0', '0']);
    expect(await marks.first().evaluate((el) => getComputedStyle(el.parentElement as Element).color)).not.toBe(
      await marks.last().evaluate((el) => getComputedStyle(el.parentElement as Element).color),
    );
    expect(await line(5).textContent()).toBe('5OUT OF SPACE on /data');
    await screenshot(page, 'task-output-search-across-colours');
    await search.fill('');
  });
});
