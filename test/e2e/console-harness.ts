import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Hub, startHub } from '../../src/cli/hub.js';
import { SYSTEM_ACTOR } from '../../src/model/index.js';
import type { Workflow } from '../../src/sdk/define-workflow.js';
import { builtInWorkflows } from '../../src/workflows/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { waitFor } from '../helpers/test-hub.js';

export const ADMIN_PASSWORD = 'hub-pass-9f3k2x';

export interface ConsoleHarness {
  hub: Hub;
  browser: Browser;
  /** A directory of this run, removed at the end. */
  dir: string;
  /** Calls the API as the CLI's admin token. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  submit(workflow: string, fields: Record<string, unknown>): Promise<number>;
  /** Waits, woken by the hub's store, until the job reaches a state in `states`. */
  waitForState(id: number, states: string[], timeoutMs?: number): Promise<void>;
  /** A fresh browser context (its own cookies) with a page, signed in as `username`. */
  signedInPage(username: string, password: string): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/** `workflows`: loaded besides the built-in ones. */
export async function startConsoleHarness(options: { workflows?: Workflow[] } = {}): Promise<ConsoleHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'swy-console-'));
  const workflows = [...builtInWorkflows, ...(options.workflows ?? [])];
  const hub = await startHub({ dataDir: join(dir, 'hub'), port: 0, workflows, adminPassword: ADMIN_PASSWORD });
  const browser = await launchBrowser().catch(async (error) => {
    await hub.close();
    throw error;
  });

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${hub.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${hub.cliToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  return {
    hub,
    browser,
    dir,
    api,
    async submit(workflow, fields) {
      return (await api<{ id: number }>('POST', '/jobs', { workflow, fields })).id;
    },
    async waitForState(id, states, timeoutMs = 20_000) {
      await waitFor(
        hub.engine,
        async () => {
          const job = await hub.engine.reads.job(id, SYSTEM_ACTOR).catch(() => null);
          return job && states.includes(job.state) ? job : null;
        },
        timeoutMs,
        `job ${id} to be ${states.join(' or ')}`,
      );
    },
    async signedInPage(username, password) {
      // Reduced motion: the console then skips its transitions, so no check reads a half-faded element.
      const context = await browser.newContext({ baseURL: hub.url, viewport: { width: 1400, height: 900 }, reducedMotion: 'reduce' });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto('/login');
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
      return { context, page };
    },
    async close() {
      await browser.close().catch(() => undefined);
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
