import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

/** `switchyard jobs bulk` against a real hub process: preview, then a tracked cancel followed to its end. */
describe('switchyard jobs bulk end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swy-cli-bulk-'));
  let hub: LongRunning | null = null;
  afterAll(() => {
    hub?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('previews, cancels by filter with --wait, and prints the result summary', async () => {
    hub = startCli(['start', '--port', '0', '--no-worker'], { cwd: dir, env: { SWITCHYARD_ADMIN_PASSWORD: 'a long test password 42' } });
    await hub.waitFor(/console:\s+(http:\/\/\S+)/);
    for (let i = 0; i < 5; i++) expect((await runCli(['submit', 'simulate', '-f', 'tasks=1', '--run-at', '2090-01-01T00:00:00Z'], { cwd: dir })).code).toBe(0);
    const preview = await runCli(['jobs', 'bulk', 'cancel', '--state', 'queued', '--preview'], { cwd: dir });
    expect(preview.stdout).toContain('cancel: 5 of 5 matching jobs would be acted on (preview; nothing done)');
    const run = await runCli(['jobs', 'bulk', 'cancel', '--state', 'queued', '--wait'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/operation 1: cancel done — 5 of 5 handled: 5 done, 0 skipped, 0 failed/);
    expect(run.stderr).toMatch(/operation 1 cancel (running|done)/);
    const again = await runCli(['jobs', 'bulk', 'resume', '--ids', '1,2,99', '--wait', '--json'], { cwd: dir });
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({
      state: 'done',
      skipped: 3,
      reasons: { 'not found': { count: 1, jobIds: [99] }, 'cancelled: cannot resume': { count: 2 } },
    });
    const everything = await runCli(['jobs', 'bulk', 'pause'], { cwd: dir });
    expect(everything.code).toBe(2);
    expect(everything.stderr).toContain('add --all to mean it');
    const bad = await runCli(['jobs', 'bulk', 'explode', '--state', 'queued'], { cwd: dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/explode/);
    const show = await runCli(['jobs', 'operation', '1'], { cwd: dir });
    expect(show.stdout).toContain('operation 1: cancel done');
  }, 90_000);
});
