import { describe, expect, it } from 'vitest';
import { SEARCH_MATCH_CAP } from '../../src/store/list-queries.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;

/** Free-text search over jobs: what it matches, and that secret field values are not among it. Run against every backend. */
export function describeSearchConformance(harness: StoreHarness): void {
  describe(`search conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    const found = async (q: string) => (await store().listJobs({ sites: null, q, limit: 10 })).items.map((job) => job.id);

    it('never matches a secret field that searchText leaves out', async () => {
      const [{ job }] = await store().submitJobs([newJob({ fields: { root: '/data/photos', password: 'hunter2-secret' }, searchText: '/data/photos' })], T0);
      expect(job.fields).toEqual({ root: '/data/photos', password: 'hunter2-secret' });
      expect(await found('hunter2-secret')).toEqual([]);
      expect(await found('hunter2')).toEqual([]);
      expect(await found('password')).toEqual([]);
      expect(await found('PHOTOS')).toEqual([job.id]);
    });

    it('matches id, workflow, state, creator, site and queue; absent searchText matches nothing more', async () => {
      const [{ job }] = await store().submitJobs([newJob({ workflow: 'backup', creator: 'ann', site: 'east', queue: 'nightly', fields: { root: '/x' } })], T0);
      const [{ job: other }] = await store().submitJobs([newJob({ fields: { root: '/y' }, searchText: 'needle' })], T0);
      for (const q of [String(job.id), 'backu', 'queued', 'ann', 'east', 'nightl']) expect(await found(q)).toContain(job.id);
      expect(await found('/x')).toEqual([]);
      expect(await found('needle')).toEqual([other.id]);
    });

    // Text of 3 characters or more is served by the text index (migration 20), kept in sync by the store's writes.
    it('finds a job by the reason it ended with, and no longer once it is deleted', async () => {
      const [{ job }] = await store().submitJobs([newJob({ fields: {}, site: 'local' })], T0);
      expect(await found('quota')).toEqual([]);
      const [leased] = await store().leaseTasks({ workerId: 'w1', site: 'local', workflows: ['demo'], limit: 1, leaseMs: 30_000, now: T0 + 1 });
      await store().completeTasks(
        [{ taskId: leased.task.id, leaseToken: leased.leaseToken, report: { kind: 'failed', error: { message: 'Disk QUOTA exceeded' }, retryable: false } }],
        T0 + 2,
      );
      expect((await store().getJob(job.id))?.reason).toMatch(/quota/i);
      expect(await found('disk quota')).toEqual([job.id]);
      await store().deleteJob(job.id, T0 + 3);
      expect(await found('disk quota')).toEqual([]);
    });

    it('matches text literally: quotes, wildcards and query syntax are plain characters', async () => {
      const texts = ['say "hi" OR bye', '100%_done\\x', 'NEAR(a b) * ^col:x', 'üñí-cödé'];
      const [...jobs] = await store().submitJobs(
        texts.map((searchText) => newJob({ searchText })),
        T0,
      );
      const ids = jobs.map(({ job }) => job.id);
      expect(await found('"hi" OR')).toEqual([ids[0]]);
      expect(await found('"')).toEqual([ids[0]]);
      expect(await found('%_d')).toEqual([ids[1]]);
      expect(await found('0%')).toEqual([ids[1]]);
      expect(await found('_done\\')).toEqual([ids[1]]);
      expect(await found('near(A B) *')).toEqual([ids[2]]);
      expect(await found('^col:')).toEqual([ids[2]]);
      expect(await found('ñí-cö')).toEqual([ids[3]]);
      expect(await found('OR')).toEqual([ids[0]]);
      expect(await found('"hi" AND')).toEqual([]);
      expect(await found('hi\u0000 OR')).toEqual([]);
    });

    it('never matches across two fields, and combines text with the other filters', async () => {
      const [{ job: a }] = await store().submitJobs([newJob({ workflow: 'backup', queue: 'nightly', searchText: '/srv/a' })], T0);
      const [{ job: b }] = await store().submitJobs([newJob({ workflow: 'backup', queue: 'daily', searchText: '/srv/b' })], T0);
      expect(await found('backup nightly')).toEqual([]);
      expect(await found('backup')).toEqual([b.id, a.id]);
      const nightly = await store().listJobs({ sites: null, q: 'backup', queues: ['nightly'], limit: 10 });
      expect(nightly.items.map((job) => job.id)).toEqual([a.id]);
      const sorted = await store().listJobs({ sites: null, q: '/srv/', sort: { key: 'queue', desc: false }, limit: 1 });
      expect(sorted.items.map((job) => job.id)).toEqual([b.id]);
      const next = await store().listJobs({ sites: null, q: '/srv/', sort: { key: 'queue', desc: false }, limit: 1, cursor: sorted.nextCursor });
      expect(next.items.map((job) => job.id)).toEqual([a.id]);
    });

    it('matches text shorter than 3 characters, and text more jobs hold than the index is asked for', async () => {
      const many = Array.from({ length: SEARCH_MATCH_CAP + 5 }, (_, i) => newJob({ searchText: `common-${i}` }));
      const submitted = await store().submitJobs(many, T0);
      const [{ job: rare }] = await store().submitJobs([newJob({ searchText: 'zq' })], T0);
      expect(await found('zq')).toEqual([rare.id]);
      const common = await store().listJobs({ sites: null, q: 'COMMON-', limit: 3 });
      expect(common.items.map((job) => job.id)).toEqual(
        submitted
          .slice(-3)
          .reverse()
          .map(({ job }) => job.id),
      );
      const oldest = await store().listJobs({ sites: null, q: 'common-', sort: { key: 'id', desc: false }, limit: 2 });
      expect(oldest.items.map((job) => job.id)).toEqual(submitted.slice(0, 2).map(({ job }) => job.id));
    });

    it('totals the jobs a filter matches: exact under the cap, an estimate of at least the cap above it', async () => {
      const jobs = Array.from({ length: 40 }, (_, i) => newJob({ workflow: i % 2 === 0 ? 'even' : 'odd', site: i < 10 ? 'east' : 'west', fields: { n: i } }));
      await store().submitJobs(jobs, T0);
      const total = (query: Partial<Parameters<ReturnType<typeof store>['jobTotal']>[0]>, cap: number) =>
        store().jobTotal({ sites: null, limit: 1, ...query }, cap);
      expect(await total({}, 100)).toEqual({ count: 40, exact: true });
      expect(await total({ workflows: ['even'] }, 100)).toEqual({ count: 20, exact: true });
      expect(await total({ sites: ['east'] }, 100)).toEqual({ count: 10, exact: true });
      expect(await total({ sites: ['east'], workflows: ['odd'] }, 100)).toEqual({ count: 5, exact: true });
      expect(await total({ q: 'nothing-like-this' }, 100)).toEqual({ count: 0, exact: true });
      // Cursor, sort and limit of a list page do not change the total.
      expect(await total({ workflows: ['even'], sort: { key: 'createdAt', desc: false }, limit: 3 }, 100)).toEqual({ count: 20, exact: true });
      // At the cap: estimated from the density of the counted ones (evenly spread here: exact again).
      expect(await total({}, 10)).toEqual({ count: 40, exact: false });
      expect(await total({ workflows: ['odd'] }, 10)).toMatchObject({ exact: false });
      expect((await total({ workflows: ['odd'] }, 10)).count).toBeGreaterThanOrEqual(18);
      expect((await total({ workflows: ['odd'] }, 10)).count).toBeLessThanOrEqual(22);
      expect(await total({ sites: ['west'] }, 10)).toMatchObject({ exact: false });
    });
  });
}
