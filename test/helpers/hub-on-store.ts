import { type CreateHubOptions, createHub, type Hub } from 'switchyard';
import { afterEach } from 'vitest';
import type { HubStore } from './store-harness.js';

/**
 * Opens one hub per test on `store` (SQLite in memory, or a fresh PostgreSQL schema), closed
 * and its schema dropped after the test. Where PostgreSQL is missing the test skips (with
 * CI=true, `store.db()` fails it instead).
 */
export function useHubOn(store: HubStore, workflows: CreateHubOptions['workflows']): (context: { skip: () => void }) => Promise<Hub> {
  let hub: Hub | null = null;
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
    await cleanup?.();
    cleanup = null;
  });
  return async (context) => {
    const db = await store.db();
    if (db === null) context.skip();
    cleanup = db?.cleanup ?? null;
    hub = await createHub({ db: db?.url ?? ':memory:', workflows });
    return hub;
  };
}
