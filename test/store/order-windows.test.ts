import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JobQuery, Store } from '../../src/store/store.js';
import { newJob, postgresHarness, sqliteHarness } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;

/**
 * The jobs list read in windows of its order (listJobsPlan), on both stores: queued jobs
 * by last update sit after the 4,990 jobs updated since, so the first window (5,000) holds only
 * 10 of them, and they are enough (21,010) for the next window to be read rather than all of
 * them sorted. Every page equals the order computed here, across the windows' seam.
 */
describe.each([sqliteHarness(), postgresHarness()])('jobs list in windows of its order on $name', (harness) => {
  let store: Store | null = null;
  let unavailable: string | null = null;
  beforeAll(async () => {
    unavailable = await harness.available();
    if (unavailable) console.warn(`\n!!! SKIPPING ${harness.name} order windows: ${unavailable}\n`);
  });
  beforeEach(async (context) => {
    if (unavailable) context.skip();
    store = await harness.create('order windows');
  });
  afterEach(async () => {
    if (store) await harness.destroy(store);
    store = null;
  });

  it('pages queued jobs by last update, most of them after a block of jobs updated since, the same as the order', { timeout: 180_000 }, async () => {
    if (!store) throw new Error('no store');
    const made: number[] = [];
    for (let batch = 0; batch < 26; batch += 1) {
      const outcomes = await store.submitJobs(
        Array.from({ length: 1_000 }, () => newJob()),
        T0 + batch,
      );
      made.push(...outcomes.map((o) => o.job.id));
    }
    // The first 4,990 jobs run to their end later: updated after every queued one.
    for (let done = 0; done < 4_990; ) {
      const limit = Math.min(500, 4_990 - done);
      const leased = await store.leaseTasks({ workerId: 'w', site: 'local', workflows: ['demo'], limit, leaseMs: 60_000, now: T0 + 1_000 });
      await store.completeTasks(
        leased.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: false } })),
        T0 + 2_000 + done,
      );
      done += leased.length;
    }
    const queued = made.slice(4_990);
    // Updated at submission: newest batch first, then by id.
    const expected = [...queued].sort((a, b) => Math.floor((b - 1) / 1_000) - Math.floor((a - 1) / 1_000) || b - a);
    const query: JobQuery = { sites: null, limit: 50, states: ['queued'], sort: { key: 'updatedAt', desc: true } };
    expect((await store.listJobs(query)).items.map((j) => j.id)).toEqual(expected.slice(0, 50));

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.listJobs({ ...query, limit: 1_500, cursor });
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
    // Oldest first the queued jobs come first; the ended ones are found after them.
    const ended = await store.listJobs({ ...query, states: ['success'], sort: { key: 'updatedAt', desc: false } });
    expect(ended.items.map((j) => j.id)).toEqual(made.slice(0, 50));
  });
});
