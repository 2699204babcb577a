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
  });
}
