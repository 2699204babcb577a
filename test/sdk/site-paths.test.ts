import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSitePath, resolveInSite, SitePathError } from '../../src/sdk/site-paths.js';

describe('resolveInSite', () => {
  let base: string;
  let root: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'swy-site-'));
    root = join(base, 'root');
    await mkdir(join(root, 'docs', 'sub'), { recursive: true });
    await writeFile(join(root, 'docs', 'a file.txt'), 'a');
    await writeFile(join(base, 'secret.txt'), 'outside');
    await symlink(join(base, 'secret.txt'), join(root, 'docs', 'out-link'));
    await symlink(base, join(root, 'out-dir'));
    await symlink(join(root, 'docs'), join(root, 'in-link'));
    await symlink(join(base, 'nowhere'), join(root, 'dangling'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('resolves relative paths inside the root, existing or not', async () => {
    expect(await resolveInSite(root, 'docs/a file.txt')).toBe(join(root, 'docs', 'a file.txt'));
    expect(await resolveInSite(root, 'docs/new/deeper.txt')).toBe(join(root, 'docs', 'new', 'deeper.txt'));
    expect(await resolveInSite(root, '')).toBe(root);
    expect(await resolveInSite(root, './docs/')).toBe(join(root, 'docs'));
    expect(await resolveInSite(root, 'in-link/a file.txt')).toBe(join(root, 'in-link', 'a file.txt'));
  });

  it.each([
    ['an absolute path', '/etc/passwd', /absolute/],
    ['a parent segment', '../secret.txt', /\.\./],
    ['a parent segment in the middle', 'docs/../../secret.txt', /\.\./],
    ['a parent segment that stays inside', 'docs/../docs/a file.txt', /\.\./],
    ['a NUL byte', 'docs/a\0b', /NUL/],
    ['a symlink to a file outside', 'docs/out-link', /outside/],
    ['a symlinked directory outside', 'out-dir/secret.txt', /outside/],
    ['a path under a symlinked directory outside that does not exist', 'out-dir/new/file', /outside/],
    ['a dangling symlink', 'dangling', /points nowhere/],
  ])('refuses %s', async (_name, path, message) => {
    const refused = await resolveInSite(root, path).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SitePathError);
    expect((refused as Error).message).toMatch(message);
  });

  it('refuses every path when the worker has no root', async () => {
    await expect(resolveInSite(null, 'docs')).rejects.toThrow(/--root/);
  });

  it('normalises without touching the file system', () => {
    expect(checkSitePath('a//b/./c/')).toBe(join('a', 'b', 'c'));
    expect(checkSitePath('.')).toBe('');
  });
});
