import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/hub/index.js';
import { type ItemRecord, SYSTEM_ACTOR } from '../../src/model/index.js';
import { startTwoSites, type TwoSites } from '../helpers/two-sites.js';

/**
 * sync between two sites on real directories: one hub, a worker per site (handlers in threads
 * at `a`, in-process at `b`), each serving its own root. Modification times are set
 * explicitly, so "newer" never depends on the clock.
 */
describe('sync', () => {
  let a = '';
  let b = '';
  let hub: Hub;

  let sites: TwoSites | null = null;
  beforeAll(async () => {
    sites = await startTwoSites('swy-sync-');
    ({ a, b, hub } = sites);
  });

  afterAll(() => sites?.close());

  const sync = async (pathA: string, pathB: string) => {
    const job = await hub.submit({ workflow: 'sync', site: 'a', fields: { siteA: 'a', pathA, siteB: 'b', pathB } });
    return hub.waitForJob(job.id, { timeoutMs: 60_000 });
  };
  /** Writes `text` to `file` with its modification time at `seconds` since the epoch. */
  const put = (file: string, text: string, seconds: number) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    utimesSync(file, seconds, seconds);
  };
  const read = (file: string) => readFileSync(file, 'utf8');
  const mtime = (file: string) => Math.floor(statSync(file).mtimeMs);
  const paths = (items: ItemRecord[], outcome: string, operation?: string) =>
    items
      .filter((item) => item.outcome === outcome && (operation === undefined || item.operation === operation))
      .map((item) => item.path)
      .sort();

  it('copies files present at one side both ways, the newer wins, and a second run is skipped as up to date', async () => {
    const docs = join(a, 'docs');
    const mirror = join(b, 'mirror');
    put(join(docs, 'only-a.txt'), 'from a', 1_600_000_000);
    put(join(mirror, 'new dir', 'only-b.txt'), 'from b', 1_600_000_100);
    put(join(docs, 'same.txt'), 'same', 1_600_000_200);
    put(join(mirror, 'same.txt'), 'same', 1_600_000_200);
    put(join(docs, 'newer-at-a.txt'), 'a is newer', 1_600_000_900);
    put(join(mirror, 'newer-at-a.txt'), 'b is older', 1_600_000_300);
    put(join(docs, 'newer-at-b.txt'), 'a is older', 1_600_000_300);
    put(join(mirror, 'newer-at-b.txt'), 'b is newer', 1_600_000_900);

    const job = await sync('docs', 'mirror');
    expect(job.state).toBe('success');
    expect(job.outcome).toBe('changed');
    const items = await hub.items(job.id);
    expect(paths(items, 'failed')).toEqual([]);
    expect(paths(items, 'queued')).toEqual([]);
    expect(paths(items, 'completed', 'copy')).toEqual(['new dir/only-b.txt', 'newer-at-a.txt', 'newer-at-b.txt', 'only-a.txt']);
    expect(paths(items, 'completed', 'mkdir')).toEqual(['new dir']);
    expect(paths(items, 'skipped')).toEqual(['same.txt']);

    expect(read(join(mirror, 'only-a.txt'))).toBe('from a');
    expect(mtime(join(mirror, 'only-a.txt'))).toBe(1_600_000_000_000);
    expect(read(join(docs, 'new dir', 'only-b.txt'))).toBe('from b');
    expect(read(join(mirror, 'newer-at-a.txt'))).toBe('a is newer');
    expect(read(join(docs, 'newer-at-b.txt'))).toBe('b is newer');
    expect(mtime(join(docs, 'newer-at-b.txt'))).toBe(1_600_000_900_000);
    // The state of the pair is kept at both sites, under their own .switchyard, and never synced.
    for (const root of [a, b]) expect(readdirSync(join(root, '.switchyard', 'sync'))).toHaveLength(1);
    expect(existsSync(join(mirror, '.switchyard'))).toBe(false);

    const again = await sync('docs', 'mirror');
    expect(again.state).toBe('skipped');
    expect(again.outcome).toBe('unchanged');

    // A file changed at one side since the last sync wins even with an older modification time.
    put(join(mirror, 'same.txt'), 'changed at b, clock behind', 1_500_000_000);
    const third = await sync('docs', 'mirror');
    expect(third.state).toBe('success');
    expect(paths(await hub.items(third.id), 'completed')).toEqual(['same.txt']);
    expect(read(join(docs, 'same.txt'))).toBe('changed at b, clock behind');

    // Deletions are not propagated: a file removed at one side comes back from the other.
    rmSync(join(docs, 'only-a.txt'));
    const fourth = await sync('docs', 'mirror');
    expect(fourth.state).toBe('success');
    expect(read(join(docs, 'only-a.txt'))).toBe('from a');
    expect((await sync('docs', 'mirror')).state).toBe('skipped');
  });

  it('reports a file changed at both sides since the last sync as a conflict and leaves both alone', async () => {
    put(join(a, 'work', 'shared.txt'), 'v1', 1_600_000_000);
    put(join(a, 'work', 'other.txt'), 'other', 1_600_000_000);
    const first = await sync('work', 'work');
    expect(first.state).toBe('success');
    expect(read(join(b, 'work', 'shared.txt'))).toBe('v1');

    put(join(a, 'work', 'shared.txt'), 'changed at a', 1_600_000_500);
    put(join(b, 'work', 'shared.txt'), 'changed at b!', 1_600_000_600);
    put(join(a, 'work', 'other.txt'), 'other, changed at a', 1_600_000_700);
    const job = await sync('work', 'work');
    expect(job.state).toBe('error');
    const items = await hub.items(job.id);
    const conflict = items.find((item) => item.path === 'shared.txt' && item.outcome === 'failed');
    expect(conflict?.operation).toBe('sync');
    expect(conflict?.error).toMatch(/conflict: changed at both sites since the last sync/);
    expect(conflict?.error).toContain(`a: 12 bytes, modified ${new Date(1_600_000_500_000).toISOString()}`);
    expect(conflict?.error).toContain(`b: 13 bytes, modified ${new Date(1_600_000_600_000).toISOString()}`);
    expect(read(join(a, 'work', 'shared.txt'))).toBe('changed at a');
    expect(read(join(b, 'work', 'shared.txt'))).toBe('changed at b!');
    // The rest is synced all the same.
    expect(read(join(b, 'work', 'other.txt'))).toBe('other, changed at a');

    // The conflict stays a conflict until someone resolves it.
    const again = await sync('work', 'work');
    expect(again.state).toBe('error');
    expect(paths(await hub.items(again.id), 'failed')).toEqual(['shared.txt']);
    expect(read(join(b, 'work', 'shared.txt'))).toBe('changed at b!');

    // Resolved by making both sides alike: in sync again.
    put(join(a, 'work', 'shared.txt'), 'resolved', 1_600_001_000);
    put(join(b, 'work', 'shared.txt'), 'resolved', 1_600_001_000);
    expect((await sync('work', 'work')).state).toBe('success');
    expect((await sync('work', 'work')).state).toBe('skipped');
  });

  it('without a last sync, the same modification time with different sizes is a conflict', async () => {
    put(join(a, 'tie', 'f.txt'), 'short', 1_600_000_000);
    put(join(b, 'tie', 'f.txt'), 'longer text', 1_600_000_000);
    const job = await sync('tie', 'tie');
    expect(job.state).toBe('error');
    const items = await hub.items(job.id);
    expect(items.find((item) => item.path === 'f.txt')?.error).toMatch(/conflict: different at both sites with the same modification time/);
    expect(read(join(a, 'tie', 'f.txt'))).toBe('short');
    expect(read(join(b, 'tie', 'f.txt'))).toBe('longer text');
    // Not retried: a sync is run again instead.
    await expect(hub.engine.retry(job.id, SYSTEM_ACTOR, { items: 'failed' })).rejects.toMatchObject({ code: 'SWY_ERR_CONTROL_UNSUPPORTED' });
  });

  it('syncs names with spaces, newlines and bytes that are not UTF-8, and leaves symlinks alone', async () => {
    put(join(b, 'odd', 'dir with spaces', 'line\nbreak.txt'), 'newline', 1_600_000_000);
    const latin = Buffer.concat([Buffer.from(join(b, 'odd', '/')), Buffer.from([0x6c, 0xe9, 0x2e, 0x74])]);
    writeFileSync(latin, 'latin-1 name');
    utimesSync(latin, 1_600_000_000, 1_600_000_000);
    put(join(a, 'odd', 'plain.txt'), 'plain', 1_600_000_000);
    symlinkSync('/etc/passwd', join(a, 'odd', 'link-out'));
    const job = await sync('odd', 'odd');
    expect(job.state).toBe('success');
    const items = await hub.items(job.id);
    expect(paths(items, 'completed', 'copy')).toEqual(['dir with spaces/line\nbreak.txt', 'l\\xE9.t', 'plain.txt']);
    expect(paths(items, 'skipped')).toEqual(['link-out']);
    expect(read(join(a, 'odd', 'dir with spaces', 'line\nbreak.txt'))).toBe('newline');
    expect(readFileSync(Buffer.concat([Buffer.from(join(a, 'odd', '/')), Buffer.from([0x6c, 0xe9, 0x2e, 0x74])]), 'utf8')).toBe('latin-1 name');
    expect(existsSync(join(b, 'odd', 'link-out'))).toBe(false);
    expect((await sync('odd', 'odd')).state).toBe('skipped');
  });

  it('refuses overlapping paths at one site and paths that leave the site', async () => {
    await expect(hub.submit({ workflow: 'sync', site: 'a', fields: { siteA: 'a', pathA: 'x', siteB: 'a', pathB: 'x/y' } })).rejects.toMatchObject({
      code: 'SWY_ERR_WORKFLOW_FIELDS',
    });
    await expect(hub.submit({ workflow: 'sync', site: 'a', fields: { siteA: 'a', pathA: '../x', siteB: 'b', pathB: 'y' } })).rejects.toMatchObject({
      code: 'SWY_ERR_WORKFLOW_FIELDS',
    });
  });
});

describe('site path locks', () => {
  it('are taken under one scheme by every data workflow, so that they wait for each other', async () => {
    const { builtInWorkflows } = await import('../../src/workflows/index.js');
    const keysOf = (name: string, fields: Record<string, unknown>) =>
      (builtInWorkflows.find((w) => w.name === name)?.locks?.(fields as never) ?? []).map((lock) => (typeof lock === 'string' ? lock : lock.key));
    const target = keysOf('send-to-site', { sourceSite: 'a', sourcePath: 'src', targetSite: 'b', targetPath: 'tree' });
    expect(target).toContain('site/b/tree');
    expect(keysOf('delete', { site: 'b', path: 'tree' })).toContain('site/b/tree');
    expect(keysOf('snapshot', { site: 'b', path: 'tree' })).toContain('site/b/tree');
    expect(keysOf('sync', { siteA: 'a', pathA: 'src', siteB: 'b', pathB: 'tree' })).toEqual(['site/a/src', 'site/b/tree']);
  });
});
