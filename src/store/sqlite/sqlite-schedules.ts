import type { Database } from 'better-sqlite3';
import type { Json } from '../../model/index.js';
import type { ScheduleExecutor } from '../ledger/schedule-tx.js';
import type { DbRow } from '../rows.js';

/** The schedule verbs' executor on the SQLite connection (synchronous, inside the store's lock). */
export function sqliteScheduleExecutor(db: Database): ScheduleExecutor {
  return {
    all: async (sql, params) => db.prepare(sql).all(...params) as DbRow[],
    run: async (sql, params) => db.prepare(sql).run(...params).changes,
    forUpdate: '',
    json: (value: Json) => JSON.stringify(value),
    bool: (value) => (value ? 1 : 0),
    parseJson: (value) => JSON.parse(value as string) as Json,
  };
}
