import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

/** Tokens and users from the command line, and the recovery of a lost admin password. */
describe('switchyard CLI: credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swy-cli-cred-'));
  const running: LongRunning[] = [];
  afterAll(async () => {
    for (const process of running) process.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  const signIn = (url: string, username: string, password: string) =>
    fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

  it('refuses a weak first admin password before starting', async () => {
    const weak = await runCli(['start', '--port', '0', '--data', 'weak'], { cwd: dir, env: { SWITCHYARD_ADMIN_PASSWORD: 'password' } });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/SWITCHYARD_ADMIN_PASSWORD is too weak/);
  });

  it('makes no admin user on a start that fails for its port, so the next start shows the password it makes', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const refused = await runCli(['start', '--port', port, '--data', 'busy'], { cwd: dir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/in use/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    const hub = startCli(['start', '--port', '0', '--data', 'busy'], { cwd: dir });
    running.push(hub);
    const [, password] = await hub.waitFor(/First start: user "admin" created with password (\S+)/, 30_000);
    const url = (await hub.waitFor(/console:\s+(http:\/\/\S+)/, 30_000))[1];
    expect((await signIn(url, 'admin', password)).status).toBe(200);
    expect(hub.output()).toContain('--data "busy"');
    // A prompt whose standard input is closed says what to do instead, and a bad id says why.
    const noPassword = await runCli(['--data', 'busy', 'users', 'add', 'carl', '--role', 'viewer'], { cwd: dir });
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toMatch(/standard input ended; give it with --password or SWITCHYARD_NEW_PASSWORD/);
    const badId = await runCli(['--data', 'busy', 'schedules', 'enable', 'abc'], { cwd: dir });
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/schedule id: a positive whole number, not "abc"/);
    hub.child.kill('SIGTERM');
    await hub.exited;
  });

  it('creates, lists and revokes tokens; disables users; resets a lost admin password offline', async () => {
    const hub = startCli(['start', '--port', '0'], { cwd: dir, env: { SWITCHYARD_ADMIN_PASSWORD: 'first start pass 77' } });
    running.push(hub);
    const url = (await hub.waitFor(/console:\s+(http:\/\/\S+)/, 30_000))[1];
    expect(statSync(join(dir, '.switchyard')).mode & 0o777).toBe(0o700);

    const created = await runCli(['tokens', 'create', '--role', 'worker', '--name', 'plant-worker', '--sites', 'plant', '--expires-in-days', '30'], {
      cwd: dir,
    });
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^swy_/);

    // An empty --sites (an unset shell variable, say) is refused, not read as every site.
    for (const args of [
      ['tokens', 'create', '--role', 'viewer', '--sites', ''],
      ['users', 'add', 'nobody', '--role', 'viewer', '--password', 'night shift operator', '--sites', ' , '],
      ['jobs', 'bulk', 'cancel', '--ids', '5', '--state', 'queued'],
    ]) {
      const refused = await runCli(args, { cwd: dir });
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }

    const list = await runCli(['tokens', 'list'], { cwd: dir });
    expect(list.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+SITES\s+STATE/m);
    expect(list.stdout).toMatch(/plant-worker\s+worker\s+plant\s+active/);
    expect(list.stdout).not.toContain(secret);
    const id = (JSON.parse((await runCli(['tokens', 'list', '--json'], { cwd: dir })).stdout) as { id: number; name: string }[]).find(
      (t) => t.name === 'plant-worker',
    )?.id;

    // A worker takes its token from a file readable by its owner only.
    const tokenFile = join(dir, 'worker.token');
    writeFileSync(tokenFile, `${secret}\n`, { mode: 0o600 });
    const worker = startCli(['worker', '--hub', url, '--site', 'plant', '--token-file', tokenFile, '--name', 'plant-1'], { cwd: dir });
    running.push(worker);
    await worker.waitFor(/serving site/, 30_000);
    expect(worker.output()).not.toMatch(/warning/);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);

    const revoked = await runCli(['tokens', 'revoke', String(id)], { cwd: dir });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/revoked/);
    expect((await runCli(['tokens', 'list'], { cwd: dir })).stdout).toMatch(/plant-worker\s+worker\s+plant\s+revoked/);
    const refused = startCli(['worker', '--hub', url, '--site', 'plant', '--token-file', tokenFile], { cwd: dir });
    running.push(refused);
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/revoked/);

    const weak = await runCli(['users', 'add', 'olga', '--role', 'operator', '--password', 'olga12345678'], { cwd: dir });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/SWY_ERR_PASSWORD_WEAK/);
    expect((await runCli(['users', 'add', 'olga', '--role', 'operator', '--password', 'night shift operator'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['users', 'set', 'olga', '--email', 'olga@example.test'], { cwd: dir })).code).toBe(0);
    expect((await signIn(url, 'olga', 'night shift operator')).status).toBe(200);
    expect((await runCli(['users', 'disable', 'olga'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['users', 'list'], { cwd: dir })).stdout).toMatch(/olga\s+operator\s+all\s+yes/);
    expect((await signIn(url, 'olga', 'night shift operator')).status).toBe(401);
    expect((await runCli(['users', 'enable', 'olga'], { cwd: dir })).code).toBe(0);
    expect((await signIn(url, 'olga', 'night shift operator')).status).toBe(200);

    // The admin password is lost: stop the hub, reset it from the data directory, start again.
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    const reset = await runCli(['users', 'reset-password', 'admin', '--offline'], { cwd: dir });
    expect(reset.code, reset.stderr).toBe(0);
    const fresh = reset.stdout.trim();
    expect(fresh.length).toBeGreaterThanOrEqual(12);
    const again = startCli(['start', '--port', '0'], { cwd: dir });
    running.push(again);
    const url2 = (await again.waitFor(/console:\s+(http:\/\/\S+)/, 30_000))[1];
    expect((await signIn(url2, 'admin', 'first start pass 77')).status).toBe(401);
    expect((await signIn(url2, 'admin', fresh)).status).toBe(200);

    const nobody = await runCli(['users', 'reset-password', 'admin', '--offline', '--data', 'nowhere'], { cwd: dir });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/no Switchyard data/);
  }, 120_000);
});
