import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Engine } from '../../src/engine/engine.js';
import { type BulkAction, type LeasedTask, normalizeLocks, SwitchyardError, SYSTEM_ACTOR } from '../../src/model/index.js';
import { defineWorkflow } from '../../src/sdk/define-workflow.js';
import { WorkflowRegistry } from '../../src/sdk/workflow-registry.js';
import type { Store } from '../../src/store/store.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';
import { expectRollupMatchesJobs } from './rollup-conformance.js';

const T0 = 1_700_000_000_000;
/** When the controls are applied: after every job of both worlds was made. */
const ACT = T0 + 1_000_000;
const demo = defineWorkflow({ name: 'demo', fields: z.object({}), plan: () => [{ type: 'work' }], tasks: { work: () => {} } });

/** The jobs of a world, by role (each role the same in both worlds). */
const ROLES = [
  'succeeded',
  'failedWithLock',
  'failedWithOtherLock',
  'failedInLine',
  'cancelled',
  'failedWithDeps',
  'pausedWithOtherLock',
  'lockHolder',
  'lockWaiter',
  'lineHolder',
  'lineWaiter',
  'paused',
  'pausing',
  'halfRunning',
  'queued',
  'memberFirst',
  'memberNext',
  'queuedLockHolder',
  'lockBystander',
  'lineFront',
  'lineBystander',
] as const;
type Role = (typeof ROLES)[number];
/** Jobs no control names: they wait on jobs that do, and must be let go when those end. */
const BYSTANDERS: readonly Role[] = ['lockBystander', 'lineBystander'];

/**
 * Builds, at its own site and on its own lock and concurrency key, the same mix of jobs in
 * many states: ended (success, failure with a lock, failure in a concurrency line, failure
 * with dependent tasks, cancelled), running with leased tasks, holding and waiting for a lock
 * or a concurrency slot, paused, pausing, queued, members of an envelope. Answers the job ids
 * in ROLES order.
 */
async function buildWorld(store: Store, tag: string): Promise<number[]> {
  const site = `site-${tag}`;
  let clock = T0;
  const now = () => (clock += 10);
  await store.ensureSites([site], now());
  const ids = new Map<Role, number>();
  const submit = async (role: Role, extra: Parameters<typeof newJob>[0] = {}) => {
    const [{ job }] = await store.submitJobs([newJob({ site, ...extra })], now());
    ids.set(role, job.id);
  };
  const lease = (limit = 100) => store.leaseTasks({ workerId: `w-${tag}`, site, workflows: ['demo'], limit, leaseMs: 3_600_000, now: now() });
  const end = async (leased: LeasedTask[], role: Role, kind: 'succeeded' | 'failed') => {
    const task = leased.find((t) => t.job.id === ids.get(role)) as LeasedTask;
    const report = kind === 'succeeded' ? { kind, changed: true } : { kind, error: { message: 'no' }, retryable: false };
    await store.completeTasks([{ taskId: task.task.id, leaseToken: task.leaseToken, report } as never], now());
  };
  const lock = normalizeLocks([`files/${tag}`]);
  // Held by a job that ended, then by a paused one that never started: a retry of the first waits on it.
  const otherLock = normalizeLocks([`other/${tag}`]);
  const line = { limit: null, perKey: 1, key: `key-${tag}` };

  await submit('succeeded');
  await submit('failedWithLock', { locks: lock });
  await submit('failedWithOtherLock', { locks: otherLock });
  await submit('failedInLine', { concurrency: line });
  await submit('cancelled');
  await submit('failedWithDeps', {
    tasks: [
      { type: 'work', input: null, key: 'a' },
      { type: 'work', input: null, key: 'b', after: ['a'] },
    ],
  });
  await store.controlJob(ids.get('cancelled') as number, 'cancel', now());
  const first = await lease();
  await end(first, 'succeeded', 'succeeded');
  await end(first, 'failedWithLock', 'failed');
  await end(first, 'failedWithOtherLock', 'failed');
  await end(first, 'failedInLine', 'failed');
  await end(first, 'failedWithDeps', 'failed');

  await submit('pausedWithOtherLock', { locks: otherLock });
  await store.controlJob(ids.get('pausedWithOtherLock') as number, 'pause', now());
  await submit('lockHolder', { locks: lock });
  await submit('lockWaiter', { locks: lock });
  await submit('lineHolder', { concurrency: line });
  await submit('lineWaiter', { concurrency: line });
  await lease();
  await submit('paused');
  await store.controlJob(ids.get('paused') as number, 'pause', now());
  await submit('pausing');
  await lease();
  await store.controlJob(ids.get('pausing') as number, 'pause', now());
  // One of its two tasks leased, the other queued.
  await submit('halfRunning', {
    tasks: [
      { type: 'work', input: null },
      { type: 'work', input: null },
    ],
  });
  await lease(1);
  await submit('queued');
  // An envelope of two members, the second after the first (that goes on when a member fails).
  const { envelope } = await store.submitEnvelope(
    { type: 'jobs', site, queue: 'default', creator: 'tester', idempotencyKey: null, fileName: null, onError: 'continue' },
    [
      { job: newJob({ site }), after: [] },
      { job: newJob({ site }), after: [0] },
    ],
    now(),
  );
  const members = await store.envelopeMembers(envelope.id);
  ids.set('memberFirst', members[0].job.id);
  ids.set('memberNext', members[1].job.id);
  // Admitted but not started (a lock, a concurrency slot), each with a job outside the controls waiting behind it.
  await submit('queuedLockHolder', { locks: normalizeLocks([`third/${tag}`]) });
  await submit('lockBystander', { locks: normalizeLocks([`third/${tag}`]) });
  await submit('lineFront', { concurrency: { limit: null, perKey: 1, key: `front-${tag}` } });
  await submit('lineBystander', { concurrency: { limit: null, perKey: 1, key: `front-${tag}` } });
  return ROLES.map((role) => ids.get(role) as number);
}

