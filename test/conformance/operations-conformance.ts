import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Engine } from '../../src/engine/engine.js';
import { type Actor, SYSTEM_ACTOR } from '../../src/model/index.js';
import { defineWorkflow } from '../../src/sdk/define-workflow.js';
import { WorkflowRegistry } from '../../src/sdk/workflow-registry.js';
import type { Store } from '../../src/store/store.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const demo = defineWorkflow({ name: 'demo', fields: z.object({}), plan: () => [{ type: 'work' }], tasks: { work: () => {} } });
const fixed = defineWorkflow({ name: 'fixed', fields: z.object({}), controls: { cancel: false }, plan: () => [{ type: 'work' }], tasks: { work: () => {} } });
const EAST_OPERATOR: Actor = { name: 'eve', role: 'operator', sites: ['east'], ref: 'user:9' };

/** An engine over the test's store that runs no duties by itself: tests drive the operation runner. */
function engineOn(store: Store, batchSize = 3): Engine {
  let now = T0 + 10_000;
  return new Engine({
    store,
    workflows: new WorkflowRegistry([demo, fixed]),
    runDuties: false,
    clock: () => (now += 1),
    operations: { batchSize },
  });
}

async function submit(store: Store, count: number, overrides: Parameters<typeof newJob>[0] = {}): Promise<number[]> {
  const outcomes = await store.submitJobs(
    Array.from({ length: count }, () => newJob(overrides)),
    T0,
  );
  return outcomes.map((o) => o.job.id);
}

/** Finishes every ready task of `workflows` at `site`, leasing at `leaseAt` and completing at `endAt`; answers their jobs. */
export async function finish(
  store: Store,
  site: string,
  leaseAt: number,
  endAt: number,
  report: 'succeeded' | 'failed' = 'succeeded',
  workflows = ['demo', 'fixed'],
): Promise<number[]> {
  const leased = await store.leaseTasks({ workerId: 'w', site, workflows, limit: 100, leaseMs: 600_000, now: leaseAt });
  await store.completeTasks(
    leased.map((t) => ({
      taskId: t.task.id,
      leaseToken: t.leaseToken,
      report:
        report === 'succeeded' ? ({ kind: 'succeeded', changed: false } as const) : ({ kind: 'failed', error: { message: 'boom' }, retryable: false } as const),
    })),
    endAt,
  );
  return leased.map((t) => t.task.jobId);
}

