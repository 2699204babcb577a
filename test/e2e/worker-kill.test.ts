import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';
import { dropSchema, postgresHarness, TEST_PG_URL, testSchemaName } from '../helpers/store-harness.js';

/**
 * A remote worker killed with SIGKILL in the middle of its tasks: the hub hears nothing more
 * from it, its leases expire, and another worker at the site finishes the job.
 */
describe('a worker killed mid-task', () => {
  const schema = testSchemaName('worker kill');
  const processes: LongRunning[] = [];
  let dir = '';
  let skipReason: string | null = null;
  let hub = '';
  let token = '';

  beforeAll(async () => {
    skipReason = await postgresHarness().available();
    if (skipReason) {
      console.warn(`\n!!! SKIPPING worker-kill test: ${skipReason}\n`);
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'swy-kill-'));
    const started = startCli(['start', '--port', '0', '--db', `${TEST_PG_URL}?schema=${schema}`, '--no-worker', '--lease-ms', '3000'], {
      cwd: dir,
      env: { SWITCHYARD_ADMIN_PASSWORD: 'kill-pass-1' },
    });
    processes.push(started);
    hub = (await started.waitFor(/console:\s+(http:\/\/\S+)/, 30_000))[1];
    token = (await runCli(['tokens', 'create', '--role', 'worker', '--sites', 'plant'], { cwd: dir })).stdout.trim();
  }, 60_000);

  afterAll(async () => {
    for (const child of processes) child.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (!skipReason && process.env.SWITCHYARD_TEST_PG_KEEP !== '1') await dropSchema(TEST_PG_URL, schema);
  });

  it('re-leases its tasks after lease expiry and another worker finishes them', async (context) => {
    if (skipReason) context.skip();
    const worker = (name: string) => {
      const child = startCli(['worker', '--hub', hub, '--site', 'plant', '--token', token, '--name', name], { cwd: dir });
      processes.push(child);
      return child;
    };
    const first = worker('doomed');
    await first.waitFor(/serving site/);
    const submitted = await runCli(['submit', 'simulate', '--site', 'plant', '-f', 'tasks=3', '-f', 'items=40', '-f', 'delayMs=50'], { cwd: dir });
    const jobId = Number(/job (\d+)/.exec(submitted.stdout)?.[1]);
    const show = async () => JSON.parse((await runCli(['jobs', 'show', String(jobId), '--json'], { cwd: dir })).stdout);
    await expect.poll(async () => (await show()).itemCounts.completed, { timeout: 15_000 }).toBeGreaterThan(5);
    const before = await show();
    expect(before.tasks.filter((t: { state: string }) => t.state === 'running')).toHaveLength(3);

    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    const second = worker('rescuer');
    await second.waitFor(/serving site/);

    await expect.poll(async () => (await show()).state, { timeout: 60_000, interval: 500 }).toBe('success');
    const after = await show();
    for (const task of after.tasks) {
      expect(task).toMatchObject({ state: 'success', attempts: 2 });
      expect(task.workerId).toMatch(/^rescuer-/);
      // Not before the old lease (3 s, renewed every 2 s) could have run out.
      expect(Date.parse(task.startedAt)).toBeGreaterThan(killedAt);
    }
  }, 120_000);
});
