import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';
import { dropSchema, postgresHarness, TEST_PG_URL, testSchemaName } from '../helpers/store-harness.js';

/**
 * A remote worker killed with SIGKILL in the middle of its tasks: the hub hears nothing more
 * from it, its leases expire, and another worker at the site finishes the job, whose items
 * each count once.
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
      env: { SWITCHYARD_ADMIN_PASSWORD: 'kill-pass-123' },
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
    // Long enough (about 5 s a task; a CLI poll takes well under 1 s) that the kill lands mid-task even on a busy machine.
    const submitted = await runCli(['submit', 'simulate', '--site', 'plant', '-f', 'tasks=3', '-f', 'items=100', '-f', 'delayMs=50'], { cwd: dir });
    const jobId = Number(/job (\d+)/.exec(submitted.stdout)?.[1]);
    const show = async () => JSON.parse((await runCli(['jobs', 'show', String(jobId), '--json'], { cwd: dir })).stdout);
    const running = (job: { tasks: { state: string }[] }) => job.tasks.filter((t) => t.state === 'running').length;
    // Wait for the state we need — all three tasks running, with items recorded — not for a time.
    await expect
      .poll(
        async () => {
          const job = await show();
          return running(job) === 3 && job.itemCounts.completed > 5;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe(true);

    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    const second = worker('rescuer');
    await second.waitFor(/serving site/);

    await expect.poll(async () => (await show()).state, { timeout: 100_000, interval: 500 }).toBe('success');
    const after = await show();
    // The killed attempts' items were recorded again by the rescuer: each counts once.
    expect(after.itemCounts).toEqual({ queued: 0, completed: 300, failed: 0, skipped: 0 });
    for (const task of after.tasks) {
      expect(task.state).toBe('success');
      // The killed attempt counted; on a loaded machine a 3 s lease may lapse once more.
      expect(task.attempts).toBeGreaterThanOrEqual(2);
      expect(task.workerId).toMatch(/^rescuer-/);
      // Not before the old lease (3 s, renewed every 2 s) could have run out.
      expect(Date.parse(task.startedAt)).toBeGreaterThan(killedAt);
    }
  }, 180_000);
});
