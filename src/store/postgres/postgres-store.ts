import type { Store } from '../store.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema to use (created if missing); tests use one per test. Default `public`. */
  schema?: string;
  poolSize?: number;
  random?: () => number;
}

/** Placeholder until the PostgreSQL store lands (issue 3). */
export class PostgresStore {
  constructor(_options: PostgresStoreOptions) {
    throw new Error('the PostgreSQL store is not built yet');
  }
}

export type { Store };
