import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

const WORKFLOWS = `import { defineWorkflow, z } from 'switchyard';
export const notes = defineWorkflow({
  name: 'notes',
  fields: z.object({ extra: z.string().default('') }),
  plan: () => [{ type: 'sync' }],
  tasks: {
    sync: (ctx) => {
      const retry = ctx.task.retryPaths;
      if (retry === null) {
        ctx.change('notes/a.txt', { change: 'changed', sizeBefore: 4, sizeAfter: 6, textBefore: 'one\\n', textAfter: 'one\\n2\\n' });
        ctx.change('notes/b.txt', { change: 'added', sizeAfter: 3 });
        ctx.change('old.txt', { change: 'removed', sizeBefore: 9 });
      }
      const paths = retry ?? ['notes/a.txt', 'notes/b.txt', 'notes/c.txt', ...(ctx.job.fields.extra ? [ctx.job.fields.extra] : [])];
      for (const path of paths) {
        const fails = retry === null && path === 'notes/c.txt' && !ctx.job.fields.extra;
        ctx.item(path, fails ? { operation: 'copy', outcome: 'failed', error: 'permission denied' } : { operation: 'copy', outcome: 'completed', bytes: 3 });
      }
      return { changed: true, result: { acted: paths } };
    },
  },
});
`;

/** `switchyard jobs changes` (and --compare) and `switchyard jobs retry --failed-items` against a real hub process. */
describe('switchyard CLI: change sets and failed-item retry', () => {
  it('lists a job’s changes, compares it with the previous run, and retries only its failed items', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-changes-'));
    let hub: LongRunning | null = null;
    try {
      writeFileSync(join(cwd, 'notes.mjs'), WORKFLOWS);
      hub = startCli(['start', '--port', '0', '--workflows', 'notes.mjs'], { cwd, env: { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-changes' } });
      await hub.waitFor(/console:\s+http/);
      const show = async (id: number) => JSON.parse((await runCli(['jobs', 'show', String(id), '--json'], { cwd })).stdout);

      expect((await runCli(['submit', 'notes'], { cwd })).code).toBe(0);
      await expect.poll(async () => (await show(1)).state, { timeout: 20_000 }).toBe('error');

      const changes = await runCli(['jobs', 'changes', '1'], { cwd });
      expect(changes.code, changes.stderr).toBe(0);
      expect(changes.stdout).toContain('job 1: 1 added, 1 changed, 1 removed');
      expect(changes.stdout).toMatch(/CHANGE\s+PATH\s+BEFORE\s+AFTER\s+TEXT/);
      expect(changes.stdout).toMatch(/changed\s+notes\/a\.txt\s+4\s+6\s+yes/);
      const added = JSON.parse((await runCli(['jobs', 'changes', '1', '--kind', 'added', '--json'], { cwd })).stdout);
      expect(added.items.map((c: { path: string }) => c.path)).toEqual(['notes/b.txt']);
      expect(added.counts).toEqual({ added: 1, changed: 1, removed: 1 });
      const filtered = JSON.parse((await runCli(['jobs', 'changes', '1', '--path', 'OLD', '--json'], { cwd })).stdout);
      expect(filtered.items.map((c: { path: string }) => c.path)).toEqual(['old.txt']);
      const wrongKind = await runCli(['jobs', 'changes', '1', '--kind', 'modified'], { cwd });
      expect(wrongKind.code).not.toBe(0);

      const retry = await runCli(['jobs', 'retry', '1', '--failed-items'], { cwd });
      expect(retry.code, retry.stderr).toBe(0);
      await expect.poll(async () => (await show(1)).state, { timeout: 20_000 }).toBe('success');
      expect((await show(1)).tasks[0].result).toEqual({ acted: ['notes/c.txt'] });
      const again = await runCli(['jobs', 'retry', '1', '--failed-items'], { cwd });
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/Job 1 is success: it cannot be retried/);

      expect((await runCli(['submit', 'notes', '-f', 'extra=notes/d.txt'], { cwd })).code).toBe(0);
      await expect.poll(async () => (await show(2)).state, { timeout: 20_000 }).toBe('success');
      const compare = await runCli(['jobs', 'changes', '2', '--compare'], { cwd });
      expect(compare.code, compare.stderr).toBe(0);
      expect(compare.stdout).toContain('job 2 against job 1: 1 added, 0 removed, 0 changed, 3 unchanged');
      expect(compare.stdout).toMatch(/added\s+notes\/d\.txt\s+completed 3 B/);

      const help = await runCli(['jobs', 'retry', '--help'], { cwd });
      expect(help.stdout).toMatch(/--failed-items\s+re-run only the tasks that recorded failed items/);
    } finally {
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 120_000);
});
