import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

/**
 * A real hub process (`switchyard start --workflows`) whose handlers misbehave: each fault
 * fails its job with a readable reason, the hub keeps serving, and its API answers while a
 * handler busy-loops.
 */
const WORKFLOWS = `import { defineWorkflow, z } from 'switchyard';
export const faulty = defineWorkflow({
  name: 'faulty',
  fields: z.object({ mode: z.string(), busyMs: z.number().default(3000) }),
  retry: { maxAttempts: 1 },
  stopGraceMs: 500,
  plan: () => [{ type: 'run' }],
  tasks: {
    run: async (ctx) => {
      const { mode, busyMs } = ctx.job.fields;
      if (mode === 'timer') { setTimeout(() => { throw new Error('late boom'); }, 1); return new Promise(() => {}); }
      if (mode === 'rejection') { Promise.reject(new Error('forgotten')); return new Promise(() => {}); }
      if (mode === 'exit') process.exit(3);
      if (mode === 'bigint') throw 42n;
      if (mode === 'busy') { const until = Date.now() + busyMs; while (Date.now() < until) {} }
      if (mode === 'deaf') return new Promise(() => {});
      return { changed: true };
    },
  },
});
`;

describe('handler faults in a hub process', () => {
  let cwd = '';
  let hub: LongRunning | null = null;
  let url = '';

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'swy-faults-'));
    writeFileSync(join(cwd, 'faulty.mjs'), WORKFLOWS);
    hub = startCli(['start', '--port', '0', '--workflows', 'faulty.mjs'], { cwd, env: { SWITCHYARD_ADMIN_PASSWORD: 'faulty handlers 42' } });
    url = (await hub.waitFor(/console:\s+(http:\/\/\S+)/))[1];
  });
  afterAll(() => {
    hub?.child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  });

  const submit = (mode: string, extra: string[] = []) => runCli(['submit', 'faulty', '-f', `mode=${mode}`, ...extra, '--wait'], { cwd, timeoutMs: 30_000 });

  it.each([
    ['timer', /reason: .*handler threw from a timer or callback: late boom/],
    ['rejection', /reason: .*handler left a promise rejection unhandled: forgotten/],
    ['exit', /reason: .*handler called process\.exit\(3\)/],
    ['bigint', /reason: .*42n/],
  ])('fails the job on %s, and the hub keeps running', async (mode, reason) => {
    const run = await submit(mode);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/failure/);
    expect(run.stdout).toMatch(reason);
    expect(hub?.child.exitCode).toBeNull();
    const ok = await submit('ok');
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('answers its API while a handler busy-loops in its thread', async () => {
    let done = false;
    const busy = submit('busy', ['-f', 'busyMs=4000']).finally(() => {
      done = true;
    });
    let worst = 0;
    let probes = 0;
    while (!done) {
      const began = performance.now();
      const answer = await fetch(`${url}/health`);
      expect(answer.ok).toBe(true);
      worst = Math.max(worst, performance.now() - began);
      probes += 1;
    }
    expect((await busy).code).toBe(0);
    expect(probes).toBeGreaterThan(10);
    expect(worst).toBeLessThan(500);
  });

  it('cancels a job whose handler ignores its signal', async () => {
    const started = await runCli(['submit', 'faulty', '-f', 'mode=deaf', '--json'], { cwd });
    const id = String(JSON.parse(started.stdout).id);
    await waitForShow(id, /running/);
    const cancel = await runCli(['jobs', 'cancel', id], { cwd });
    expect(cancel.code, cancel.stderr).toBe(0);
    await waitForShow(id, /cancelled/);
    expect(hub?.child.exitCode).toBeNull();
  });

  /** Polls `jobs show` until its output matches (each poll is a CLI process: no fixed sleep). */
  async function waitForShow(id: string, pattern: RegExp): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const show = await runCli(['jobs', 'show', id], { cwd });
      if (pattern.test(show.stdout)) return;
      if (Date.now() > deadline) throw new Error(`job ${id} never matched ${pattern}: ${show.stdout}`);
    }
  }
});