/** The world's envelope, then its jobs, as comparable across worlds: ids replaced by their role, the world's tag by `*`. */
async function snapshot(store: Store, ids: number[], tag: string): Promise<Record<string, unknown>[]> {
  const role = (id: number | null | undefined) => (id == null ? null : (ROLES[ids.indexOf(id)] ?? 'outside'));
  const text = (value: string | null) => value?.replaceAll(tag, '*').replace(/\d+/g, '#') ?? null;
  const out: Record<string, unknown>[] = [];
  const envelope = await store.getEnvelope((await store.getJob(ids[ROLES.indexOf('memberFirst')]))?.envelopeId as number);
  out.push({ envelope: envelope && { status: envelope.status, jobCounts: envelope.jobCounts, totalJobs: envelope.totalJobs, reason: text(envelope.reason) } });
  for (const id of ids) {
    const job = await store.getJob(id);
    if (!job) throw new Error(`job ${id} is gone`);
    const tasks = await store.listTasks(id, { limit: 100 });
    out.push({
      role: role(id),
      state: job.state,
      intent: job.intent,
      outcome: job.outcome,
      reason: text(job.reason),
      startedAt: job.startedAt,
      endedAt: job.endedAt,
      progress: job.progress,
      taskCounts: job.taskCounts,
      lockWaitOn: role(job.lockWaitOn),
      concurrencySlot: job.concurrencySlot ?? null,
      tasks: tasks.items.map((t) => ({ state: t.state, attempts: t.attempts, reason: text(t.reason), leased: t.leaseExpiresAt !== null })),
    });
  }
  return out;
}

/**
 * Job events appended since `afterId` at the world's site, per job role, as a sorted list. (An
 * envelope whose members move in one batch moves once, straight to where the single-job
 * controls take it in steps: its final status is compared in the snapshot instead.)
 */
async function eventsSince(store: Store, afterId: number, ids: number[], tag: string): Promise<string[]> {
  const events = await store.listEvents(afterId, 1000, [`site-${tag}`]);
  return events
    .filter((e) => e.jobId !== null)
    .map((e) => {
      const data = e.data as Record<string, unknown>;
      return `${ROLES[ids.indexOf(e.jobId as number)] ?? 'outside'} ${e.type} ${data.from ?? ''}→${data.to ?? ''}`;
    })
    .sort();
}

/** The roles a world's workers may lease tasks of now. */
async function leasable(store: Store, ids: number[], tag: string): Promise<string[]> {
  const leased = await store.leaseTasks({ workerId: `w-${tag}`, site: `site-${tag}`, workflows: ['demo'], limit: 100, leaseMs: 60_000, now: ACT + 1 });
  return [...new Set(leased.map((t) => ROLES[ids.indexOf(t.job.id)]))].sort();
}

