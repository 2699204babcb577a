import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/hub/index.js';
import { type ItemRecord, SYSTEM_ACTOR } from '../../src/model/index.js';
import { sendToSite } from '../../src/workflows/send-to-site.js';
import { startTwoSites, type TwoSites } from '../helpers/two-sites.js';

/**
 * send-to-site between two sites on real directories: one hub, a worker per site (handlers in
 * threads at `a`, in-process at `b`), each serving its own root.
 */
describe('send-to-site', () => {
  let dir = '';
  let a = '';
  let b = '';
  let hub: Hub;

  let sites: TwoSites | null = null;
  beforeAll(async () => {
    sites = await startTwoSites('swy-send-');
    ({ dir, a, b, hub } = sites);
  });

  afterAll(() => sites?.close());

  const send = async (fields: Record<string, string>) => {
    const job = await hub.submit({ workflow: 'send-to-site', site: 'a', fields: { sourceSite: 'a', targetSite: 'b', ...fields } });
    return hub.waitForJob(job.id, { timeoutMs: 60_000 });
  };
  const changesOf = async (jobId: number) => (await hub.engine.reads.changes(jobId, { cursor: null, limit: 100 }, SYSTEM_ACTOR)).items;
  const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
  const byOutcome = (items: ItemRecord[], outcome: string) =>
    items
      .filter((item) => item.outcome === outcome)
      .map((item) => item.path)
      .sort();

  it('copies a tree with odd names, skips symlinks, keeps mtimes, and a second run is skipped as up to date', async () => {
    const src = join(a, 'src');
    mkdirSync(join(src, 'dir with spaces', 'deeper'), { recursive: true });
    writeFileSync(join(src, 'plain.txt'), 'plain');
    writeFileSync(join(src, 'dir with spaces', 'line\nbreak.txt'), 'newline in the name');
    writeFileSync(join(src, 'dir with spaces', 'deeper', 'big.bin'), randomBytes(3 * 1024 * 1024 + 17));
    writeFileSync(Buffer.concat([Buffer.from(`${src}/`), Buffer.from([0x6c, 0xe9, 0x2e, 0x74])]), 'latin-1 name');
    writeFileSync(join(src, 'empty'), '');
    symlinkSync('/etc/passwd', join(src, 'link-out'));
    symlinkSync('plain.txt', join(src, 'link-in'));
    utimesSync(join(src, 'plain.txt'), 1_600_000_000, 1_600_000_000);

    const job = await send({ sourcePath: 'src', targetPath: 'copy' });
    expect(job.state).toBe('success');
    expect(job.outcome).toBe('changed');
    const items = await hub.items(job.id);
    expect(byOutcome(items, 'failed')).toEqual([]);
    // Planned as queued, each settled by its copy: no queued record is left.
    expect(byOutcome(items, 'queued')).toEqual([]);
    expect(byOutcome(items, 'completed')).toHaveLength(7);
    const added = await changesOf(job.id);
    expect(added.map((c) => c.change)).toEqual(Array(7).fill('added'));
    expect(added.find((c) => c.path === 'copy/plain.txt')).toMatchObject({ sizeBefore: null, sizeAfter: 5 });
    expect(
      items
        .filter((item) => item.operation === 'mkdir' && item.outcome === 'completed')
        .map((item) => item.path)
        .sort(),
    ).toEqual(['src/dir with spaces', 'src/dir with spaces/deeper']);
    expect(byOutcome(items, 'skipped')).toEqual(['src/link-in', 'src/link-out']);

    const copy = join(b, 'copy');
    for (const name of ['plain.txt', 'dir with spaces/line\nbreak.txt', 'dir with spaces/deeper/big.bin', 'empty']) {
      expect(sha(join(copy, name)), name).toBe(sha(join(src, name)));
    }
    const odd = Buffer.concat([Buffer.from(`${copy}/`), Buffer.from([0x6c, 0xe9, 0x2e, 0x74])]);
    expect(readFileSync(odd, 'utf8')).toBe('latin-1 name');
    expect(Math.floor(statSync(join(copy, 'plain.txt')).mtimeMs)).toBe(1_600_000_000_000);
    expect(existsSync(join(copy, 'link-out'))).toBe(false);
    expect(readdirSync(join(copy, 'dir with spaces')).filter((name) => name.endsWith('.swypart'))).toEqual([]);

    const again = await send({ sourcePath: 'src', targetPath: 'copy' });
    expect(again.state).toBe('skipped');
    expect(again.outcome).toBe('unchanged');
    const second = await hub.items(again.id);
    expect(byOutcome(second, 'queued')).toEqual([]);
    expect(second.filter((item) => item.error === 'up to date')).toHaveLength(7);

    // A changed file goes again, alone.
    writeFileSync(join(src, 'plain.txt'), 'plain, changed');
    const third = await send({ sourcePath: 'src', targetPath: 'copy' });
    expect(third.state).toBe('success');
    expect(byOutcome(await hub.items(third.id), 'completed')).toEqual(['src/plain.txt']);
    expect(readFileSync(join(copy, 'plain.txt'), 'utf8')).toBe('plain, changed');
    expect(await changesOf(third.id)).toMatchObject([{ path: 'copy/plain.txt', change: 'changed', sizeBefore: 5, sizeAfter: 14 }]);
    // The hub removed the job's blobs when it ended.
    await expect.poll(() => existsSync(join(dir, 'hub', 'transfers', String(third.id))), { timeout: 10_000 }).toBe(false);
  });

  it('records a file it cannot read and one whose target lies outside the site, and copies the rest', async () => {
    const src = join(a, 'errors');
    mkdirSync(src);
    writeFileSync(join(src, 'ok.txt'), 'fine');
    writeFileSync(join(src, 'secret.txt'), 'no reading');
    chmodSync(join(src, 'secret.txt'), 0o000);
    mkdirSync(join(src, 'out'));
    writeFileSync(join(src, 'out', 'escape.txt'), 'must not leave b');
    // At the target, "out" is a symlink leading outside b's root.
    const outside = mkdtempSync(join(tmpdir(), 'swy-outside-'));
    mkdirSync(join(b, 'errors-copy'), { recursive: true });
    symlinkSync(outside, join(b, 'errors-copy', 'out'));
    try {
      const job = await send({ sourcePath: 'errors', targetPath: 'errors-copy' });
      expect(job.state).toBe('error');
      const items = await hub.items(job.id);
      const root = process.getuid?.() === 0;
      expect(byOutcome(items, 'completed')).toEqual(root ? ['errors/ok.txt', 'errors/secret.txt'] : ['errors/ok.txt']);
      const failed = items.filter((item) => item.outcome === 'failed');
      const reasons = Object.fromEntries(failed.map((item) => [item.path, item.error]));
      if (!root) expect(reasons['errors/secret.txt']).toBe('permission denied');
      expect(reasons['errors/out/escape.txt']).toMatch(/outside the site/);
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      chmodSync(join(src, 'secret.txt'), 0o600);
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a retry of failed items sends those files alone', async () => {
    const src = join(a, 'retry');
    mkdirSync(src);
    writeFileSync(join(src, 'ok.txt'), 'fine');
    writeFileSync(join(src, 'blocked.txt'), 'blocked at first');
    // A directory in the way at the target fails the file's write.
    mkdirSync(join(b, 'retry-copy', 'blocked.txt'), { recursive: true });
    const job = await send({ sourcePath: 'retry', targetPath: 'retry-copy' });
    expect(job.state).toBe('error');
    expect(byOutcome(await hub.items(job.id), 'failed')).toEqual(['retry/blocked.txt']);

    rmSync(join(b, 'retry-copy', 'blocked.txt'), { recursive: true });
    // Changed since: a retry of the failed items leaves it alone.
    writeFileSync(join(src, 'ok.txt'), 'changed since, not sent by the retry');
    await hub.engine.retry(job.id, SYSTEM_ACTOR, { items: 'failed' });
    const retried = await hub.waitForJob(job.id, { timeoutMs: 60_000, until: (j) => j.state === 'success' });
    expect(retried.state).toBe('success');
    expect(readFileSync(join(b, 'retry-copy', 'blocked.txt'), 'utf8')).toBe('blocked at first');
    expect(readFileSync(join(b, 'retry-copy', 'ok.txt'), 'utf8')).toBe('fine');
    const last = new Map((await hub.items(job.id)).map((item) => [item.path, item]));
    expect(last.get('retry/blocked.txt')?.outcome).toBe('completed');
  });

  it('refuses paths that leave the site at submission', async () => {
    await expect(
      hub.submit({ workflow: 'send-to-site', site: 'a', fields: { sourceSite: 'a', sourcePath: '../x', targetSite: 'b', targetPath: 'y' } }),
    ).rejects.toMatchObject({
      code: 'SWY_ERR_WORKFLOW_FIELDS',
    });
    await expect(
      hub.submit({ workflow: 'send-to-site', site: 'a', fields: { sourceSite: 'a', sourcePath: 'x', targetSite: 'b', targetPath: '/etc' } }),
    ).rejects.toMatchObject({
      code: 'SWY_ERR_WORKFLOW_FIELDS',
    });
  });

  it('records a file that vanished between the plan and its copy, and goes on', async () => {
    const src = join(a, 'vanish');
    mkdirSync(src);
    writeFileSync(join(src, 'stays.txt'), 'stays');
    // The read task as the plan left it: one file listed that is gone by now.
    const items: { path: string; outcome: string; error?: string }[] = [];
    const spawned: unknown[] = [];
    const put: string[] = [];
    const ctx = {
      job: {
        id: 1,
        workflow: 'send-to-site',
        site: 'a',
        queue: 'default',
        creator: 'test',
        fields: { sourceSite: 'a', sourcePath: 'vanish', targetSite: 'b', targetPath: 'v' },
      },
      task: {
        id: 1,
        type: 'read',
        key: null,
        site: 'a',
        attempt: 1,
        maxAttempts: 1,
        input: {
          files: [
            { p: 'goes.txt', k: 'file', s: 4, m: 0 },
            { p: 'stays.txt', k: 'file', s: 5, m: 0 },
          ],
        },
      },
      site: { name: 'a', root: a },
      signal: new AbortController().signal,
      log: () => {},
      progress: () => {},
      item: (path: string, report: { outcome: string; error?: string }) => items.push({ path, ...report }),
      spawn: (tasks: unknown) => spawned.push(tasks),
      heartbeat: async () => {},
      transfer: {
        put: async (path: string) => {
          put.push(path);
          return { sha256: 'f'.repeat(64), size: 5 };
        },
        putData: async () => ({ sha256: 'f'.repeat(64), size: 0 }),
        get: async () => ({ sha256: 'f'.repeat(64), size: 0 }),
      },
    };
    await sendToSite.tasks.read(ctx as never);
    expect(items).toEqual([{ path: 'vanish/goes.txt', operation: 'copy', outcome: 'failed', error: 'vanished: no such file' }]);
    expect(put).toEqual([join(realpathSync(a), 'vanish', 'stays.txt')]);
    expect(spawned).toHaveLength(1);
  });
});
