import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startHub } from '../src/cli/hub.js';
import { builtInWorkflows } from '../src/workflows/index.js';
import type { Measurement } from './measurements.js';

const JOBS = 2000;
/** Load more until at least this many rows are in the list. */
const ROWS = 1000;
const PASSWORD = 'bench-pass-7q2w9e';

/**
 * Runs in the page: scrolls Load more into view, clicks it and answers the rows shown and the
 * milliseconds until the "N shown" count grew and the next frame was drawn. A string, not a
 * function: tsx's transform would add helpers to a function's source that the page lacks.
 */
const CLICK_AND_WAIT = `(async () => {
  const shown = () => {
    for (const p of document.querySelectorAll('p')) {
      const found = /^(\\d+) shown/.exec(p.textContent ?? '');
      if (found) return Number(found[1]);
    }
    return 0;
  };
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Load more');
  if (!button) throw new Error('no Load more button');
  button.scrollIntoView({ block: 'end' });
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)));
  const before = shown();
  const started = performance.now();
  button.click();
  await new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      if (shown() > before) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    setTimeout(() => {
      observer.disconnect();
      reject(new Error('no new rows after 60 s (' + before + ' shown)'));
    }, 60000);
  });
  // The frame that draws them.
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  // The page's request in that time: how much of the click was the hub's answer.
  const fetched = performance.getEntriesByType('resource').filter((e) => e.startTime >= started && new URL(e.name).pathname === '/api/v1/jobs');
  const fetchMs = fetched.reduce((sum, e) => sum + (e.responseEnd - e.startTime), 0);
  return { rows: shown(), ms: performance.now() - started, fetchMs };
})()`;

/**
 * The jobs list's "Load more" in a real browser (`--only console-list`): a hub on SQLite with
 * 2,000 queued jobs (no worker runs them, so no live event refetches the list meanwhile), the
 * jobs list in headless Chromium, then Load more until 1,000+ rows. Each click is timed in the
 * page, from the click until the "N shown" count has grown and the next frame is drawn (the
 * rows come in the same render). The button is scrolled into view first, as a reader would,
 * outside the timing. Needs the built console (`npm run build:web`). The value is the median.
 */
export const consoleListMeasurements: Measurement[] = [
  {
    name: 'console-list',
    label: `jobs list: Load more to ${ROWS.toLocaleString('en')} rows in Chromium (median click)`,
    unit: 'ms',
    run: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'swy-bench-console-'));
      const hub = await startHub({ dataDir: join(dir, 'hub'), port: 0, workflows: builtInWorkflows, adminPassword: PASSWORD, localWorker: false });
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      try {
        const jobs = Array.from({ length: JOBS }, () => ({ workflow: 'simulate', fields: { tasks: 1, items: 1, delayMs: 0 } }));
        for (let i = 0; i < JOBS; i += 1000) {
          const response = await fetch(`${hub.url}/api/v1/jobs/bulk`, {
            method: 'POST',
            headers: { authorization: `Bearer ${hub.cliToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ jobs: jobs.slice(i, i + 1000) }),
          });
          if (!response.ok) throw new Error(`bulk submit: HTTP ${response.status} ${await response.text()}`);
        }
        const context = await browser.newContext({ baseURL: hub.url, viewport: { width: 1400, height: 900 }, reducedMotion: 'reduce' });
        const page = await context.newPage();
        page.setDefaultTimeout(60_000);
        await page.goto('/login');
        await page.getByLabel('Username').fill('admin');
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByTestId('job-row').first().waitFor();
        // A console built with NODE_ENV set to anything but production (a build started from a
        // vitest run inherits NODE_ENV=test) bundles React's development build: several times slower.
        if (await page.evaluate(`[...document.scripts].some((s) => s.src.includes('/assets/'))`)) {
          const script = await page.evaluate(`[...document.scripts].find((s) => s.src.includes('/assets/')).src`);
          if ((await (await fetch(String(script))).text()).includes('runWithFiberInDEV should never be called in production')) {
            throw new Error('dist/web holds a development build of React: run `npm run build:web` with NODE_ENV unset, then bench again');
          }
        }
        await page.getByRole('button', { name: 'Load more' }).waitFor();

        const clicks: { rows: number; ms: number; fetchMs: number }[] = [];
        for (let rows = 0; rows < ROWS; ) {
          const click = (await page.evaluate(CLICK_AND_WAIT)) as { rows: number; ms: number; fetchMs: number };
          clicks.push(click);
          rows = click.rows;
        }
        await context.close();
        const times = clicks.map((c) => c.ms);
        const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
        const at = (i: number) => `${Math.round(clicks[i].ms)} ms at ${clicks[i].rows} rows`;
        console.log(
          `\n    clicks (rows: ms, of which the hub's answer): ${clicks.map((c) => `${c.rows}: ${Math.round(c.ms)} (${Math.round(c.fetchMs)})`).join(', ')}`,
        );
        return { value: median, detail: `${clicks.length} clicks; first ${at(0)}, last ${at(clicks.length - 1)}` };
      } finally {
        await browser.close().catch(() => undefined);
        await hub.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
