import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

/** Sites bound to directories through the real CLI: start --site-root / --config, the demo sites, submit snapshot. */
describe('switchyard CLI with site roots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swy-cli-sites-'));
  let hub: LongRunning | null = null;
  const env = { SWITCHYARD_ADMIN_PASSWORD: 'sites-pass-4821x' };

  afterEach(async () => {
    hub?.child.kill('SIGTERM');
    await hub?.exited;
    hub = null;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function start(cwd: string, args: string[]): Promise<LongRunning> {
    const running = startCli(['start', '--port', '0', ...args], { cwd, env });
    await running.waitFor(/console:\s+(http:\/\/\S+)/, 60_000);
    return running;
  }

  it('start --site-root a=DIR serves site a from DIR; snapshot ends modified, then skipped, then reports the one change', async () => {
    const cwd = join(dir, 'roots');
    const files = join(dir, 'files a');
    mkdirSync(join(files, 'sub dir'), { recursive: true });
    writeFileSync(join(files, 'one.txt'), 'one\n');
    writeFileSync(join(files, 'sub dir', 'two\nlines.txt'), 'two\n');
    writeFileSync(Buffer.from(`${files}/latin-\xe9.txt`, 'latin1'), 'odd name\n');
    mkdirSync(cwd);
    hub = await start(cwd, ['--site-root', `a=${files}`]);
    expect(hub.output()).toMatch(/site:\s+a → .*files a/);
    // Not the demo: no sample files were made.
    expect(existsSync(join(cwd, '.switchyard', 'sites'))).toBe(false);

    const first = await runCli(['submit', 'snapshot', '-f', 'site=a', '-f', 'path=.', '--wait'], { cwd, timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/job 1 success \(modified\).*1 tasks, 4 items \(0 failed\)/);
    expect(readdirSync(join(files, '.switchyard', 'snapshots', 'objects'))).toHaveLength(3);

    const second = await runCli(['submit', 'snapshot', '-f', 'site=a', '-f', 'path=.', '--wait'], { cwd, timeoutMs: 60_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/job 2 skipped/);

    writeFileSync(join(files, 'one.txt'), 'one, edited\n');
    const third = await runCli(['submit', 'snapshot', '-f', 'site=a', '-f', 'path=.', '--wait', '--json'], { cwd, timeoutMs: 60_000 });
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ state: 'success', outcome: 'changed' });
    const tasks = await runCli(['jobs', 'show', '3', '--json'], { cwd });
    expect(tasks.code, tasks.stderr).toBe(0);
    const [task] = JSON.parse(tasks.stdout).tasks;
    expect(task.result.changes).toEqual([{ path: 'one.txt', change: 'changed', sizeBefore: 4, sizeAfter: 12 }]);

    const escaping = await runCli(['submit', 'verify', '-f', 'site=a', '-f', 'path=../roots', '--wait'], { cwd, timeoutMs: 60_000 });
    expect(escaping.code).toBe(1);
    expect(escaping.stdout).toMatch(/job 4 failure/);
    expect(escaping.stdout).toMatch(/\.\./);
  }, 120_000);

  it('refuses a root that does not exist and a malformed NAME=DIR, naming them', async () => {
    const missing = await runCli(['start', '--port', '0', '--site-root', `b=${join(dir, 'nowhere')}`], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/site "b": the root .*nowhere does not exist/);
    const malformed = await runCli(['start', '--port', '0', '--site-root', 'just-a-dir'], { cwd: dir, env });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/Expected NAME=DIR/);
    const badConfig = await runCli(['start', '--port', '0', '--config', join(dir, 'no-config.json')], { cwd: dir, env });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/config file .*no-config\.json: no such file/);
    const worker = await runCli(['worker', '--hub', 'http://127.0.0.1:9', '--token', 'x', '--site', 's', '--root', join(dir, 'nowhere')], { cwd: dir });
    expect(worker.code).toBe(2);
    expect(worker.stderr).toMatch(/--root .*nowhere is not an existing directory/);
  }, 60_000);

  it('a config file binds sites to directories relative to it', async () => {
    const cwd = join(dir, 'config');
    mkdirSync(join(cwd, 'data', 'c'), { recursive: true });
    writeFileSync(join(cwd, 'data', 'c', 'file.txt'), 'c\n');
    writeFileSync(join(cwd, 'sites.json'), JSON.stringify({ sites: { c: 'data/c' } }));
    hub = await start(cwd, ['--config', 'sites.json']);
    expect(hub.output()).toMatch(/site:\s+c → .*data\/c/);
    const verify = await runCli(['submit', 'verify', '-f', 'site=c', '--wait'], { cwd, timeoutMs: 60_000 });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/success \(modified\).*1 items/);
  }, 120_000);

  it('with no sites configured, the first start makes the demo sites once', async () => {
    const cwd = join(dir, 'demo');
    mkdirSync(cwd);
    hub = await start(cwd, []);
    expect(hub.output()).toMatch(/site:\s+local → .*sites\/local \(demo\)/);
    expect(hub.output()).toMatch(/site:\s+backup → .*sites\/backup \(demo\)/);
    const samples = join(cwd, '.switchyard', 'sites', 'local', 'samples');
    const count = readdirSync(samples, { recursive: true }).length;
    expect(count).toBeGreaterThan(200);
    expect(readdirSync(join(cwd, '.switchyard', 'sites', 'backup'))).toEqual([]);

    const deleted = await runCli(['submit', 'delete', '-f', 'site=local', '-f', 'path=samples/logs', '--wait'], { cwd, timeoutMs: 60_000 });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(/success \(modified\).*51 items \(0 failed\)/);
    hub.child.kill('SIGTERM');
    await hub.exited;

    hub = await start(cwd, []);
    expect(existsSync(join(samples, 'logs'))).toBe(false);
    expect(readdirSync(samples, { recursive: true }).length).toBe(count - 51);
  }, 120_000);
  it('a remote worker started with --root serves its site from that directory', async () => {
    const cwd = join(dir, 'remote');
    const files = join(dir, 'remote files');
    mkdirSync(cwd);
    mkdirSync(join(files, 'in'), { recursive: true });
    writeFileSync(join(files, 'in', 'x.txt'), 'x\n');
    const started = startCli(['start', '--port', '0', '--site-root', `here=${join(dir, 'remote')}`], { cwd, env });
    const url = (await started.waitFor(/console:\s+(http:\/\/\S+)/, 60_000))[1];
    hub = started;
    const token = (await runCli(['tokens', 'create', '--role', 'worker', '--sites', 'far', '--name', 'far-worker'], { cwd })).stdout.trim();
    expect(token).toMatch(/^swy_/);
    const worker = startCli(['worker', '--hub', url, '--site', 'far', '--root', files, '--isolation', 'in-process'], {
      cwd: dir,
      env: { SWITCHYARD_TOKEN: token },
    });
    try {
      await worker.waitFor(/serving site "far" \(root .*remote files\)/);
      const run = await runCli(['submit', 'delete', '-f', 'site=far', '-f', 'path=in', '--wait'], { cwd, timeoutMs: 60_000 });
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toMatch(/success \(modified\).*2 items \(0 failed\)/);
      expect(existsSync(join(files, 'in'))).toBe(false);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }, 120_000);
});
