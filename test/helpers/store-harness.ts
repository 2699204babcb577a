import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RETRY_POLICY } from '../../src/model/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewJob, Store } from '../../src/store/store.js';

/**
 * How the conformance suite gets a fresh, empty store for each test and throws it away
 * afterwards. `skip` names tests a backend cannot run, each with its reason.
 */
export interface StoreHarness {
  name: string;
  /** Null when the backend's server is missing (and CI is not set): the suite skips loudly. */
  available(): Promise<string | null>;
  create(testName: string): Promise<Store>;
  destroy(store: Store): Promise<void>;
}

export function sqliteHarness(): StoreHarness {
  const dirs = new Map<Store, string>();
  return {
    name: 'sqlite',
    available: async () => null,
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'swy-store-'));
      const store = new SqliteStore({ path: join(dir, 'test.db'), random: () => 0.5 });
      await store.migrate();
      dirs.set(store, dir);
      return store;
    },
    async destroy(store) {
      await store.close();
      rmSync(dirs.get(store) as string, { recursive: true, force: true });
      dirs.delete(store);
    },
  };
}

/** A job with sensible defaults; tests override what they are about. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    workflow: 'demo',
    site: 'local',
    queue: 'default',
    creator: 'tester',
    priority: 0,
    fields: {},
    runAt: null,
    idempotencyKey: null,
    timeoutMs: null,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 2, backoffMs: 1000, maxBackoffMs: 10_000 },
    parentJobId: null,
    tasks: [{ type: 'work', input: null }],
    ...overrides,
  };
}
