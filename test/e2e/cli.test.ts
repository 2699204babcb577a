import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

/** The real CLI as separate processes, the way a user runs it from two shells. */
describe('switchyard CLI end to end', () => {
  let dir: string;
  let hub: LongRunning | null = null;
  let url = '';

  afterEach(() => {
    hub?.child.kill('SIGKILL');
    hub = null;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function startHub(cwd: string, env: Record<string, string> = {}, args: string[] = []): Promise<LongRunning> {
    const running = startCli(['start', '--port', '0', ...args], { cwd, env });
    url = (await running.waitFor(/console:\s+(http:\/\/\S+)/))[1];
    return running;
  }

  it('starts a hub, prints the first admin password once, and runs submitted jobs with --wait', async () => {
    dir = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    hub = await startHub(dir, { SWITCHYARD_ADMIN_PASSWORD: '' });
    const password = (await hub.waitFor(/user "admin" created with password (\S+)/))[1];
    const login = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');

    const ok = await runCli(['submit', 'simulate', '-f', 'tasks=3', '-f', 'items=10', '-f', 'delayMs=1', '--wait'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/job 1 success \(modified\).*3 tasks, 30 items \(0 failed\)/);
    expect(ok.stdout).toContain(`${url}/jobs/1`);
    expect(ok.stderr).toMatch(/job 1 success 100%/);

    const errors = await runCli(['submit', 'simulate', '-f', 'items=4', '-f', 'delayMs=0', '-f', 'failPercent=100', '--wait'], { cwd: dir });
    expect(errors.code).toBe(2);
    expect(errors.stdout).toMatch(/job 2 error/);

    const bad = await runCli(['submit', 'simulate', '-f', 'tasks=zero'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/fields\.tasks/);
    const unknown = await runCli(['submit', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No workflow named "nope"/);

    const list = await runCli(['jobs', 'list'], { cwd: dir });
    expect(list.stdout).toMatch(/^ID\s+WORKFLOW\s+STATE/m);
    expect(list.stdout).toMatch(/^2\s+simulate\s+error/m);
    const show = await runCli(['jobs', 'show', '1'], { cwd: dir });
    expect(show.stdout).toMatch(/state:\s+success \(modified\)/);
    expect(show.stdout).toMatch(/process\s+success/);
    const json = JSON.parse((await runCli(['jobs', 'list', '--json', '--state', 'error'], { cwd: dir })).stdout);
    expect(json.items.map((j: { id: number }) => j.id)).toEqual([2]);

    const clash = startCli(['start', '--port', new URL(url).port, '--data', 'second'], { cwd: dir });
    expect(await clash.exited).toBe(1);
    expect(clash.output()).toMatch(/port \d+ on 127\.0\.0\.1 is in use/);

    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    hub = null;
  }, 90_000);

  it('cancels a running job from the CLI', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    try {
      hub = await startHub(cwd, { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' });
      const submitted = await runCli(['submit', 'simulate', '-f', 'tasks=1', '-f', 'items=1000', '-f', 'delayMs=50'], { cwd });
      expect(submitted.stdout).toMatch(/job 1 queued/);
      const cancel = await runCli(['jobs', 'cancel', '1'], { cwd });
      expect(cancel.stdout).toMatch(/job 1 (cancelling|cancelled)/);
      await expect.poll(async () => (await runCli(['jobs', 'show', '1', '--json'], { cwd })).stdout, { timeout: 10_000 }).toMatch(/"state": "cancelled"/);
    } finally {
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);

  it("loads the user's workflows (.mjs and .ts) from outside the project", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    try {
      writeFileSync(
        join(cwd, 'greet.mjs'),
        `import { defineWorkflow, z } from 'switchyard';
export const greet = defineWorkflow({
  name: 'greet',
  fields: z.object({ name: z.string() }),
  plan: () => [{ type: 'say' }],
  tasks: { say: (ctx) => { ctx.log('hello ' + ctx.job.fields.name); return { changed: true, result: 'hi' }; } },
});
`,
      );
      writeFileSync(
        join(cwd, 'count.ts'),
        `import { defineWorkflow, z } from 'switchyard';
const fields = z.object({ upTo: z.number().int() });
export default defineWorkflow({
  name: 'count',
  fields,
  plan: (f: z.infer<typeof fields>) => [{ type: 'count', input: f.upTo }],
  tasks: { count: (ctx) => { for (let i = 1; i <= (ctx.task.input as number); i++) ctx.item('n/' + i, { operation: 'count', outcome: 'completed' }); return { changed: false }; } },
});
`,
      );
      hub = await startHub(cwd, { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' }, ['--workflows', 'greet.mjs', 'count.ts']);
      expect(hub.output()).toMatch(/workflows: checksum-tree, simulate, send-to-site, sync, delete, verify, snapshot, greet, count/);
      const greet = await runCli(['submit', 'greet', '-f', 'name=Ada', '--wait'], { cwd });
      expect(greet.code, greet.stderr).toBe(0);
      const count = await runCli(['submit', 'count', '-f', 'upTo=7', '--wait'], { cwd });
      expect(count.code, count.stderr).toBe(0);
      expect(count.stdout).toMatch(/up to date.*7 items/);
      const bad = startCli(['start', '--port', '0', '--workflows', 'missing.mjs', '--data', 'other'], { cwd });
      expect(await bad.exited).toBe(1);
      expect(bad.output()).toMatch(/workflows file not found/);
    } finally {
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);

  it('survives kill -9 of the hub mid-job: after a restart the job finishes', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    try {
      hub = await startHub(cwd, { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' });
      // Long enough (4 tasks of 200 × 25 ms) that it is still running when the hub is killed, even on a loaded machine.
      // Watched with --wait, which rides out the restart (on the same port) rather than report a failure.
      const watching = startCli(['submit', 'simulate', '-f', 'tasks=4', '-f', 'items=200', '-f', 'delayMs=25', '--wait'], { cwd });
      await expect
        .poll(async () => JSON.parse((await runCli(['jobs', 'show', '1', '--json'], { cwd })).stdout).itemCounts.completed, { timeout: 10_000 })
        .toBeGreaterThan(0);
      const port = new URL(url).port;
      hub.child.kill('SIGKILL');
      await hub.exited;
      await watching.waitFor(/cannot reach the hub .*; asking again/, 30_000);
      hub = await startHub(cwd, { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' }, ['--port', port]);
      expect(await watching.exited, watching.output()).toBe(0);
      const done = await runCli(['submit', 'simulate', '-f', 'items=0', '--wait'], { cwd });
      expect(done.code).toBe(0);
      await expect.poll(async () => JSON.parse((await runCli(['jobs', 'show', '1', '--json'], { cwd })).stdout).state, { timeout: 60_000 }).toBe('success');
      const job = JSON.parse((await runCli(['jobs', 'show', '1', '--json'], { cwd })).stdout);
      expect(job.tasks.every((t: { state: string }) => t.state === 'success')).toBe(true);
      expect(job.tasks.some((t: { attempts: number }) => t.attempts === 2)).toBe(true);
    } finally {
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);

  it('says, while --wait waits, why the job does not run', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    let watching: LongRunning | null = null;
    try {
      hub = await startHub(cwd, { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' }, ['--no-worker']);
      watching = startCli(['submit', 'simulate', '-f', 'items=1', '--wait'], { cwd });
      await watching.waitFor(/job 1 queued 0% .*\| No worker online/, 30_000);
      const missing = await runCli(['envelopes', 'submit', 'nosuch.json'], { cwd });
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim()).toBe('error: cannot read nosuch.json: no such file');
    } finally {
      watching?.child.kill('SIGKILL');
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);

  it('keeps a remote worker waiting for a hub that is not up yet, then serves it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    let worker: LongRunning | null = null;
    try {
      hub = await startHub(cwd, { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' });
      const token = (await runCli(['tokens', 'create', '--role', 'worker', '--sites', 'late'], { cwd })).stdout.trim();
      const port = new URL(url).port;
      hub.child.kill('SIGTERM');
      await hub.exited;
      worker = startCli(['worker', '--hub', url, '--site', 'late', '--token', token, '--log-level', 'warn'], { cwd });
      await worker.waitFor(/cannot reach the hub to register; retrying/);
      hub = await startHub(cwd, { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' }, ['--port', port]);
      await worker.waitFor(/serving site "late"/, 30_000);
      const run = await runCli(['submit', 'simulate', '--site', 'late', '-f', 'items=2', '-f', 'delayMs=0', '--wait'], { cwd });
      expect(run.code, run.stdout + run.stderr).toBe(0);
    } finally {
      worker?.child.kill('SIGKILL');
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);

  it('runs a remote worker at another site over HTTP with a worker token', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-'));
    let worker: LongRunning | null = null;
    try {
      hub = await startHub(cwd, { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-cli' });
      const token = (await runCli(['tokens', 'create', '--role', 'worker', '--sites', 'branch', '--name', 'branch-worker'], { cwd })).stdout.trim();
      expect(token).toMatch(/^swy_/);
      const elsewhere = mkdtempSync(join(tmpdir(), 'swy-worker-'));
      worker = startCli(['worker', '--hub', url, '--site', 'branch', '--token', token, '--name', 'branch-1'], { cwd: elsewhere });
      await worker.waitFor(/serving site "branch"/);
      const run = await runCli(['submit', 'checksum-tree', '-f', `root=${join(process.cwd(), 'src/model')}`, '--site', 'branch', '--wait'], { cwd });
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const job = JSON.parse((await runCli(['jobs', 'show', '1', '--json'], { cwd })).stdout);
      expect(job.site).toBe('branch');
      expect(job.tasks.every((t: { workerId: string }) => t.workerId.startsWith('branch-1'))).toBe(true);
      const badToken = startCli(['worker', '--hub', url, '--site', 'branch', '--token', 'swy_not-a-token'], { cwd: elsewhere });
      expect(await badToken.exited).toBe(1);
      expect(badToken.output()).toMatch(/Unknown, revoked or expired token/);
      const wrongSite = startCli(['worker', '--hub', url, '--site', 'local', '--token', token], { cwd: elsewhere });
      expect(await wrongSite.exited).toBe(1);
      expect(wrongSite.output()).toMatch(/no access to site "local"/);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      worker = null;
      rmSync(elsewhere, { recursive: true, force: true });
    } finally {
      worker?.child.kill('SIGKILL');
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);
});
