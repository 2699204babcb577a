import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;

/** Workers and queue settings from the CLI, against a real hub and a real remote worker. */
describe('switchyard CLI: workers and queue settings', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-ops-'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'swy-cli-ops-worker-'));
  const running: LongRunning[] = [];

  afterAll(() => {
    for (const process of running) process.child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('lists workers with their version and running tasks, and changes a queue', async () => {
    const hub = startCli(['start', '--port', '0'], { cwd, env: { SWITCHYARD_ADMIN_PASSWORD: 'pw-ops-1234567' } });
    running.push(hub);
    const url = (await hub.waitFor(/console:\s+(http:\/\/\S+)/))[1];
    const token = (await runCli(['tokens', 'create', '--role', 'worker', '--sites', 'branch', '--name', 'branch-worker'], { cwd })).stdout.trim();
    const worker = startCli(['worker', '--hub', url, '--site', 'branch', '--token', token, '--name', 'branch-1'], { cwd: elsewhere });
    running.push(worker);
    await worker.waitFor(/serving site "branch"/);

    const listed = await runCli(['workers', 'list', '--json'], { cwd });
    expect(listed.code, listed.stderr).toBe(0);
    const workers = JSON.parse(listed.stdout) as { name: string; site: string; online: boolean; version: string; runningTasks: number }[];
    expect(workers.find((w) => w.name === 'branch-1')).toMatchObject({ site: 'branch', online: true, version: VERSION, runningTasks: 0 });
    const table = await runCli(['workers', 'list'], { cwd });
    expect(table.stdout).toMatch(/RUNNING TASKS/);
    expect(table.stdout).toMatch(/branch-1/);

    const set = await runCli(['queues', 'set', 'default', '--concurrency', '2', '--pause-on-failure', 'on'], { cwd });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/queue default: concurrency 2, pause on failure on/);
    const queues = JSON.parse((await runCli(['queues', 'list', '--json'], { cwd })).stdout) as { name: string; concurrency: number; pauseOnFailure: boolean }[];
    expect(queues.find((q) => q.name === 'default')).toMatchObject({ concurrency: 2, pauseOnFailure: true });
    expect((await runCli(['queues', 'set', 'default', '--concurrency', 'unlimited'], { cwd })).stdout).toMatch(/concurrency unlimited/);

    const bad = await runCli(['queues', 'set', 'default', '--concurrency', 'zero'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--concurrency takes a whole number/);
    const nothing = await runCli(['queues', 'set', 'default'], { cwd });
    expect(nothing.code).toBe(2);
  }, 90_000);
});
