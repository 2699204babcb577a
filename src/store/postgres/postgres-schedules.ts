import type { Json } from '../../model/index.js';
import type { ScheduleExecutor } from '../ledger/schedule-tx.js';
import { pgJson, type Queryable } from './postgres-pool.js';

/** Numbers `?` placeholders as `$1, $2…` (the schedule SQL has no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The schedule verbs' executor on a PostgreSQL connection or pool. */
export function postgresScheduleExecutor(db: Queryable): ScheduleExecutor {
  return {
    all: async (sql, params) => (await db.query(numbered(sql), params)).rows,
    run: async (sql, params) => (await db.query(numbered(sql), params)).rowCount ?? 0,
    forUpdate: ' FOR UPDATE',
    json: (value: Json) => pgJson(value),
    bool: (value) => value,
    isFalse: (column) => `NOT ${column}`,
    parseJson: (value) => value as Json,
  };
}
