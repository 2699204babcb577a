import { describe, expect, it } from 'vitest';
import { normalizeLocks } from '../../src/model/index.js';
import { recordSubmission, submitsInOneStatement } from '../../src/store/postgres/postgres-submit.js';
import type { NewJob, Store } from '../../src/store/store.js';
import { newJob, postgresHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;

/**
 * A plain submission on PostgreSQL is one statement (postgres-submit.ts); any other goes
 * through a transaction. Both must write the same: the job, its tasks, its event, its audit
 * entry, the dashboard roll-up and the queue counts.
 */
describe('postgres store: a plain submission in one statement', () => {
  const store = useFreshStore(postgresHarness());

  const plain = (creator: string): NewJob =>
    newJob({
      creator,
      fields: { n: 1, text: 'a "quoted" \\ value' },
      searchText: `/plain/${creator}`,
      tasks: [
        { type: 'work', input: { i: 1 } },
        { type: 'work', input: null, key: 'second' },
      ],
      audit: { actor: creator, action: 'job.submit', data: { via: 'test' } },
    });

  it('takes only plain submissions', async () => {
    expect(submitsInOneStatement([plain('a'), plain('b')])).toBe(true);
    expect(submitsInOneStatement([plain('a'), { ...plain('b'), idempotencyKey: 'k' }])).toBe(false);
    expect(submitsInOneStatement([{ ...plain('a'), locks: normalizeLocks(['r']) }])).toBe(false);
    expect(submitsInOneStatement([{ ...plain('a'), concurrency: { limit: 1, perKey: null, key: null } }])).toBe(false);
    expect(submitsInOneStatement([{ ...plain('a'), tasks: [{ type: 'w', input: null, site: 'elsewhere' }] }])).toBe(false);
    expect(
      submitsInOneStatement([
        {
          ...plain('a'),
          tasks: [
            { type: 'w', input: null, key: 'a' },
            { type: 'w', input: null, after: ['a'] },
          ],
        },
      ]),
    ).toBe(false);
    // The ledger's own decisions, recorded with placeholder ids.
    const recorded = await recordSubmission([plain('a'), plain('b')], T0);
    expect(recorded.answers.map((a) => a.id)).toEqual([-1, -2]);
    expect(recorded.resolve([41, 42]).map((a) => [a.id, a.record?.id])).toEqual([
      [41, 41],
      [42, 42],
    ]);
  });

  it('writes what a submission in a transaction writes', async () => {
    const s = store();
    // Known site and queue first (a submission that must create them takes a transaction).
    await s.ensureSites(['local'], T0);
    await s.ensureQueues(['default'], T0);
    const [oneStatement] = await s.submitJobs([plain('ann')], T0);
    // An idempotency key sends it through a transaction.
    const [inTransaction] = await s.submitJobs([{ ...plain('bob'), idempotencyKey: 'bob-1' }], T0);
    expect(oneStatement.created && inTransaction.created).toBe(true);
    const a = await written(s, oneStatement.job.id);
    const b = await written(s, inTransaction.job.id);
    expect(a.job).toMatchObject(oneStatement.job);
    expect(a).toEqual({
      ...b,
      job: { ...b.job, id: a.job.id, creator: 'ann', idempotencyKey: null },
      tasks: b.tasks.map((task, i) => ({ ...task, id: a.tasks[i].id, jobId: a.job.id })),
      events: b.events.map((event) => ({ ...event, jobId: a.job.id, data: { ...event.data, creator: 'ann' } })),
      audit: b.audit.map((entry) => ({ ...entry, actor: 'ann', target: `job:${a.job.id}` })),
    });
    expect(a.tasks).toHaveLength(2);
    expect(a.events).toHaveLength(1);
    expect(a.audit).toHaveLength(1);
    // Found by its text at once, and counted by the dashboard and the queue.
    expect((await s.listJobs({ sites: null, q: '/plain/ann', limit: 10 })).items.map((job) => job.id)).toEqual([a.job.id]);
    const counts = await s.dashboardAggregates({ sites: null, from: T0 - 60_000, to: T0 + 60_000, bucketMs: 60_000 });
    expect(counts.created.reduce((sum, c) => sum + c.count, 0)).toBe(2);
    expect((await s.listQueues(null)).find((q) => q.name === 'default')).toMatchObject({ queuedJobs: 2 });
  });

  it('submits many jobs in one statement, in order', async () => {
    const s = store();
    await s.ensureSites(['local'], T0);
    await s.ensureQueues(['default'], T0);
    const outcomes = await s.submitJobs(
      Array.from({ length: 300 }, (_, i) => plain(`c${i}`)),
      T0,
    );
    const ids = outcomes.map((o) => o.job.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    for (const [i, outcome] of outcomes.entries()) {
      if (i % 50 !== 0) continue;
      const w = await written(s, outcome.job.id);
      expect(w.job.creator).toBe(`c${i}`);
      expect(w.tasks.map((t) => t.jobId)).toEqual([outcome.job.id, outcome.job.id]);
      expect(w.audit.map((entry) => entry.target)).toEqual([`job:${outcome.job.id}`]);
    }
  });
});

/** Everything a submission wrote about one job, as the store reads it. */
async function written(s: Store, id: number) {
  const job = await s.getJob(id);
  if (!job) throw new Error(`job ${id} was not written`);
  const tasks = (await s.listTasks(id, { limit: 100 })).items.map(({ createdAt, updatedAt, ...task }) => task);
  const events = (await s.listEvents(0, 10_000, null)).filter((e) => e.jobId === id).map(({ id: _, ...event }) => event);
  const audit = (await s.listAudit({ sites: null, target: `job:${id}`, limit: 10 })).items.map(({ id: _, ...entry }) => entry);
  return { job, tasks, events, audit };
}
