import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

interface ScheduleJson {
  id: number;
  name: string;
  enabled: boolean;
  cron: string | null;
  everyMs: number | null;
  description: string;
  fields: Record<string, unknown>;
  nextRunAt: string | null;
  lastRun: { jobId: number; state: string; result: string } | null;
}

/** `switchyard schedules …` as a user types it, against a real hub process. */
describe('switchyard schedules (CLI end to end)', () => {
  let cwd: string;
  let hub: LongRunning;
  const cli = (...args: string[]) => runCli(args, { cwd });
  const list = async (): Promise<ScheduleJson[]> => JSON.parse((await cli('schedules', 'list', '--json')).stdout);

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'swy-cli-sched-'));
    hub = startCli(['start', '--port', '0'], { cwd, env: { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' } });
    await hub.waitFor(/console:\s+(http:\/\/\S+)/);
  }, 60_000);

  afterAll(() => {
    hub?.child.kill('SIGKILL');
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('adds, lists, runs now, disables, enables and deletes a schedule', async () => {
    const add = await cli(
      'schedules',
      'add',
      'nightly',
      'simulate',
      '--cron',
      '0 0 2 * * *',
      '--timezone',
      'Europe/Paris',
      '-f',
      'tasks=1',
      '-f',
      'items=2',
      '-f',
      'delayMs=0',
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/schedule 1 "nightly" added: every day at 02:00, Europe\/Paris \(0 0 2 \* \* \*\), next run \d{4}-/);
    const every = await cli('schedules', 'add', 'often', 'simulate', '--every-ms', '3600000', '--overlap', 'allow', '--disabled');
    expect(every.code, every.stderr).toBe(0);
    expect(every.stdout).toMatch(/schedule 2 "often" added: every hour, next run never \(disabled\)/);

    const table = await cli('schedules', 'list');
    expect(table.stdout).toMatch(/^ID\s+NAME\s+WORKFLOW\s+SITE\s+WHEN\s+ENABLED/m);
    expect(table.stdout).toMatch(/^1\s+nightly\s+simulate\s+local\s+every day at 02:00, Europe\/Paris \(0 0 2 \* \* \*\)\s+yes/m);
    expect(table.stdout).toMatch(/^2\s+often\s+simulate\s+local\s+every hour\s+no/m);
    const [nightly] = await list();
    expect(nightly).toMatchObject({ name: 'nightly', enabled: true, fields: { tasks: 1, items: 2, delayMs: 0 }, lastRun: null });

    const run = await cli('schedules', 'run', '1');
    expect(run.code, run.stderr).toBe(0);
    const jobId = Number(/job (\d+) submitted/.exec(run.stdout)?.[1]);
    expect(jobId).toBeGreaterThan(0);
    await expect.poll(async () => (await list())[0].lastRun?.result, { timeout: 30_000 }).toBe('modified');
    expect((await list())[0].lastRun).toMatchObject({ jobId, state: 'success' });
    expect((await cli('schedules', 'list')).stdout).toMatch(new RegExp(`job ${jobId} modified`));
    const jobs = JSON.parse((await cli('jobs', 'list', '--json')).stdout);
    expect(jobs.items.find((j: { id: number }) => j.id === jobId)).toMatchObject({ scheduleId: 1, creator: 'token:local-cli' });

    const disable = await cli('schedules', 'disable', '1');
    expect(disable.stdout).toMatch(/schedule 1 "nightly" disabled/);
    expect((await list())[0]).toMatchObject({ enabled: false, nextRunAt: null });
    const enable = await cli('schedules', 'enable', '1');
    expect(enable.stdout).toMatch(/schedule 1 "nightly" enabled, next run \d{4}-/);
    expect((await list())[0].enabled).toBe(true);

    const edit = await cli('schedules', 'edit', '1', '--cron', '0 30 9 * * 1-5', '--timezone', 'America/New_York');
    expect(edit.code, edit.stderr).toBe(0);
    expect(edit.stdout).toMatch(/every weekday \(Monday to Friday\) at 09:30, America\/New_York/);

    const bad = await cli('schedules', 'add', 'broken', 'simulate', '--cron', 'not a cron');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/SWY_ERR_SCHEDULE_INVALID|cron/);
    const clash = await cli('schedules', 'add', 'nightly', 'simulate', '--every-ms', '60000');
    expect(clash.code).toBe(1);

    const del = await cli('schedules', 'delete', '2');
    expect(del.stdout).toMatch(/schedule 2 deleted/);
    expect((await list()).map((s) => s.name)).toEqual(['nightly']);
    const missing = await cli('schedules', 'run', '2');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No schedule with id 2/);
  }, 180_000);

  it('subscribes to a schedule and to an envelope, listed with what they target', async () => {
    const bySchedule = await cli('schedules', 'subscribe', '1', '--console', '--on', 'failure');
    expect(bySchedule.code, bySchedule.stderr).toBe(0);
    expect(bySchedule.stdout).toMatch(/subscription \d+: schedule 1 on failure by console/);
    const hook = await cli('schedules', 'subscribe', '1', '--webhook', 'https://hooks.example.test/x');
    expect(hook.stdout).toMatch(/signing secret \(shown once\): whsec_/);
    writeFileSync(join(cwd, 'one.json'), JSON.stringify([{ workflow: 'simulate', fields: { tasks: 1, items: 1, delayMs: 0 } }]));
    const submitted = await cli('envelopes', 'submit', 'one.json', '--json');
    expect(submitted.code, submitted.stderr).toBe(0);
    const envelopeId = JSON.parse(submitted.stdout).id as number;
    const byEnvelope = await cli('envelopes', 'subscribe', String(envelopeId), '--console');
    expect(byEnvelope.code, byEnvelope.stderr).toBe(0);
    expect(byEnvelope.stdout).toMatch(new RegExp(`subscription \\d+: envelope ${envelopeId} on end by console`));
    const table = await cli('subscriptions', 'list');
    expect(table.stdout).toMatch(/schedule 1\s+console/);
    expect(table.stdout).toMatch(new RegExp(`envelope ${envelopeId}\\s+console`));
    const missing = await cli('envelopes', 'subscribe', '999', '--console');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No envelope with id 999/);
    const none = await cli('schedules', 'subscribe', '1');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/choose one of --email, --webhook, --console/);
  }, 120_000);
});
