import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli-process.js';

/**
 * Bad flags are refused by the real CLI process before anything starts: one line on stderr naming
 * the flag and what it accepts, exit code 2. A hub or worker that started instead would not exit,
 * and the short timeout would fail the test.
 */
describe('switchyard CLI flag validation', () => {
  let dir: string;
  // SWITCHYARD_URL/SWITCHYARD_TOKEN from the developer's shell must not change what is tested.
  const env = { SWITCHYARD_URL: '', SWITCHYARD_TOKEN: '' };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'swy-cli-flags-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['worker', '--site', 's', '--concurrency', 'abc'], '--concurrency', /whole number from 1 to 1000/],
    [['worker', '--site', 's', '--concurrency', '0'], '--concurrency', /whole number from 1 to 1000/],
    [['start', '--db', 'mysql://x'], '--db', /postgres:\/\//],
    [['worker', '--site', 's', '--hub', 'not a url'], '--hub', /http:\/\/ or https:\/\//],
    [['start', '--port', '70000'], '--port', /0 to 65535/],
    [['start', '--lease-ms', '999'], '--lease-ms', /1000 to 3600000/],
    [['submit', 'simulate', '--priority', 'high'], '--priority', /-1000 to 1000/],
    [['submit', 'simulate', '--run-at', '1999-12-31'], '--run-at', /ISO 8601 date.*2000 to 9999/],
    [['jobs', 'list', '--limit', '0'], '--limit', /1 to 500/],
    [['jobs', 'list', '--hub', 'ftp://hub'], '--hub', /http:\/\/ or https:\/\//],
    [['no-such-command'], 'no-such-command', /unknown command/],
    [['jobs', 'list', '--no-such-flag'], '--no-such-flag', /unknown option/],
  ])('refuses %j with exit 2', async (args, flag, accepted) => {
    const run = await runCli(args, { cwd: dir, env, timeoutMs: 10_000 });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(flag);
    expect(run.stderr).toMatch(accepted);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('masks a password in a refused database URL', async () => {
    const run = await runCli(['start', '--db', 'mysql://admin:hunter2@db/x'], { cwd: dir, env, timeoutMs: 10_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain('hunter2');
  });

  it('refuses a token file that group or others can read, suggesting chmod 600', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'secret-token\n');
    chmodSync(file, 0o644);
    const run = await runCli(['worker', '--site', 's', '--hub', 'http://127.0.0.1:9', '--token-file', file], { cwd: dir, env, timeoutMs: 10_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--token-file');
    expect(run.stderr).toContain('chmod 600');
  });

  it('takes --token with a warning that it shows in the process list', async () => {
    const worker = startCli(['worker', '--site', 's', '--hub', 'http://127.0.0.1:9', '--token', 'visible'], { cwd: dir, env });
    try {
      await worker.waitFor(/warning: --token .*process/, 10_000);
    } finally {
      worker.child.kill('SIGKILL');
    }
  });
});
