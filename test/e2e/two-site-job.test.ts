import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

// A transfer from the job's site to `to`: a plan task at each end, and a scan that fans out
// copies at the destination and a verify back at its own site once every copy is done.
const WORKFLOWS = `import { defineWorkflow, z } from 'switchyard';
const ran = (ctx) => ({ site: ctx.task.site, process: process.env.WORKER_SITE });
export const transfer = defineWorkflow({
  name: 'transfer',
  fields: z.object({ to: z.string(), files: z.number().int().min(1).max(50).default(4) }),
  plan: (fields) => [
    { type: 'scan', key: 'scan' },
    { type: 'prepare', key: 'prepare', site: fields.to },
  ],
  tasks: {
    scan(ctx) {
      const keys = Array.from({ length: ctx.job.fields.files }, (_, i) => 'copy-' + i);
      ctx.spawn(keys.map((key, i) => ({ type: 'copy', key, input: { file: i }, after: ['prepare'], site: ctx.job.fields.to })));
      ctx.spawn({ type: 'verify', key: 'verify', after: keys });
      return { changed: false, result: ran(ctx) };
    },
    prepare: (ctx) => ({ changed: true, result: ran(ctx) }),
    copy(ctx) {
      ctx.item('files/' + ctx.task.input.file, { operation: 'copy', outcome: 'completed', bytes: 10 });
      return { changed: true, result: ran(ctx) };
    },
    verify: (ctx) => ({ changed: false, result: ran(ctx) }),
  },
});
`;

/**
 * A job that spans two sites, run by two remote worker processes — \`switchyard worker --site a\`
 * and \`--site b\`, each with a token for its own site only — against one hub with no worker of
 * its own. Every task must run in the process of its site, and the job must end as one.
 */
describe('a two-site job run by two remote workers', () => {
  const processes: LongRunning[] = [];
  let dir = '';
  let hub = '';
  let token = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swy-sites-'));
    writeFileSync(join(dir, 'transfer.mjs'), WORKFLOWS);
    const started = startCli(['start', '--port', '0', '--no-worker', '--data', join(dir, 'hub'), '--workflows', 'transfer.mjs'], {
      cwd: dir,
      env: { SWITCHYARD_ADMIN_PASSWORD: 'two-sites-pass-1' },
    });
    processes.push(started);
    hub = (await started.waitFor(/console:\s+(http:\/\/\S+)/, 30_000))[1];
    token = JSON.parse(readFileSync(join(dir, 'hub', 'cli.json'), 'utf8')).token;
    for (const site of ['a', 'b']) {
      const created = await runCli(['--data', join(dir, 'hub'), 'tokens', 'create', '--role', 'worker', '--sites', site], { cwd: dir });
      expect(created.code, created.stderr).toBe(0);
      const worker = startCli(
        ['worker', '--hub', hub, '--site', site, '--token', created.stdout.trim(), '--name', `worker-${site}`, '--workflows', 'transfer.mjs'],
        { cwd: dir, env: { WORKER_SITE: site } },
      );
      processes.push(worker);
      await worker.waitFor(/serving site/);
    }
  }, 90_000);

  afterAll(async () => {
    for (const child of processes) child.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await fetch(`${hub}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    return { status: response.status, body: await response.json() };
  };

  it('runs each task at its own site only, and the job across both', async () => {
    const submitted = await api('/jobs', { method: 'POST', body: { workflow: 'transfer', site: 'a', fields: { to: 'b', files: 6 } } });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body).toMatchObject({ site: 'a', sites: ['a', 'b'] });
    const id = submitted.body.id as number;

    await expect.poll(async () => (await api(`/jobs/${id}`)).body.state, { timeout: 60_000, interval: 250 }).toBe('success');
    const job = (await api(`/jobs/${id}`)).body;
    expect(job).toMatchObject({ sites: ['a', 'b'], itemCounts: { completed: 6 }, taskCounts: { success: 9 } });

    const workers = new Map(((await api('/workers')).body.items as { id: string; site: string }[]).map((w) => [w.id, w.site]));
    const tasks = (await api(`/jobs/${id}/tasks?limit=100`)).body.items as {
      type: string;
      site: string;
      workerId: string;
      result: { site: string; process: string };
    }[];
    expect(tasks).toHaveLength(9);
    const bySite = (site: string) => tasks.filter((t) => t.site === site).map((t) => t.type);
    expect(bySite('a').sort()).toEqual(['scan', 'verify']);
    expect(bySite('b').sort()).toEqual(['copy', 'copy', 'copy', 'copy', 'copy', 'copy', 'prepare']);
    for (const task of tasks) {
      // Leased by a worker of the task's site, and run in that worker's process.
      expect(workers.get(task.workerId), `${task.type} leased by ${task.workerId}`).toBe(task.site);
      expect(task.result, task.type).toEqual({ site: task.site, process: task.site });
    }
  }, 90_000);

  it('lets the job page group the executions by site and worker', async () => {
    const submitted = await api('/jobs', { method: 'POST', body: { workflow: 'transfer', site: 'b', fields: { to: 'a', files: 2 } } });
    const id = submitted.body.id as number;
    await expect.poll(async () => (await api(`/jobs/${id}`)).body.state, { timeout: 60_000, interval: 250 }).toBe('success');
    const tasks = (await api(`/jobs/${id}/tasks?limit=100`)).body.items as { site: string; workerId: string }[];
    const groups = new Set(tasks.map((t) => `${t.site}/${t.workerId}`));
    expect(groups.size).toBe(2);
    expect((await api(`/jobs/${id}`)).body.sites).toEqual(['b', 'a']);
  }, 90_000);
});
