import { describe, expect, it } from 'vitest';
import type { WorkerInfo } from '../../src/store/store.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w1', workflows: ['demo'], limit: 10, leaseMs: 30_000, now: T0 + 1 };

/**
 * What keeps a worker token inside its bounds: a worker id belongs to the token that
 * registered it, and its reports count only for tasks at the token's sites. Run against
 * every backend.
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
          {
            id: 'w-1',
            name: 'alpha',
            site: 'east',
            workflows: ['copy', 'hash'],
            host: 'box1',
            owner: 'token:1',
            version: null,
            startedAt: T0,
            lastSeenAt: T0 + 5,
            runningTasks: 0,
          },
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

    describe('what the console shows of a worker', () => {
      it('lists the version it reported last and the tasks it holds a lease on now', async () => {
        await store().registerWorker(worker({ id: 'w1', version: '1.2.0' }), T0);
        await store().registerWorker(worker({ id: 'w2', name: 'beta', version: '1.3.0' }), T0);
        await store().registerWorker(worker({ id: 'w1', version: '1.3.0' }), T0 + 1);
        await store().submitJobs(
          [
            newJob({
              site: 'east',
              tasks: [
                { type: 'work', input: null },
                { type: 'work', input: null },
              ],
            }),
          ],
          T0,
        );
        const leased = await store().leaseTasks({ ...LEASE, site: 'east' });
        expect(leased).toHaveLength(2);
        const byId = async () => Object.fromEntries((await store().listWorkers()).map((w) => [w.id, { version: w.version, running: w.runningTasks }]));
        expect(await byId()).toEqual({ w1: { version: '1.3.0', running: 2 }, w2: { version: '1.3.0', running: 0 } });

        const [first] = leased;
        const done = { taskId: first.task.id, leaseToken: first.leaseToken, report: { kind: 'succeeded' as const, changed: true } };
        await store().completeTasks([done], T0 + 2, null);
        expect((await byId()).w1).toEqual({ version: '1.3.0', running: 1 });
      });
    });

    describe('reports at the worker sites only', () => {
      const leaseAtEast = async () => {
        await store().submitJobs([newJob({ site: 'east' })], T0);
        const [t] = await store().leaseTasks({ ...LEASE, site: 'east' });
        return t;
      };

      it('treats activity on a task outside the sites as a lost lease, writing nothing', async () => {
        const t = await leaseAtEast();
        const report = { taskId: t.task.id, leaseToken: t.leaseToken, items: [{ path: 'x', operation: 'op', outcome: 'completed' as const }], logs: ['hi'] };
        expect(await store().recordActivity([report], T0 + 2, ['west'])).toEqual([{ taskId: t.task.id, accepted: false }]);
        expect(await store().getJob(t.job.id)).toMatchObject({ itemCounts: { completed: 0 }, updatedAt: T0 + 1 });
        expect(await store().taskOutput(t.task.id, 0, 10)).toEqual([]);
        expect(await store().recordActivity([report], T0 + 3, ['west', 'east'])).toEqual([{ taskId: t.task.id, accepted: true }]);
        expect(await store().recordActivity([{ ...report, logs: ['again'], items: [] }], T0 + 4, null)).toEqual([{ taskId: t.task.id, accepted: true }]);
        expect((await store().getJob(t.job.id))?.itemCounts.completed).toBe(1);
      });

      it('refuses to complete a task outside the sites; it stays running', async () => {
        const t = await leaseAtEast();
        const done = { taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded' as const, changed: true } };
        expect(await store().completeTasks([done], T0 + 2, [])).toEqual([{ taskId: t.task.id, accepted: false }]);
        expect(await store().completeTasks([done], T0 + 2, ['west'])).toEqual([{ taskId: t.task.id, accepted: false }]);
        expect(await store().getTask(t.task.id)).toMatchObject({ state: 'running', updatedAt: T0 + 1 });
        expect((await store().getJob(t.job.id))?.state).toBe('running');
        expect(await store().completeTasks([done], T0 + 3, ['east'])).toEqual([{ taskId: t.task.id, accepted: true, state: 'success' }]);
      });

      it('reports a lease on a task outside the sites as lost at heartbeat, without extending it', async () => {
        const t = await leaseAtEast();
        const beat = (sites: string[] | null | undefined, now: number) =>
          store().heartbeat({ workerId: 'w1', leases: [{ taskId: t.task.id, leaseToken: t.leaseToken }], leaseMs: 30_000, now, sites });
        expect(await beat(['west'], T0 + 2)).toEqual({ lost: [t.task.id], stop: [] });
        expect((await store().getTask(t.task.id))?.leaseExpiresAt).toBe(T0 + 1 + 30_000);
        expect(await beat(['east'], T0 + 3)).toEqual({ lost: [], stop: [] });
        expect((await store().getTask(t.task.id))?.leaseExpiresAt).toBe(T0 + 3 + 30_000);
        expect(await beat(undefined, T0 + 4)).toEqual({ lost: [], stop: [] });
      });
    });
  });
}
