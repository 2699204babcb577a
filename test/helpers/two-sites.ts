import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub, type Hub } from '../../src/hub/index.js';

/** One hub with two sites on real directories: `a` (handlers in threads) and `b` (in-process), each serving its own root. */
export interface TwoSites {
  dir: string;
  a: string;
  b: string;
  hub: Hub;
  close(): Promise<void>;
}

export async function startTwoSites(prefix: string): Promise<TwoSites> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  mkdirSync(a);
  mkdirSync(b);
  const hub = await createHub({ dataDir: join(dir, 'hub'), console: false, defaultSite: 'a' });
  await hub.startWorker({ site: 'a', root: a, pollWaitMs: 100 });
  await hub.startWorker({ site: 'b', root: b, pollWaitMs: 100, isolation: 'in-process' });
  return {
    dir,
    a,
    b,
    hub,
    async close() {
      await hub.close({ graceMs: 2000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
