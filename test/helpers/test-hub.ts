import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Actor, SYSTEM_ACTOR } from '../../src/engine/actor.js';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import type { JobRecord } from '../../src/model/index.js';
import { isTerminalJobState } from '../../src/model/index.js';
import type { Workflow } from '../../src/sdk/define-workflow.js';
import { WorkflowRegistry } from '../../src/sdk/workflow-registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { Worker, type WorkerOptions } from '../../src/worker/worker.js';

export interface TestHub {
  store: Store;
  engine: Engine;
  worker: Worker | null;
  actor: Actor;
  /** Waits until the job satisfies `until` (default: finished), woken by store events; fails after `timeoutMs`. */
  waitForJob(id: number, until?: (job: JobRecord) => boolean, timeoutMs?: number): Promise<JobRecord>;
  close(): Promise<void>;
}

export interface TestHubOptions {
  workflows: Workflow[];
  /** Start an in-process worker (default true). */
  worker?: boolean | Partial<WorkerOptions>;
  engine?: Partial<EngineOptions>;
  /** A store to use instead of a fresh SQLite file. */
  store?: Store;
}

/** One hub on its own SQLite file (or the store given), with an in-process worker, for engine tests. */
export async function createTestHub(options: TestHubOptions): Promise<TestHub> {
  // A store given is the caller's to close and drop; otherwise a SQLite file in a folder of its own.
  let dir: string | null = null;
  let store = options.store;
  if (!store) {
    dir = mkdtempSync(join(tmpdir(), 'swy-hub-'));
    store = new SqliteStore({ path: join(dir, 'hub.db'), random: () => 0.5 });
  }
  // What this function made is undone when a later step throws (a test of refused options):
  // nothing is left running and no folder is left behind.
  const own = store;
  const release = async () => {
    if (!dir) return;
    const folder = dir;
    try {
      await own.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };
  let engine: Engine | null = null;
  let worker: Worker | null = null;
  try {
    await store.migrate();
    const registry = new WorkflowRegistry(options.workflows);
    engine = new Engine({ store, workflows: registry, runDuties: false, ...options.engine });
    await engine.init();
    if (options.worker !== false) {
      const extra = typeof options.worker === 'object' ? options.worker : {};
      worker = new Worker({ port: engine, workflows: registry, site: 'local', pollWaitMs: 50, heartbeatMs: 200, ...extra });
      await worker.start();
    }
  } catch (error) {
    await worker?.stop({ graceMs: 0 }).catch(() => {});
    await engine?.stop().catch(() => {});
    await release().catch(() => {});
    throw error;
  }
  const started = engine;
  return {
    store,
    engine: started,
    worker,
    actor: SYSTEM_ACTOR,
    async waitForJob(id, until = (job) => isTerminalJobState(job.state), timeoutMs = 15_000) {
      return waitFor(
        store,
        async () => {
          const job = await store.getJob(id);
          return job && until(job) ? job : null;
        },
        timeoutMs,
        `job ${id}`,
      );
    },
    async close() {
      try {
        await worker?.stop({ graceMs: 2000 });
        await started.stop();
      } finally {
        await release();
      }
    },
  };
}

/** Re-checks `probe` after every store wake-up (and every 250 ms as a fallback) until it answers. */
export async function waitFor<T>(
  store: { onWake(listener: () => void): () => void },
  probe: () => Promise<T | null>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let wake: () => void = () => {};
  const off = store.onWake(() => wake());
  try {
    for (;;) {
      const value = await probe();
      if (value !== null) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    off();
  }
}
