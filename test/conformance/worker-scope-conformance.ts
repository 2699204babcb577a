import { describe, expect, it } from 'vitest';
import type { WorkerInfo } from '../../src/store/store.js';
import { type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;

/**
 * What keeps a worker token inside its bounds: a worker id belongs to the token that
 * registered it. Run against every backend.
 */
export function describeWorkerScopeConformance(harness: StoreHarness): void {
  describe(`worker scope conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    const worker = (overrides: Partial<WorkerInfo> = {}): WorkerInfo => ({
      id: 'w-1',
      name: 'alpha',
      site: 'east',
      workflows: ['copy'],
      host: 'box1',
      ...overrides,
    });

    describe('worker ownership', () => {
      it('lets the owner register its worker again and lists the owner', async () => {
        expect(await store().registerWorker(worker({ owner: 'token:1' }), T0)).toBe(true);
        expect(await store().registerWorker(worker({ owner: 'token:1', workflows: ['copy', 'hash'] }), T0 + 5)).toBe(true);
        expect(await store().listWorkers()).toEqual([
          { id: 'w-1', name: 'alpha', site: 'east', workflows: ['copy', 'hash'], host: 'box1', owner: 'token:1', startedAt: T0, lastSeenAt: T0 + 5 },
        ]);
      });

      it('refuses another owner, or none, for an owned worker id, writing nothing', async () => {
        await store().registerWorker(worker({ owner: 'token:1' }), T0);
        const before = await store().listWorkers();
        expect(await store().registerWorker(worker({ owner: 'token:2', site: 'west', name: 'evil' }), T0 + 5)).toBe(false);
        expect(await store().registerWorker(worker({ site: 'west' }), T0 + 6)).toBe(false);
        expect(await store().listWorkers()).toEqual(before);
        // Nothing written includes the site the refused registration named.
        expect((await store().listSites()).map((s) => s.name)).toEqual(['east']);
      });

      it("stores '' when no owner is given; an unowned worker may be claimed", async () => {
        expect(await store().registerWorker(worker(), T0)).toBe(true);
        expect((await store().listWorkers())[0].owner).toBe('');
        expect(await store().registerWorker(worker({ owner: 'token:3' }), T0 + 1)).toBe(true);
        expect((await store().listWorkers())[0].owner).toBe('token:3');
      });
    });
  });
}
