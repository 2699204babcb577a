import { describe, expect, it } from 'vitest';
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
