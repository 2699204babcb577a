import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { postgresMigrations } from '../../src/store/postgres/postgres-migrations.js';
import { sqliteMigrations } from '../../src/store/sqlite/sqlite-migrations.js';

/**
 * A database as an older release left it, for migration tests: the migrations before
 * `version` applied and recorded (at `at`), as the store would have. SQLite: on `db`;
 * PostgreSQL: in a new schema `schema`, which `client` is left using.
 */
export function sqliteBefore(db: BetterSqlite3.Database, version: number, at: number): void {
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const migration of sqliteMigrations.filter((m) => m.version < version)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, at);
  }
}

export async function postgresBefore(client: pg.Client, schema: string, version: number, at: number): Promise<void> {
  await client.query(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"`);
  await client.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
  for (const migration of postgresMigrations.filter((m) => m.version < version)) {
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, at]);
  }
}
