import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

/** `switchyard jobs pause ID --now` against a real hub process. */
describe('switchyard jobs pause --now', () => {
  it('stops the running tasks of a job and leaves it paused', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    let hub: LongRunning | null = null;
    try {
      hub = startCli(['start', '--port', '0'], { cwd, env: { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' } });
      await hub.waitFor(/console:\s+http/);
      await runCli(['submit', 'simulate', '-f', 'tasks=2', '-f', 'items=10000', '-f', 'delayMs=50'], { cwd });
      const show = async () => JSON.parse((await runCli(['jobs', 'show', '1', '--json'], { cwd })).stdout);
      await expect.poll(async () => (await show()).taskCounts.running, { timeout: 15_000 }).toBe(2);
      const pause = await runCli(['jobs', 'pause', '1', '--now'], { cwd });
      expect(pause.code, pause.stderr).toBe(0);
      expect(pause.stdout).toMatch(/job 1 pausing/);
      await expect.poll(async () => (await show()).state, { timeout: 15_000 }).toBe('paused');
      expect((await show()).tasks.map((t: { state: string; attempts: number }) => [t.state, t.attempts])).toEqual([
        ['paused', 0],
        ['paused', 0],
      ]);
      const help = await runCli(['jobs', 'pause', '--help'], { cwd });
      expect(help.stdout).toMatch(/--now\s+stop running tasks at once/);
    } finally {
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});
