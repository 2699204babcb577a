import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';
import { dropSchema, postgresHarness, TEST_PG_URL, testSchemaName } from '../helpers/store-harness.js';

const JOBS = 10_000;
const MODES = ['ok', 'ok', 'ok', 'items-fail', 'throw', 'skip'] as const;
const EXPECTED: Record<(typeof MODES)[number], string> = { ok: 'success', 'items-fail': 'error', throw: 'failure', skip: 'skipped' };

const WORKFLOWS = `import { defineWorkflow, fail, skip, z } from 'switchyard';
export const tick = defineWorkflow({
  name: 'tick',
  fields: z.object({ mode: z.enum(['ok', 'items-fail', 'throw', 'skip']) }),
  retry: { maxAttempts: 1 },
  plan: () => [{ type: 'tick', key: 'a' }, { type: 'tick', key: 'b' }],
  tasks: {
    tick(ctx) {
      const mode = ctx.job.fields.mode;
      if (mode === 'skip') skip('nothing to do');
      // One item per execution: a second committed execution of a task would show as two.
      ctx.item('run/' + ctx.task.id, { operation: 'tick', outcome: mode === 'items-fail' ? 'failed' : 'completed', error: mode === 'items-fail' ? 'bad item' : undefined });
      if (mode === 'throw') fail('planned failure');
      return { changed: true };
    },
  },
});
`;

/**
 * Issue 3's scale-out check, with real processes: two hubs on one PostgreSQL schema, remote
 * workers at two sites pulling over HTTP from different hubs, 10,000 jobs submitted through
 * both hubs. Afterwards the database itself must show every job in the state its mode
 * implies, every task settled exactly once, and no lease left behind.
 */
describe('scale-out on PostgreSQL: two hubs, remote workers at two sites', () => {
  const schema = testSchemaName('scale out');
  const db = `${TEST_PG_URL}?schema=${schema}`;
  const processes: LongRunning[] = [];
  let dir = '';
  let skipReason: string | null = null;
  const hubs: string[] = [];

  beforeAll(async () => {
    skipReason = await postgresHarness().available();
    if (skipReason) {
      console.warn(`\n!!! SKIPPING scale-out test: ${skipReason}\n`);
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'swy-scale-'));
    writeFileSync(join(dir, 'tick.mjs'), WORKFLOWS);
    const env = { SWITCHYARD_ADMIN_PASSWORD: 'scale-pass-1' };
    // Both hubs start at once: their migrations race, which must be safe.
    const started = ['a', 'b'].map((name) =>
      startCli(['start', '--port', '0', '--db', db, '--no-worker', '--data', join(dir, name), '--workflows', 'tick.mjs'], { cwd: dir, env }),
    );
    processes.push(...started);
    for (const hub of started) hubs.push((await hub.waitFor(/console:\s+(http:\/\/\S+)/, 30_000))[1]);
    for (const [site, hub] of [
      ['east', hubs[0]],
      ['west', hubs[1]],
    ]) {
      const token = (await runCli(['--data', join(dir, 'a'), 'tokens', 'create', '--role', 'worker', '--sites', site], { cwd: dir })).stdout.trim();
      for (const n of [1, 2]) {
        const worker = startCli(
          ['worker', '--hub', hub, '--site', site, '--token', token, '--name', `${site}-${n}`, '--workflows', 'tick.mjs', '--concurrency', '64'],
          { cwd: dir },
        );
        processes.push(worker);
        await worker.waitFor(/serving site/);
      }
    }
  }, 120_000);

  afterAll(async () => {
    for (const child of processes) child.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (!skipReason && process.env.SWITCHYARD_TEST_PG_KEEP !== '1') await dropSchema(TEST_PG_URL, schema);
  });

  it('runs 10,000 jobs submitted through both hubs to their right states, each task settled once', async (context) => {
    if (skipReason) context.skip();
    const token = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'a', 'cli.json'), 'utf8')).token;
    const submit = async (hub: string, jobs: unknown[]) => {
      const response = await fetch(`${hub}/api/v1/jobs/bulk`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jobs }),
      });
      expect(response.status).toBe(201);
    };
    const batches: Promise<void>[] = [];
    for (let start = 0; start < JOBS; start += 500) {
      const jobs = Array.from({ length: 500 }, (_, i) => ({
        workflow: 'tick',
        site: (start + i) % 2 === 0 ? 'east' : 'west',
        fields: { mode: MODES[(start + i) % MODES.length] },
      }));
      batches.push(submit(hubs[(start / 500) % 2], jobs));
    }
    await Promise.all(batches);

    const client = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      const count = async (sql: string) => Number((await client.query(sql)).rows[0].n);
      await expect
        .poll(() => count(`SELECT count(*) AS n FROM jobs WHERE state NOT IN ('success', 'error', 'failure', 'skipped', 'cancelled', 'unknown')`), {
          timeout: 240_000,
          interval: 1000,
        })
        .toBe(0);
      expect(await count('SELECT count(*) AS n FROM jobs')).toBe(JOBS);
      const wrong = await client.query(`SELECT fields->>'mode' AS mode, state, count(*) AS n FROM jobs GROUP BY 1, 2 ORDER BY 1, 2`);
      for (const row of wrong.rows) expect(row.state, `jobs of mode ${row.mode}`).toBe(EXPECTED[row.mode as keyof typeof EXPECTED]);
      // Every task ran once and was settled once: one attempt, one item per executed task, one terminal event.
      expect(await count('SELECT count(*) AS n FROM tasks')).toBe(JOBS * 2);
      expect(await count('SELECT count(*) AS n FROM tasks WHERE attempts <> 1')).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM (SELECT task_id FROM items GROUP BY task_id HAVING count(*) <> 1) d`)).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM items`)).toBe(
        await count(`SELECT count(*) AS n FROM tasks t JOIN jobs j ON j.id = t.job_id WHERE j.fields->>'mode' <> 'skip'`),
      );
      expect(
        await count(`SELECT count(*) AS n FROM (SELECT task_id FROM events WHERE type = 'task:state:changed'
          AND data->>'to' IN ('success', 'error', 'failure', 'skipped') GROUP BY task_id HAVING count(*) <> 1) d`),
      ).toBe(0);
      expect(await count('SELECT count(*) AS n FROM tasks WHERE lease_token IS NOT NULL OR lease_expires_at IS NOT NULL')).toBe(0);
      // Work was spread over both sites' workers and the job counters agree with the tasks.
      expect(await count(`SELECT count(DISTINCT worker_id) AS n FROM tasks`)).toBe(4);
      expect(
        await count(`SELECT count(*) AS n FROM jobs WHERE (task_counts->>'success')::int + coalesce((task_counts->>'error')::int, 0)
          + coalesce((task_counts->>'failure')::int, 0) + coalesce((task_counts->>'skipped')::int, 0) <> 2`),
      ).toBe(0);
    } finally {
      await client.end();
    }
  }, 300_000);
});
