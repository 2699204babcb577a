import { join } from 'node:path';
import type { Store } from './store.js';

export interface StoreLocation {
  /** `postgres://…` for PostgreSQL; anything else is the SQLite data directory. */
  db?: string | null;
  /** Where the SQLite file (switchyard.db) lives when `db` is not a PostgreSQL URL. */
  dataDir?: string;
  /** The SQLite file itself, or ':memory:' (a store that lives as long as the process): instead of `dataDir`. */
  sqliteFile?: string;
}

/**
 * The one place that picks a backend. Nothing else imports store/sqlite or store/postgres,
 * so the rest of the code knows only the Store contract.
 */
export async function createStore(location: StoreLocation): Promise<Store> {
  const db = location.db ?? null;
  let store: Store;
  if (db && !/^postgres(ql)?:\/\//.test(db)) {
    throw new Error(`--db must be a PostgreSQL URL (postgres://user@host:5432/db); leave it out for the embedded SQLite store`);
  }
  if (db) {
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    store = new PostgresStore(postgresLocation(db));
  } else {
    const { SqliteStore } = await import('./sqlite/sqlite-store.js');
    const path = location.sqliteFile ?? join(location.dataDir ?? '.switchyard', 'switchyard.db');
    store = new SqliteStore({ path, synchronous: process.env.SWITCHYARD_SQLITE_SYNC === 'full' ? 'full' : 'normal' });
  }
  await store.migrate();
  return store;
}

/**
 * `?schema=NAME` on a PostgreSQL URL picks the schema Switchyard keeps its tables in (default
 * `public`); the parameter is Switchyard's, so it is taken off before the URL reaches the driver.
 */
export function postgresLocation(url: string): { connectionString: string; schema?: string } {
  const at = url.indexOf('?');
  if (at < 0) return { connectionString: url };
  const params = new URLSearchParams(url.slice(at + 1));
  const schema = params.get('schema') ?? undefined;
  params.delete('schema');
  const rest = params.toString();
  return { connectionString: rest ? `${url.slice(0, at)}?${rest}` : url.slice(0, at), schema };
}
