import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

const ENV = { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' };

/** `switchyard envelopes …` against a real hub process, and a hub killed mid-chain. */
describe('switchyard envelopes', () => {
  it('submits a file and waits, lists, shows, rolls back; a corrupt file exits 1 saying why', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    let hub: LongRunning | null = null;
    try {
      hub = startCli(['start', '--port', '0'], { cwd, env: ENV });
      await hub.waitFor(/console:\s+http/);
      const jobs = [1, 2].map(() => ({ workflow: 'simulate', fields: { tasks: 1, items: 3, delayMs: 0 } }));
      writeFileSync(join(cwd, 'batch.json'), JSON.stringify(jobs));
      const submit = await runCli(['envelopes', 'submit', 'batch.json', '--type', 'jobs', '--wait'], { cwd });
      expect(submit.code, submit.stderr).toBe(0);
      expect(submit.stdout).toMatch(/envelope 1 success: 2\/2 jobs/);
      const list = await runCli(['envelopes', 'list'], { cwd });
      expect(list.stdout).toMatch(/batch\.json/);
      const show = JSON.parse((await runCli(['envelopes', 'show', '1', '--json'], { cwd })).stdout);
      expect(show.jobs.map((j: { state: string }) => j.state)).toEqual(['success', 'success']);
      const rollback = await runCli(['envelopes', 'rollback', '1', '--wait'], { cwd });
      expect(rollback.code, rollback.stderr).toBe(0);
      expect(rollback.stdout).toMatch(/envelope 1 rolled-back/);

      const history = await runCli(['envelopes', 'history', '1'], { cwd });
      expect(history.code, history.stderr).toBe(0);
      expect(history.stdout).toMatch(/envelope created \(jobs, 2 jobs\)/);
      expect(history.stdout).toMatch(/job \d+ \(simulate\) running → success/);
      expect(history.stdout).toMatch(/envelope rolling-back → rolled-back/);
      const later = await runCli(['envelopes', 'list', '--created-from', new Date(Date.now() + 3_600_000).toISOString()], { cwd });
      expect(later.stdout).toMatch(/no envelopes/);
      const deleted = await runCli(['envelopes', 'delete', '1'], { cwd });
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout).toMatch(/envelope 1 deleted/);
      const gone = await runCli(['envelopes', 'show', '1'], { cwd });
      expect(gone.code).not.toBe(0);
      expect(gone.stderr).toMatch(/No envelope with id 1/);

      writeFileSync(join(cwd, 'bad.json'), '[{"workflow": "nope"}]');
      const bad = await runCli(['envelopes', 'submit', 'bad.json'], { cwd });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/envelope 2 is corrupt: entry 0.*No workflow named "nope"/);
    } finally {
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);

  it('goes on with the chain (and its rollback) after the hub is killed mid-way and started again', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    let hub: LongRunning | null = null;
    try {
      hub = startCli(['start', '--port', '0'], { cwd, env: ENV });
      await hub.waitFor(/console:\s+http/);
      // The middle job runs about 5 s: long enough to be seen running by a CLI poll (well under 1 s) on a busy machine.
      const jobs = [20, 100, 20].map((items) => ({ workflow: 'simulate', fields: { tasks: 1, items, delayMs: 50 } }));
      writeFileSync(join(cwd, 'chain.json'), JSON.stringify(jobs));
      expect((await runCli(['envelopes', 'submit', 'chain.json'], { cwd })).code).toBe(0);
      const show = async () => JSON.parse((await runCli(['envelopes', 'show', '1', '--json'], { cwd })).stdout);
      await expect.poll(async () => (await show()).jobs[1].state, { timeout: 30_000 }).toBe('running');
      hub.child.kill('SIGKILL');
      await new Promise((resolve) => hub?.child.once('exit', resolve));
      hub = startCli(['start', '--port', '0'], { cwd, env: ENV });
      await hub.waitFor(/console:\s+http/);
      await expect.poll(async () => (await show()).status, { timeout: 60_000, interval: 500 }).toBe('success');
      const ended = await show();
      expect(ended.jobs.map((j: { state: string }) => j.state)).toEqual(['success', 'success', 'success']);
      expect(ended.progress).toMatchObject({ done: 3, total: 3 });

      // Killed again mid-rollback: the rollback job goes on after the restart.
      expect((await runCli(['envelopes', 'rollback', '1'], { cwd })).code).toBe(0);
      await expect.poll(async () => (await show()).rollbackJob?.taskCounts.success ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
      hub.child.kill('SIGKILL');
      await new Promise((resolve) => hub?.child.once('exit', resolve));
      hub = startCli(['start', '--port', '0'], { cwd, env: ENV });
      await hub.waitFor(/console:\s+http/);
      await expect.poll(async () => (await show()).status, { timeout: 60_000, interval: 500 }).toBe('rolled-back');
      // Compensations that had committed before the kill did not run again.
      const rollbackJob = (await show()).rollbackJob;
      const tasks = JSON.parse((await runCli(['jobs', 'show', String(rollbackJob.id), '--json'], { cwd })).stdout).tasks;
      expect(tasks).toHaveLength(3);
      expect(tasks.every((t: { state: string }) => t.state === 'success')).toBe(true);
      expect(tasks.filter((t: { attempts: number }) => t.attempts === 1).length).toBeGreaterThanOrEqual(1);
    } finally {
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 180_000);
});
