import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInSite } from '../../src/sdk/site-paths.js';
import { entryBytes, joinSitePath, walkSite } from '../../src/sdk/walk-site.js';

const asRoot = process.getuid?.() === 0;

describe('walkSite', () => {
  let root: string;
  const odd = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from('.txt')]);
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'swy-walk-'));
    await mkdir(join(root, 'dir with space', 'inner'), { recursive: true });
    await writeFile(join(root, 'dir with space', 'inner', 'new\nline.txt'), 'nl');
    await writeFile(join(root, 'a.txt'), 'hello');
    await writeFile(Buffer.concat([Buffer.from(`${root}/`), odd]), 'latin-1');
    await symlink('/etc', join(root, 'link'));
    await mkdir(join(root, '.switchyard'));
    await writeFile(join(root, '.switchyard', 'state'), 'x');
    await mkdir(join(root, 'locked'));
    await writeFile(join(root, 'locked', 'hidden'), 'x');
    await chmod(join(root, 'locked'), 0o000);
  });
  afterAll(async () => {
    await chmod(join(root, 'locked'), 0o755);
    await rm(root, { recursive: true, force: true });
  });

  it('yields every entry in name order, odd names included, without following symlinks or entering .switchyard', async () => {
    const entries = [];
    for await (const entry of walkSite(root)) entries.push(entry);
    const seen = entries.map((e) => [e.path, e.kind, e.size]);
    expect(seen).toEqual([
      ['a.txt', 'file', 5],
      ['caf\\xE9.txt', 'file', 7],
      ['dir with space', 'directory', 0],
      ['dir with space/inner', 'directory', 0],
      ['dir with space/inner/new\nline.txt', 'file', 2],
      ['link', 'symlink', 0],
      ['locked', 'directory', 0],
      ...(asRoot ? [['locked/hidden', 'file', 1]] : []),
    ]);
    const latin = entries.find((e) => e.path === 'caf\\xE9.txt');
    expect(latin?.raw).toBe(odd.toString('base64'));
    expect(entryBytes(latin as never).equals(odd)).toBe(true);
    const file = await resolveInSite(root, joinSitePath('', latin as never) as Buffer);
    expect(await readFile(file, 'utf8')).toBe('latin-1');
    if (!asRoot) expect(entries.find((e) => e.path === 'locked')?.error).toMatch(/cannot list this directory: permission denied/);
  });

  it("leaves out only the site's own .switchyard when given the root", async () => {
    await mkdir(join(root, 'dir with space', '.switchyard'), { recursive: true });
    const walk = async (dir: string, options = {}) => {
      const paths = [];
      for await (const entry of walkSite(dir, options)) paths.push(entry.path);
      return paths;
    };
    expect(await walk(join(root, 'dir with space'), { root })).toContain('.switchyard');
    expect(await walk(root, { root })).not.toContain('.switchyard');
    expect(await walk(join(root, 'dir with space'))).not.toContain('.switchyard');
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(async () => {
      for await (const _ of walkSite(root, { signal: controller.signal })) void _;
    }).rejects.toThrow('stop');
  });
});