/** Bulk operations run by the engine's runner, and the dashboard's aggregates, on every backend. */
export function describeOperationsConformance(harness: StoreHarness): void {
  describe(`operations conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);

    it('previews, then cancels every matching job in bounded batches, and records the result', async () => {
      const engine = engineOn(store());
      await store().ensureSites(['east', 'west'], T0);
      const queued = await submit(store(), 7, { site: 'east' });
      await submit(store(), 2, { site: 'west' });
      const filter = { states: ['queued' as const], sites: ['east'] };
      expect(await engine.bulk.preview({ action: 'cancel', filter }, SYSTEM_ACTOR)).toEqual({ action: 'cancel', matching: 7, eligible: 7 });
      expect(await engine.bulk.preview({ action: 'resume', filter }, SYSTEM_ACTOR)).toMatchObject({ matching: 7, eligible: 0 });
      const op = await engine.bulk.start({ action: 'cancel', filter }, SYSTEM_ACTOR);
      expect(op).toMatchObject({ state: 'running', total: 7, done: 0 });
      // One batch (3 jobs) at a time: the cursor moves, nothing else is touched.
      const first = await engine.operations.step(op);
      expect(first).toMatchObject({ state: 'running', done: 3, succeeded: 3, cursor: queued[2] });
      expect((await store().getJob(queued[3]))?.state).toBe('queued');
      // Queued before the round starts: it runs between two batches, not after the last.
      const turn = new Promise<string>((resolve) => setImmediate(() => resolve('event loop')));
      const round = engine.operations.run();
      expect(await Promise.race([round.then(() => 'round done'), turn])).toBe('event loop');
      await round;
      const done = await engine.bulk.get(op.id, SYSTEM_ACTOR);
      expect(done).toMatchObject({ state: 'done', total: 7, done: 7, succeeded: 7, skipped: 0, failed: 0 });
      for (const id of queued) expect((await store().getJob(id))?.state).toBe('cancelled');
      const west = await store().listJobs({ sites: ['west'], limit: 10 });
      expect(west.items.map((j) => j.state)).toEqual(['queued', 'queued']);
      const audit = await store().listAudit({ sites: null, limit: 10 });
      expect(audit.items.map((a) => a.action)).toEqual(expect.arrayContaining(['job.bulk.cancel', 'operation.finished']));
      await engine.stop();
    });

    it('resumes from its cursor after a restart, doing no job twice', async () => {
      const first = engineOn(store(), 4);
      const ids = await submit(store(), 10);
      const op = await first.bulk.start({ action: 'pause', filter: {} }, SYSTEM_ACTOR);
      await first.operations.step(op);
      await first.operations.step((await store().getOperation(op.id)) as NonNullable<Awaited<ReturnType<Store['getOperation']>>>);
      await first.stop();
      // A stale batch (the cursor moved on) is refused, with nothing written.
      expect(
        await store().applyOperationBatch(
          { operationId: op.id, action: 'pause', options: {}, actor: 'system', from: 0, to: ids[3], apply: ids.slice(0, 4), skip: [], last: false },
          T0 + 20_000,
        ),
      ).toBeNull();
      const second = engineOn(store(), 4);
      await second.operations.run();
      expect(await store().getOperation(op.id)).toMatchObject({ state: 'done', done: 10, succeeded: 10, skipped: 0 });
      for (const id of ids) expect((await store().getJob(id))?.state).toBe('paused');
      await second.stop();
    });

    it('skips, with reasons, jobs out of the actor’s sites, of workflows without the control, and in states that refuse it', async () => {
      const engine = engineOn(store());
      await store().ensureSites(['east', 'west'], T0);
      const [east1, east2] = await submit(store(), 2, { site: 'east' });
      const [fixedJob] = await submit(store(), 1, { site: 'east', workflow: 'fixed' });
      const [west] = await submit(store(), 1, { site: 'west' });
      await engine.control(east2, 'cancel', SYSTEM_ACTOR);
      const op = await engine.bulk.start({ action: 'cancel', ids: [east1, east2, fixedJob, west, 999_999] }, EAST_OPERATOR);
      await engine.operations.run();
      const done = await engine.bulk.get(op.id, EAST_OPERATOR);
      expect(done).toMatchObject({ state: 'done', done: 5, succeeded: 1, skipped: 4, failed: 0 });
      expect(done.reasons).toEqual({
        'not found': { count: 2, jobIds: [west, 999_999] },
        'workflow fixed does not support cancel': { count: 1, jobIds: [fixedJob] },
        'cancelled: cannot cancel': { count: 1, jobIds: [east2] },
      });
      expect((await store().getJob(west))?.state).toBe('queued');
      expect((await store().getJob(fixedJob))?.state).toBe('queued');
      // The operation is the east operator's and east's: a west-only caller does not see it.
      await expect(engine.bulk.get(op.id, { ...EAST_OPERATOR, sites: ['west'] })).rejects.toMatchObject({ code: 'SWY_ERR_OPERATION_NOT_FOUND' });
      await engine.stop();
    });

    it('makes batches of jobs with many tasks smaller, down to one job, by ids and by filter', async () => {
      const engine = new Engine({
        store: store(),
        workflows: new WorkflowRegistry([demo, fixed]),
        runDuties: false,
        clock: () => T0 + 10_000,
        operations: { batchSize: 10, batchTasks: 4 },
      });
      const tasks = (n: number) => Array.from({ length: n }, () => ({ type: 'work', input: null }));
      // Tasks per job: 1, 1, 5, 2, 2, 1: batches [1, 1], [5] (alone, over the bound), [2, 2], [1].
      const ids: number[] = [];
      for (const n of [1, 1, 5, 2, 2, 1]) ids.push(...(await submit(store(), 1, { tasks: tasks(n) })));
      for (const selection of [{ ids: [...ids, 999_999] }, { filter: {} }]) {
        const op = await engine.bulk.start({ action: 'pause', ...selection }, SYSTEM_ACTOR);
        const cursors: number[] = [];
        let current = op;
        while (current.state === 'running') {
          current = (await engine.operations.step(current)) as typeof op;
          cursors.push(current.cursor);
        }
        const expected = 'ids' in selection ? [ids[1], ids[2], ids[4], 999_999] : [ids[1], ids[2], ids[4], ids[5]];
        expect(cursors).toEqual(expected);
        const skipped = 'ids' in selection ? 1 : 0;
        expect(current).toMatchObject({ state: 'done', done: ids.length + skipped, succeeded: 'ids' in selection ? ids.length : 0 });
        for (const id of ids) expect((await store().getJob(id))?.state).toBe('paused');
      }
      await engine.stop();
    });

    it('is cancelled between batches, keeping what was done', async () => {
      const engine = engineOn(store(), 2);
      await submit(store(), 6);
      const op = await engine.bulk.start({ action: 'cancel', filter: {} }, SYSTEM_ACTOR);
      await engine.operations.step(op);
      const cancelled = await engine.bulk.cancel(op.id, SYSTEM_ACTOR);
      expect(cancelled).toMatchObject({ state: 'cancelled', done: 2 });
      await engine.operations.run();
      expect(await store().getOperation(op.id)).toMatchObject({ state: 'cancelled', done: 2 });
      await expect(engine.bulk.cancel(op.id, SYSTEM_ACTOR)).rejects.toMatchObject({ code: 'SWY_ERR_OPERATION_STATE' });
      await engine.stop();
    });

    it('subscribes to many jobs once each, and deletes only finished ones', async () => {
      const engine = engineOn(store());
      const ids = await submit(store(), 4);
      const sub = await engine.bulk.start({ action: 'subscribe', ids: ids.slice(0, 2), options: { channel: 'console' } }, SYSTEM_ACTOR);
      await engine.operations.run();
      const again = await engine.bulk.start({ action: 'subscribe', ids: ids.slice(0, 2) }, SYSTEM_ACTOR);
      await engine.operations.run();
      expect(await store().getOperation(sub.id)).toMatchObject({ succeeded: 2 });
      expect(await store().getOperation(again.id)).toMatchObject({ succeeded: 0, skipped: 2, reasons: { 'already subscribed': { count: 2 } } });
      expect((await store().listSubscriptions('system')).map((s) => s.jobId)).toEqual(ids.slice(0, 2));
      await finish(store(), 'local', T0 + 1000, T0 + 2000);
      const [extra] = await submit(store(), 1);
      const del = await engine.bulk.start({ action: 'delete', filter: {} }, SYSTEM_ACTOR);
      await engine.operations.run();
      expect(await store().getOperation(del.id)).toMatchObject({ state: 'done', succeeded: 4, skipped: 1 });
      expect(await store().getJob(ids[0])).toBeNull();
      expect((await store().getJob(extra))?.state).toBe('queued');
      await engine.stop();
    });

    it('aggregates the dashboard from known jobs into known numbers', async () => {
      const engine = engineOn(store());
      await store().ensureSites(['east', 'west'], T0);
      const HOUR = 3_600_000;
      // The window on whole minutes (the store counts jobs per minute); T0 is 20 s into one.
      const M0 = T0 - (T0 % 60_000);
      // east: 3 jobs created in the first hour; 2 succeed (2 s and 4 s), 1 fails (10 s) in the second hour.
      await submit(store(), 3, { site: 'east' });
      await finish(store(), 'east', T0 + HOUR, T0 + HOUR + 2000); // all three lease at once…
      // …so re-create the spread of durations with fresh jobs instead: easier to read.
      const east = await store().listJobs({ sites: ['east'], limit: 10 });
      expect(east.items.every((j) => j.state === 'success')).toBe(true);
      await store().submitJobs([newJob({ site: 'east' })], T0 + 10 * 60_000);
      await finish(store(), 'east', T0 + HOUR, T0 + HOUR + 4000);
      await store().submitJobs([newJob({ site: 'east' })], T0 + 20 * 60_000);
      await finish(store(), 'east', T0 + HOUR, T0 + HOUR + 10_000, 'failed');
      // west: one job still queued; never seen by an east-only caller.
      await store().submitJobs([newJob({ site: 'west' })], T0 + 30 * 60_000);
      const board = await engine.dashboard.dashboard({ from: M0, to: M0 + 2 * HOUR, bucketMs: HOUR }, EAST_OPERATOR);
      expect(board.created).toEqual([
        { at: M0, total: 5, states: { success: 4, failure: 1 } },
        { at: M0 + HOUR, total: 0, states: {} },
      ]);
      expect(board.ended).toEqual([
        { at: M0, total: 0, states: {} },
        { at: M0 + HOUR, total: 5, states: { success: 4, failure: 1 } },
      ]);
      expect(board.totals).toMatchObject({ created: 5, ended: 5, success: 4, failure: 1, error: 0 });
      expect(board.failureRate).toBeCloseTo(0.2);
      expect(board.throughputPerHour).toBeCloseTo(2.5);
      // Durations 2000 ×3, 4000, 10000: p50 2000, p95 10000.
      expect(board.durations).toEqual([{ workflow: 'demo', count: 5, p50Ms: 2000, p95Ms: 10_000 }]);
      const global = await engine.dashboard.dashboard({ from: M0, to: M0 + 2 * HOUR, bucketMs: HOUR }, SYSTEM_ACTOR);
      expect(global.created[0].total).toBe(6);
      expect(global.created[0].states.queued).toBe(1);
      await expect(engine.dashboard.dashboard({ site: 'west' }, EAST_OPERATOR)).rejects.toMatchObject({ code: 'SWY_ERR_AUTH_SITE' });
      await engine.stop();
    });
  });
}
