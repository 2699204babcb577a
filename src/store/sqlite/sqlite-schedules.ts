import type { Database, Statement } from 'better-sqlite3';
import type { Json } from '../../model/index.js';
import type { ScheduleExecutor } from '../ledger/schedule-tx.js';
import type { DbRow } from '../rows.js';

const statements = new WeakMap<Database, Map<string, Statement>>();

/** The schedule verbs' executor on the SQLite connection (synchronous, inside the store's lock). */
export function sqliteScheduleExecutor(db: Database): ScheduleExecutor {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  const known = cache;
  // Prepared once per database and text: the envelope verbs run these inside hot ledger transactions.
  const prepare = (sql: string): Statement => {
    let statement = known.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (known.size < 500) known.set(sql, statement);
    }
    return statement;
  };
  return {
    all: async (sql, params) => prepare(sql).all(...params) as DbRow[],
    run: async (sql, params) => prepare(sql).run(...params).changes,
    forUpdate: '',
    json: (value: Json) => JSON.stringify(value),
    bool: (value) => (value ? 1 : 0),
    isFalse: (column) => `${column} = 0`,
    parseJson: (value) => JSON.parse(value as string) as Json,
  };
}
