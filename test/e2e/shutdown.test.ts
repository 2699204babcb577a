import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

/** A workflow whose handler ignores its signal: it would hold a process for ten minutes. */
const STUBBORN = `import { defineWorkflow, z } from 'switchyard';
export const stubborn = defineWorkflow({
  name: 'stubborn',
  fields: z.object({}),
  plan: () => [{ type: 'hold' }],
  tasks: {
    hold: async () => {
      console.log('stubborn task started');
      await new Promise((resolve) => setTimeout(resolve, 600_000));
      return { changed: false };
    },
  },
});
`;

/** Stated in src/cli/shutdown.ts: 10 s of grace, ended within 15 s; the margin covers a loaded machine. */
const GRACE_MS = 10_000;
const DEADLINE_MS = 15_000;
const MARGIN_MS = 3_000;

/** Sends SIGTERM and measures how long the process takes to end. */
async function terminate(process: LongRunning): Promise<{ code: number | null; ms: number }> {
  const sent = Date.now();
  process.child.kill('SIGTERM');
  const code = await process.exited;
  return { code, ms: Date.now() - sent };
}

/** `switchyard start` and `switchyard worker` end by their deadline after SIGTERM, even with a handler that ignores its signal. */
describe.concurrent('SIGTERM deadline of the real processes', () => {
  it('ends `switchyard start` within 15 s', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-term-'));
    let hub: LongRunning | null = null;
    try {
      writeFileSync(join(cwd, 'stubborn.mjs'), STUBBORN);
      hub = startCli(['start', '--port', '0', '--workflows', 'stubborn.mjs'], { cwd, env: { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-term' } });
      await hub.waitFor(/console:\s+http/);
      const submitted = await runCli(['submit', 'stubborn'], { cwd });
      expect(submitted.code, submitted.stderr).toBe(0);
      await hub.waitFor(/stubborn task started/);
      const { code, ms } = await terminate(hub);
      expect(hub.output()).toMatch(/SIGTERM: finishing running tasks \(up to 10 s\).*exiting within 15 s/);
      // A handler in a thread is stopped after its grace (the thread is ended) and the hub exits
      // cleanly; only a handler that cannot be stopped (in-process) runs into the deadline.
      expect(code).toBe(/the 15 s deadline passed/.test(hub.output()) ? 1 : 0);
      expect(ms).toBeGreaterThanOrEqual(GRACE_MS);
      expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      hub = null;
    } finally {
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);

  it('ends `switchyard worker` within 15 s', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-term-'));
    let hub: LongRunning | null = null;
    let worker: LongRunning | null = null;
    try {
      writeFileSync(join(cwd, 'stubborn.mjs'), STUBBORN);
      hub = startCli(['start', '--port', '0', '--workflows', 'stubborn.mjs'], { cwd, env: { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-term' } });
      const url = (await hub.waitFor(/console:\s+(http:\/\/\S+)/))[1];
      const token = (await runCli(['tokens', 'create', '--role', 'worker', '--sites', 'far'], { cwd })).stdout.trim();
      worker = startCli(['worker', '--hub', url, '--site', 'far', '--token', token, '--workflows', 'stubborn.mjs', '--log-level', 'warn'], { cwd });
      await worker.waitFor(/serving site "far"/);
      const submitted = await runCli(['submit', 'stubborn', '--site', 'far'], { cwd });
      expect(submitted.code, submitted.stderr).toBe(0);
      await worker.waitFor(/stubborn task started/);
      const { code, ms } = await terminate(worker);
      expect(worker.output()).toMatch(/SIGTERM: finishing running tasks \(up to 10 s\).*exiting within 15 s/);
      expect(code).toBe(/the 15 s deadline passed/.test(worker.output()) ? 1 : 0);
      expect(ms).toBeGreaterThanOrEqual(GRACE_MS);
      expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      worker = null;
    } finally {
      worker?.child.kill('SIGKILL');
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});
