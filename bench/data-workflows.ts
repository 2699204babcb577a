import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHub, type Hub } from '../src/index.js';
import { builtInWorkflows } from '../src/workflows/index.js';
import type { Measurement } from './measurements.js';

const SMALL_FILES = 10_000;
const LARGE_MIB = 512;

/** A hub (in-memory SQLite: the files are what is measured) with one in-process worker serving site `data` from `root`. */
async function withSite<T>(root: string, body: (hub: Hub) => Promise<T>): Promise<T> {
  const hub = await createHub({ db: ':memory:', workflows: builtInWorkflows });
  try {
    await hub.startWorker({ site: 'data', root, isolation: 'in-process' });
    return await body(hub);
  } finally {
    await hub.close();
  }
}

async function timed(hub: Hub, workflow: string, fields: Record<string, unknown>, expected: string): Promise<number> {
  const started = performance.now();
  const job = await hub.submit({ workflow, fields });
  const done = await hub.waitForJob(job.id, { timeoutMs: 600_000 });
  if (done.state !== expected) throw new Error(`${workflow} ended ${done.state}, expected ${expected}`);
  return (performance.now() - started) / 1000;
}

function smallTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'swy-bench-data-'));
  const body = Buffer.alloc(1024, 'x');
  for (let d = 0; d < 100; d++) {
    mkdirSync(join(root, 'tree', `dir-${d}`), { recursive: true });
    for (let f = 0; f < SMALL_FILES / 100; f++) writeFileSync(join(root, 'tree', `dir-${d}`, `file-${f}.txt`), body);
  }
  return root;
}

/**
 * The data workflows on a real directory: a snapshot of 10,000 files of 1 KiB (every file
 * copied into the store), the same snapshot again (every file hashed, nothing copied: skipped),
 * and a verify of one 512 MiB file. Files/s and MB/s, end to end from submission to the job's end.
 */
export const dataWorkflowMeasurements: Measurement[] = [
  {
    name: 'data-snapshot-small',
    label: `snapshot of ${SMALL_FILES.toLocaleString('en')} files of 1 KiB (first, then unchanged)`,
    unit: 'files/s',
    run: async () => {
      const root = smallTree();
      try {
        return await withSite(root, async (hub) => {
          const first = await timed(hub, 'snapshot', { site: 'data', path: 'tree' }, 'success');
          const again = await timed(hub, 'snapshot', { site: 'data', path: 'tree' }, 'skipped');
          return {
            value: SMALL_FILES / first,
            detail: `first ${first.toFixed(2)} s; unchanged again ${again.toFixed(2)} s = ${Math.round(SMALL_FILES / again)} files/s`,
          };
        });
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'data-verify-large',
    label: `verify of one ${LARGE_MIB} MiB file`,
    unit: 'MB/s',
    run: async () => {
      const root = mkdtempSync(join(tmpdir(), 'swy-bench-data-'));
      try {
        const file = await open(join(root, 'large.bin'), 'w');
        const chunk = Buffer.alloc(1024 * 1024, 7);
        for (let i = 0; i < LARGE_MIB; i++) await file.write(chunk);
        await file.close();
        return await withSite(root, async (hub) => {
          const seconds = await timed(hub, 'verify', { site: 'data', path: '.' }, 'success');
          const rss = process.memoryUsage().rss;
          return { value: (LARGE_MIB * 1.048576) / seconds, detail: `${seconds.toFixed(2)} s; process RSS after ${Math.round(rss / 1048576)} MiB` };
        });
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
