import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { searchIndexSql } from '../../src/store/list-queries.js';
import { sqliteDialect } from '../../src/store/sql-builder.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { newJob } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;

/**
 * The text index written in batches (migration 23, SqliteSearchIndexer): a job is found the
 * moment it is written, indexed or not, and whatever happens to it before the index catches
 * up (its reason changes, it is deleted), the index then agrees with the jobs exactly.
 */
describe('SQLite text index in batches', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;
  let probe: BetterSqlite3.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swy-search-batches-'));
    path = join(dir, 'store.db');
    store = new SqliteStore({ path });
    await store.migrate();
    probe = new BetterSqlite3(path, { readonly: true });
  });
  afterEach(async () => {
    probe.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const found = async (q: string, limit = 50) => (await store.listJobs({ sites: null, q, limit })).items.map((job) => job.creator).sort();
  const upto = () => (probe.prepare('SELECT upto FROM search_indexed').get() as { upto: number }).upto;
  const lastId = () => (probe.prepare('SELECT MAX(id) AS id FROM jobs').get() as { id: number }).id;
  /** FTS5's own check of an external-content index against its content (rank 1). */
  const expectConsistent = () => {
    const check = new BetterSqlite3(path);
    try {
      expect(() => check.exec(`INSERT INTO jobs_search (jobs_search, rank) VALUES ('integrity-check', 1)`)).not.toThrow();
    } finally {
      check.close();
    }
  };

  it('finds jobs before and after they are indexed, through reason changes and deletes', async () => {
    await store.indexSearch();
    const before = upto();
    const [kept, cancelled, deleted] = await store.submitJobs(
      [
        newJob({ creator: 'ann', searchText: '/fresh/alpha' }),
        newJob({ creator: 'bob', searchText: '/fresh/beta' }),
        newJob({ creator: 'cy', searchText: '/fresh/gamma' }),
      ],
      T0,
    );
    // Not indexed yet (the indexer runs every 200 ms; nothing waited for it): the index's
    // query finds them all the same, by the rows after upto (what another writer's rows
    // get, as a search adds this process's own first).
    const index = searchIndexSql(sqliteDialect, 'fresh/') as { sql: string; params: unknown[] };
    const matched = () => probe.prepare(index.sql).all(...index.params).length;
    if (upto() === before) expect(matched()).toBe(3);
    // Changed and deleted before the index catches up.
    await store.controlJob(cancelled.job.id, 'cancel', T0 + 1);
    await store.controlJob(deleted.job.id, 'cancel', T0 + 1);
    await store.deleteJob(deleted.job.id, T0 + 2);
    if (upto() === before) expect(matched()).toBe(2);

    await store.indexSearch();
    expect(upto()).toBeGreaterThanOrEqual(lastId());
    expect(matched()).toBe(2);
    expect(await found('/fresh/gamma')).toEqual([]);
    expectConsistent();
    expect(await found('fresh/')).toEqual(['ann', 'bob']);
    expect(await found('FRESH/ALPHA')).toEqual(['ann']);
    expect(await found('cancelled on request')).toEqual(['bob']);

    // And once indexed, changes and deletes go through the triggers.
    await store.controlJob(kept.job.id, 'cancel', T0 + 3);
    expect(await found('cancelled on request')).toEqual(['ann', 'bob']);
    expectConsistent();
    await store.deleteJob(kept.job.id, T0 + 4);
    expect(await found('fresh/')).toEqual(['bob']);
    expectConsistent();
  });

  it('indexes what waits before it searches: the index folds the case of every letter at once', async () => {
    await store.submitJobs([newJob({ creator: 'ann', searchText: '/Élan/Über' })], T0);
    // LIKE folds ASCII only; the index folds É to é too, and a search adds the new job to it first.
    expect(await found('élan/über')).toEqual(['ann']);
    expect(upto()).toBe(lastId());
    expect((await store.jobTotal({ sites: null, q: 'ÉLAN', limit: 1 }, 1000)).count).toBe(1);
  });

  it('catches up with a long backlog in batches, by itself', async () => {
    for (let i = 0; i < 3; i++) {
      await store.submitJobs(
        Array.from({ length: 1000 }, (_, k) => newJob({ creator: `c${i}`, searchText: `/bulk/${i}/${k}` })),
        T0 + i,
      );
    }
    expect(await found('/bulk/2/999')).toEqual(['c2']);
    // The store's own timer indexes the backlog: wait for it, with a generous bound.
    const deadline = Date.now() + 30_000;
    while (upto() < lastId() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upto()).toBe(lastId());
    expectConsistent();
    expect(await found('/bulk/1/5', 200)).toHaveLength(111);
  });

  it('gives the event loop back between batches of a backlog, so timers and requests go on', async () => {
    await store.submitJobs(
      Array.from({ length: 4000 }, (_, k) => newJob({ creator: 'c', searchText: `/backlog/${k}` })),
      T0,
    );
    await store.indexSearch();
    await store.close();
    // The file as a process that crashed before indexing its jobs leaves it: all 4,000 wait.
    const raw = new BetterSqlite3(path);
    raw.exec(`INSERT INTO jobs_search (jobs_search) VALUES ('delete-all'); UPDATE search_indexed SET upto = 0`);
    raw.close();
    store = new SqliteStore({ path });
    await store.migrate();
    expect(upto()).toBe(0);
    // Queued before the catch-up starts: it runs between two batches, not after the last.
    const turn = new Promise<string>((resolve) => setImmediate(() => resolve('event loop')));
    expect(await Promise.race([store.indexSearch().then(() => 'indexed'), turn])).toBe('event loop');
    await store.indexSearch();
    expect(upto()).toBe(lastId());
    expectConsistent();
    expect(await found('/backlog/3999')).toEqual(['c']);
  });
});
