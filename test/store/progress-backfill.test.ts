import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { newJob } from '../helpers/store-harness.js';

const PROGRESS_SHARES_VERSION = 9;
const T0 = 1_700_000_000_000;

/** Jobs counted in the old raw units are recounted in task shares by migration 9 (PostgreSQL runs the same recount in every conformance test's migrate). */
describe('progress recount', () => {
  it('on SQLite: a running task at 25 of 100 beside a finished one and a waiting one reads 41.6 %', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-recount-'));
    const path = join(dir, 'old.db');
    try {
      const store = new SqliteStore({ path });
      await store.migrate();
      await store.submitJobs([newJob({ tasks: [1, 2, 3].map((i) => ({ type: 'work', input: i })) })], T0);
      const [a, b] = await store.leaseTasks({ workerId: 'w1', site: 'local', workflows: ['demo'], limit: 2, leaseMs: 30_000, now: T0 + 1 });
      await store.completeTasks([{ taskId: a.task.id, leaseToken: a.leaseToken, report: { kind: 'succeeded', changed: false } }], T0 + 2);
      await store.recordActivity([{ taskId: b.task.id, leaseToken: b.leaseToken, progress: { done: 25, total: 100 } }], T0 + 3);
      await store.close();

      // As the old bookkeeping left it: the raw sum of the tasks' own units (1 + 25 of 1 + 100 + 1).
      const db = new BetterSqlite3(path);
      db.exec(`UPDATE jobs SET progress_done = 26, progress_total = 102; DELETE FROM schema_migrations WHERE version = ${PROGRESS_SHARES_VERSION}`);
      db.close();

      const again = new SqliteStore({ path });
      await again.migrate();
      expect((await again.getJob(1))?.progress).toEqual({ done: 1250, total: 3000 });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
