import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LongRunning, runCli, startCli } from '../helpers/cli-process.js';

const WORKFLOWS = `import { defineWorkflow, z } from 'switchyard';
export const slow = defineWorkflow({
  name: 'slow',
  fields: z.object({ tenant: z.string() }),
  concurrency: { limit: 1, key: (fields) => fields.tenant, perKey: 1 },
  plan: () => [{ type: 'wait' }],
  tasks: {
    wait: (ctx) => new Promise((resolve) => {
      const timer = setTimeout(resolve, 60_000);
      ctx.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); });
    }),
  },
});
`;

/** A workflow's concurrency limit seen from the CLI: `workflows list` and why `jobs show` says a job waits. */
describe('switchyard CLI: concurrency limits', () => {
  it('lists the limits and says which limit a waiting job is held by', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swy-cli-conc-'));
    let hub: LongRunning | null = null;
    try {
      writeFileSync(join(cwd, 'slow.mjs'), WORKFLOWS);
      hub = startCli(['start', '--port', '0', '--workflows', 'slow.mjs'], { cwd, env: { SWITCHYARD_ADMIN_PASSWORD: 'pw-123456-conc' } });
      await hub.waitFor(/console:\s+http/);
      const list = await runCli(['workflows', 'list'], { cwd });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/slow\s+slow\s+wait\s+1 at once, 1 per key/);

      await runCli(['submit', 'slow', '-f', 'tenant=acme'], { cwd });
      await runCli(['submit', 'slow', '-f', 'tenant=globex'], { cwd });
      const state = async (id: number) => JSON.parse((await runCli(['jobs', 'show', String(id), '--json'], { cwd })).stdout).state;
      await expect.poll(() => state(1), { timeout: 15_000 }).toBe('running');
      const show = await runCli(['jobs', 'show', '2'], { cwd });
      expect(show.stdout).toContain('waiting:  Workflow "slow" runs at most 1 job at once, and 1 is running.');

      expect((await runCli(['jobs', 'cancel', '1'], { cwd })).code).toBe(0);
      await expect.poll(() => state(2), { timeout: 15_000 }).toBe('running');
      await runCli(['jobs', 'cancel', '2'], { cwd });
    } finally {
      hub?.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});