/**
 * A bulk operation's batch against the single-job controls: the same mix of jobs, built twice
 * (at two sites, on their own lock and concurrency key), controlled one job at a time in one
 * world and in a single batch in the other, ends the same: the same jobs refused for the same
 * reasons, the same states, counters, reasons, locks, lines, events, and tasks a worker may take.
 */
export function describeBatchControlsConformance(harness: StoreHarness): void {
  describe(`batch controls conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);

    for (const action of ['cancel', 'pause', 'resume', 'retry'] as const satisfies readonly BulkAction[]) {
      it(`a batch ${action} acts on a mix of jobs as the single-job ${action} does, one job after the other`, async () => {
        const single = await buildWorld(store(), 'one');
        const batch = await buildWorld(store(), 'all');
        const before = (await store().listEvents(0, 10_000, null)).at(-1)?.id ?? 0;

        // One job at a time, ascending, as an operator would: refusals noted with the reason a bulk operation gives.
        const refusedOne: Record<string, string> = {};
        for (const [i, id] of single.entries()) {
          if (BYSTANDERS.includes(ROLES[i])) continue;
          try {
            if (action === 'retry') await store().retryJob(id, ACT);
            else await store().controlJob(id, action, ACT);
          } catch (error) {
            if (!(error instanceof SwitchyardError)) throw error;
            const state = /is (\w+): it cannot/.exec(error.message)?.[1];
            const superseded = error.code === 'SWY_ERR_RETRY_SUPERSEDED' ? 'superseded by a later job on the same resources' : error.code;
            refusedOne[ROLES[i]] = state ? `${state}: cannot ${action}` : superseded;
          }
        }

        // Every job of the other world in one batch.
        const engine = new Engine({
          store: store(),
          workflows: new WorkflowRegistry([demo]),
          runDuties: false,
          clock: () => ACT,
          operations: { batchSize: 100 },
        });
        const controlled = batch.filter((_, i) => !BYSTANDERS.includes(ROLES[i]));
        const op = await engine.bulk.start({ action, ids: controlled }, SYSTEM_ACTOR);
        await engine.operations.run();
        await engine.stop();
        const done = await store().getOperation(op.id);
        expect(done).toMatchObject({ state: 'done', done: controlled.length });
        const refusedAll: Record<string, string> = {};
        for (const [reason, group] of Object.entries(done?.reasons ?? {})) {
          for (const id of group.jobIds) refusedAll[ROLES[batch.indexOf(id)]] = reason;
        }
        expect(refusedAll).toEqual(refusedOne);
        expect(done?.succeeded).toBe(controlled.length - Object.keys(refusedOne).length);
        // The mix is a mix: the action applies to some jobs and is refused to others.
        expect(done?.succeeded).toBeGreaterThan(0);
        expect(Object.keys(refusedOne).length).toBeGreaterThan(0);

        const after = await snapshot(store(), batch, 'all');
        expect(after).toEqual(await snapshot(store(), single, 'one'));
        // The mix reaches the paths that cost statements of their own: locks, lines, dependencies.
        const byRole = Object.fromEntries(after.slice(1).map((job) => [job.role, job]));
        if (action === 'retry') {
          expect(byRole.failedWithOtherLock).toMatchObject({ state: 'queued', lockWaitOn: 'pausedWithOtherLock' });
          expect(byRole.failedInLine).toMatchObject({ state: 'queued', concurrencySlot: 'waiting' });
          expect(byRole.failedWithDeps.tasks).toMatchObject([{ state: 'queued' }, { state: 'created' }]);
        }
        if (action === 'cancel') {
          expect(byRole.halfRunning.tasks).toMatchObject([{ state: 'cancelling' }, { state: 'cancelled' }]);
          expect(byRole.lockBystander).toMatchObject({ state: 'queued', lockWaitOn: null });
          expect(byRole.lineBystander).toMatchObject({ state: 'queued', concurrencySlot: 'held' });
        }
        expect(await eventsSince(store(), before, batch, 'all')).toEqual(await eventsSince(store(), before, single, 'one'));
        expect(await leasable(store(), batch, 'all')).toEqual(await leasable(store(), single, 'one'));
        // The dashboard's roll-up and the queue counts followed every job the batch moved.
        await expectRollupMatchesJobs(store());
      });
    }
  });
}
