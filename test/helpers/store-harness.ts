import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { DEFAULT_RETRY_POLICY } from '../../src/model/index.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
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
  /** Closes the store and opens the same database again, as a restarted hub would. */
  reopen(store: Store): Promise<Store>;
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
    async reopen(store) {
      const dir = dirs.get(store) as string;
      await store.close();
      dirs.delete(store);
      const again = new SqliteStore({ path: join(dir, 'test.db'), random: () => 0.5 });
      await again.migrate();
      dirs.set(again, dir);
      return again;
    },
  };
}

/**
 * Registers, in the enclosing describe, the hooks that give each test an empty store of its
 * own from `harness` (skipping loudly when the backend is missing); returns that test's store.
 */
export function useFreshStore(harness: StoreHarness): (() => Store) & { reopen(): Promise<Store> } {
  let store: Store | undefined;
  let unavailable: string | null = null;
  beforeAll(async () => {
    unavailable = await harness.available();
    if (unavailable) console.warn(`\n!!! SKIPPING ${harness.name} conformance: ${unavailable}\n`);
  });
  beforeEach(async (context) => {
    if (unavailable) context.skip();
    store = await harness.create(context.task.name);
  });
  afterEach(async () => {
    if (store) await harness.destroy(store);
    store = undefined;
  });
  const current = () => {
    if (!store) throw new Error('No store: called outside a test');
    return store;
  };
  /** Closes this test's store and opens its database again (a hub restarted). */
  const reopen = async () => {
    store = await harness.reopen(current());
    return store;
  };
  return Object.assign(current, { reopen });
}

export const TEST_PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A fresh schema per test, named after the test so that a failure can be inspected
 * (SWITCHYARD_TEST_PG_KEEP=1 keeps the schemas). Without a server the suite skips loudly,
 * except in CI (CI=true), where a missing server fails the run.
 */
export function postgresHarness(url = TEST_PG_URL): StoreHarness {
  const schemas = new Map<Store, string>();
  return {
    name: 'postgres',
    async available() {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
        return null;
      } catch (error) {
        const reason = `no PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message || (error as { code?: string }).code}); set SWITCHYARD_TEST_PG_URL`;
        if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI: ${reason}`);
        return reason;
      } finally {
        await client.end().catch(() => {});
      }
    },
    async create(testName) {
      const schema = testSchemaName(testName);
      const store = new PostgresStore({ connectionString: url, schema, poolSize: 5, random: () => 0.5 });
      schemas.set(store, schema);
      await store.migrate();
      return store;
    },
    async destroy(store) {
      const schema = schemas.get(store);
      schemas.delete(store);
      await store.close();
      if (schema === undefined || process.env.SWITCHYARD_TEST_PG_KEEP === '1') return;
      await dropSchema(url, schema);
    },
    async reopen(store) {
      const schema = schemas.get(store) as string;
      schemas.delete(store);
      await store.close();
      const again = new PostgresStore({ connectionString: url, schema, poolSize: 5, random: () => 0.5 });
      schemas.set(again, schema);
      await again.migrate();
      return again;
    },
  };
}

/** `lists newest first…` → `lists_newest_first_…_k3x9q2`: lowercase, at most 50 characters plus a random suffix. */
export function testSchemaName(testName: string): string {
  const base = testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 50)
    .replace(/_+$/, '');
  const suffix = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
  return `${/^[a-z]/.test(base) ? '' : 't_'}${base}_${suffix}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
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

/** Where a test hub keeps its data: a fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards. */
export interface HubStore {
  name: 'sqlite' | 'postgres';
  /** The `db` for startTestHub (null: SQLite) and how to clean up; null when PostgreSQL is missing outside CI. */
  db: () => Promise<{ url: string | null; cleanup: () => Promise<void> } | null>;
}

/**
 * Both stores for suites of whole hubs (`describe.each(hubStores('what'))`). Without a
 * PostgreSQL server the PostgreSQL half skips loudly, except with CI=true, where it fails.
 */
export function hubStores(what: string): HubStore[] {
  return [
    { name: 'sqlite', db: async () => ({ url: null, cleanup: async () => {} }) },
    {
      name: 'postgres',
      db: async () => {
        const unavailable = await postgresHarness().available();
        if (unavailable) {
          if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI: ${unavailable}`);
          console.warn(`\n!!! SKIPPING ${what} on PostgreSQL: ${unavailable}\n`);
          return null;
        }
        const schema = testSchemaName(`${what} ${Date.now()}`);
        return { url: `${TEST_PG_URL}?schema=${schema}`, cleanup: () => dropSchema(TEST_PG_URL, schema) };
      },
    },
  ];
}

/**
 * Hubs sharing one database, for one describe block: `count` PostgresStore instances on one
 * fresh schema (migrated once), closed and the schema dropped after. Without a PostgreSQL
 * server the block's tests skip loudly (`unavailable()` says why), except with CI=true.
 */
export function postgresHubStores(what: string, count = 3): { stores: PostgresStore[]; schema: string; unavailable(): string | null } {
  let unavailable: string | null = null;
  const schema = testSchemaName(what);
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    unavailable = await postgresHarness().available();
    if (unavailable) {
      if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI: ${unavailable}`);
      console.warn(`\n!!! SKIPPING ${what}: ${unavailable}\n`);
      return;
    }
    for (let i = 0; i < count; i++) stores.push(new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 4 }));
    await stores[0].migrate();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    if (!unavailable && process.env.SWITCHYARD_TEST_PG_KEEP !== '1') await dropSchema(TEST_PG_URL, schema);
  });
  return { stores, schema, unavailable: () => unavailable };
}

/** A deterministic pseudo-random stream in [0, 1), so that a failing run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
