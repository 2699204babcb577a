import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../../src/hub/index.js';
import { SYSTEM_ACTOR } from '../../src/model/index.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/transfer-worker.ts', import.meta.url));
const SIZE = 200 * 1024 * 1024;

/**
 * The target site's worker runs as its own process and is killed (SIGKILL) while it writes a
 * 200 MB file. Restarted, it finishes the copy: the file arrives whole (same sha256), once,
 * with no partial file left behind.
 */
describe('a target worker killed mid-transfer', () => {
  let dir = '';
  let a = '';
  let b = '';
  let hub: Hub;
  let url = '';
  let token = '';
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swy-transfer-kill-'));
    a = join(dir, 'a');
    b = join(dir, 'b');
    mkdirSync(join(a, 'big'), { recursive: true });
    mkdirSync(b);
    // Random data, written for real (no sparse file): 200 MB in 4 MB pieces.
    const file = join(a, 'big', 'large.bin');
    writeFileSync(file, '');
    const { appendFileSync } = await import('node:fs');
    for (let at = 0; at < SIZE; at += 4 * 1024 * 1024) appendFileSync(file, randomBytes(Math.min(4 * 1024 * 1024, SIZE - at)));
    writeFileSync(join(a, 'big', 'small.txt'), 'small');
    hub = await createHub({ dataDir: join(dir, 'hub'), console: false, defaultSite: 'a', leaseMs: 3_000 });
    url = await hub.listen({ port: 0, host: '127.0.0.1' });
    await hub.startWorker({ site: 'a', root: a, pollWaitMs: 100 });
    token = (await hub.engine.auth.createToken(SYSTEM_ACTOR, { name: 'worker-b', role: 'worker', sites: ['b'] })).token;
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await hub?.close({ graceMs: 1000 });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const startWorkerB = (env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: { ...process.env, HUB_URL: url, TOKEN: token, SITE: 'b', ROOT: b, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const serving = new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes('serving site')) {
          clearInterval(timer);
          resolve();
        }
      }, 50);
      child.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`worker b exited (${code}): ${output}`));
      });
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { child, serving, exited, output: () => output };
  };
  const partials = () => readdirSync(join(b, 'copy')).filter((name) => name.endsWith('.swypart'));
  const sha = async (path: string) => {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  };

  it('finishes the copy after a restart: the file arrives whole, once', async () => {
    const first = startWorkerB({ SLOW_DOWNLOAD_MBPS: '40' });
    await first.serving;
    const job = await hub.submit({ workflow: 'send-to-site', site: 'a', fields: { sourceSite: 'a', sourcePath: 'big', targetSite: 'b', targetPath: 'copy' } });
    // Wait for the state we need: the large file partly written at b.
    await expect
      .poll(
        () => {
          try {
            const [partial] = partials();
            return partial ? statSync(join(b, 'copy', partial)).size : 0;
          } catch {
            return 0;
          }
        },
        { timeout: 120_000, interval: 50 },
      )
      .toBeGreaterThan(20 * 1024 * 1024);
    first.child.kill('SIGKILL');
    await first.exited;
    const [partial] = partials();
    const cutAt = statSync(join(b, 'copy', partial)).size;
    expect(cutAt).toBeLessThan(SIZE);
    expect(readdirSync(join(b, 'copy'))).not.toContain('large.bin');

    const second = startWorkerB();
    await second.serving;
    const done = await hub.waitForJob(job.id, { timeoutMs: 180_000 });
    expect(done.state).toBe('success');
    expect(await sha(join(b, 'copy', 'large.bin'))).toBe(await sha(join(a, 'big', 'large.bin')));
    expect(partials()).toEqual([]);
    // The restarted worker asked for the rest only.
    expect(second.output()).toContain(`from ${cutAt}`);
    const items = await hub.items(job.id);
    const large = items.filter((item) => item.path === 'big/large.bin');
    expect(large.map((item) => item.outcome)).toEqual(['completed']);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 300_000);
});
