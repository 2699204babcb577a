import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ItemRecord, JobRecord } from '../../src/model/index.js';
import type { LeasedTask, Page, Store, TaskCompletion } from '../../src/store/store.js';
import { newJob, type StoreHarness } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w1', site: 'local', workflows: ['demo'], limit: 10, leaseMs: 30_000 };

/**
 * The store contract as one suite, run unchanged against every backend (sqlite.test.ts,
 * postgres.test.ts). Every test gets an empty store of its own.
 */
export function describeStoreConformance(harness: StoreHarness): void {
  describe(`store conformance: ${harness.name}`, () => {
    let store: Store;
    let unavailable: string | null = null;

    beforeAll(async () => {
      unavailable = await harness.available();
      if (unavailable) console.warn(`\n!!! SKIPPING ${harness.name} conformance: ${unavailable}\n`);
    });
    beforeEach(async (context) => {
      if (unavailable) context.skip();
      store = await harness.create(context.task.name);
    });
    afterEach(async () => {
      if (store) await harness.destroy(store);
    });

    const lease = (overrides: Partial<typeof LEASE> & { now?: number } = {}) => store.leaseTasks({ ...LEASE, now: T0 + 1, ...overrides });
    /** Job 1 (or the next) with tasks a and b, neither waiting on the other. */
    const submitTwoTasks = () =>
      store.submitJobs(
        [
          newJob({
            tasks: [
              { type: 'a', input: null },
              { type: 'b', input: null },
            ],
          }),
        ],
        T0,
      );
    const succeed = (t: LeasedTask, extra: Partial<TaskCompletion> = {}, now = T0 + 2) =>
      store.completeTasks([{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: false }, ...extra }], now);

    describe('migrations', () => {
      it('applies again without error or change', async () => {
        await store.migrate();
        await store.submitJobs([newJob()], T0);
        await store.migrate();
        expect((await store.listJobs({ sites: null, limit: 10 })).items).toHaveLength(1);
      });
    });

    describe('submit', () => {
      it('creates a queued job with its tasks counted and a job:created event', async () => {
        const [{ job, created }] = await store.submitJobs(
          [
            newJob({
              fields: { root: '/data' },
              tasks: [
                { type: 'a', input: 1 },
                { type: 'b', input: 2 },
              ],
            }),
          ],
          T0,
        );
        expect(created).toBe(true);
        expect(job).toMatchObject({ workflow: 'demo', state: 'queued', site: 'local', queue: 'default', creator: 'tester', fields: { root: '/data' } });
        expect(job.taskCounts.queued).toBe(2);
        expect(job.progress).toEqual({ done: 0, total: 2000 });
        expect(job.createdAt).toBe(T0);
        const events = await store.listEvents(0, 10, null);
        expect(events.map((e) => e.type)).toEqual(['job:created']);
        expect(events[0].jobId).toBe(job.id);
        expect((await store.listSites()).map((s) => s.name)).toContain('local');
        expect((await store.listQueues(null)).map((q) => q.name)).toContain('default');
      });

      it('gives increasing integer ids', async () => {
        const results = await store.submitJobs([newJob(), newJob(), newJob()], T0);
        const ids = results.map((r) => r.job.id);
        expect(ids.every(Number.isInteger)).toBe(true);
        expect([...ids].sort((a, b) => a - b)).toEqual(ids);
        expect(new Set(ids).size).toBe(3);
      });

      it('gives each job of a large batch its own row and tasks, whatever the batch size (rows are inserted many to a statement)', async () => {
        // 150 jobs of 1–3 tasks: whole chunks and a remainder, for jobs and for tasks alike.
        const jobs = Array.from({ length: 150 }, (_, i) =>
          newJob({
            fields: { n: i },
            idempotencyKey: i % 7 === 0 ? `batch-${i}` : null,
            tasks: Array.from({ length: (i % 3) + 1 }, (_, k) => ({ type: `t${k}`, input: { n: i, k } })),
          }),
        );
        const results = await store.submitJobs(jobs, T0);
        const ids = results.map((r) => r.job.id);
        expect(new Set(ids).size).toBe(150);
        expect([...ids].sort((a, b) => a - b)).toEqual(ids);
        for (const [i, { job }] of results.entries()) {
          expect(job.fields).toEqual({ n: i });
          const stored = await store.getJob(job.id);
          expect(stored).toMatchObject({ fields: { n: i }, idempotencyKey: i % 7 === 0 ? `batch-${i}` : null, taskCounts: { queued: (i % 3) + 1 } });
        }
        for (const i of [0, 63, 64, 65, 127, 128, 149]) {
          const tasks = (await store.listTasks(ids[i], { limit: 10 })).items;
          expect(tasks.map((t) => [t.type, t.input])).toEqual(Array.from({ length: (i % 3) + 1 }, (_, k) => [`t${k}`, { n: i, k }]));
        }
      });

      it('answers the existing job for a repeated idempotency key, in one batch or across calls', async () => {
        const [first, again] = await store.submitJobs([newJob({ idempotencyKey: 'k1' }), newJob({ idempotencyKey: 'k1' })], T0);
        expect(first.created).toBe(true);
        expect(again).toMatchObject({ created: false, job: { id: first.job.id } });
        const [later] = await store.submitJobs([newJob({ idempotencyKey: 'k1' })], T0 + 5);
        expect(later).toMatchObject({ created: false, job: { id: first.job.id } });
        expect((await store.listJobs({ sites: null, limit: 10 })).items).toHaveLength(1);
      });

      it('refuses a repeated idempotency key in another submission, writing nothing of its batch', async () => {
        const [first] = await store.submitJobs([newJob({ idempotencyKey: 'k2', fields: { a: 1, b: [1, 2] } })], T0);
        // The same submission, its fields in another order, is answered its job.
        expect((await store.submitJobs([newJob({ idempotencyKey: 'k2', fields: { b: [1, 2], a: 1 } })], T0 + 1))[0]).toMatchObject({
          created: false,
          job: { id: first.job.id },
        });
        for (const other of [
          { fields: { a: 2, b: [1, 2] } },
          { creator: 'someone else', fields: { a: 1, b: [1, 2] } },
          { site: 'east', fields: { a: 1, b: [1, 2] } },
        ]) {
          await expect(store.submitJobs([newJob(), newJob({ idempotencyKey: 'k2', ...other })], T0 + 2)).rejects.toMatchObject({
            code: 'SWY_ERR_IDEMPOTENCY_CONFLICT',
            fields: [{ path: 'jobs.1.idempotencyKey' }],
          });
        }
        // Two submissions of one key in one batch must agree too.
        await expect(store.submitJobs([newJob({ idempotencyKey: 'k3' }), newJob({ idempotencyKey: 'k3', priority: 5 })], T0 + 3)).rejects.toMatchObject({
          code: 'SWY_ERR_IDEMPOTENCY_CONFLICT',
        });
        expect((await store.listJobs({ sites: null, limit: 10 })).items.map((job) => job.id)).toEqual([first.job.id]);
      });

      it('rejects a plan whose task waits on an unknown key, writing nothing', async () => {
        await expect(store.submitJobs([newJob(), newJob({ tasks: [{ type: 'a', input: null, after: ['missing'] }] })], T0)).rejects.toMatchObject({
          code: 'SWY_ERR_WORKFLOW_PLAN',
        });
        expect((await store.listJobs({ sites: null, limit: 10 })).items).toHaveLength(0);
        expect(await store.lastEventId()).toBe(0);
      });

      it('ends a job with no tasks as skipped at once', async () => {
        const [{ job }] = await store.submitJobs([newJob({ tasks: [] })], T0);
        expect(job).toMatchObject({ state: 'skipped', outcome: 'unchanged', endedAt: T0 });
      });

      it('wakes workers of the site after the commit', async () => {
        const signals: unknown[] = [];
        const off = store.onWake((signal) => signals.push(signal));
        await store.submitJobs([newJob({ site: 'east' })], T0);
        off();
        expect(signals).toContainEqual({ kind: 'tasks', site: 'east' });
      });
    });

    describe('lease', () => {
      it('leases ready tasks of the worker site and workflows, highest priority first', async () => {
        await store.submitJobs([newJob({ priority: 1 }), newJob({ priority: 5 }), newJob({ site: 'other' }), newJob({ workflow: 'unknown' })], T0);
        const leased = await lease();
        expect(leased.map((l) => l.job.id)).toEqual([2, 1]);
        expect(leased[0].task).toMatchObject({ state: 'running', attempts: 1, workerId: 'w1', leaseExpiresAt: T0 + 1 + 30_000 });
        expect(leased[0].leaseToken).toEqual(expect.any(String));
        expect(leased[0].job).toMatchObject({ workflow: 'demo', site: 'local', queue: 'default', creator: 'tester', fields: {} });
        const job = await store.getJob(2);
        expect(job).toMatchObject({ state: 'running', startedAt: T0 + 1 });
        expect(job?.taskCounts.running).toBe(1);
      });

      it('never leases one task twice, even to concurrent callers', async () => {
        await store.submitJobs(
          Array.from({ length: 30 }, () => newJob()),
          T0,
        );
        const batches = await Promise.all([1, 2, 3, 4].map((n) => lease({ workerId: `w${n}`, limit: 10 })));
        const ids = batches.flat().map((l) => l.task.id);
        expect(ids).toHaveLength(30);
        expect(new Set(ids).size).toBe(30);
      });

      it('holds back delayed jobs until their time', async () => {
        await store.submitJobs([newJob({ runAt: T0 + 60_000 })], T0);
        expect(await lease()).toHaveLength(0);
        expect(await lease({ now: T0 + 60_000 })).toHaveLength(1);
      });

      it('passes the task input and key to the worker', async () => {
        await store.submitJobs([newJob({ tasks: [{ type: 'scan', key: 'root', input: { path: '/x', depth: 2 } }] })], T0);
        const [leased] = await lease();
        expect(leased.task).toMatchObject({ type: 'scan', key: 'root', input: { path: '/x', depth: 2 } });
      });
    });

    describe('complete', () => {
      it('settles success: job success, progress full, outcome from the changed flag', async () => {
        await store.submitJobs([newJob(), newJob()], T0);
        const [a, b] = await lease();
        await succeed(a, { report: { kind: 'succeeded', changed: true, result: { n: 1 } } });
        await succeed(b);
        const jobA = await store.getJob(a.job.id);
        expect(jobA).toMatchObject({ state: 'success', outcome: 'changed', endedAt: T0 + 2, progress: { done: 1000, total: 1000 } });
        expect(await store.getJob(b.job.id)).toMatchObject({ state: 'success', outcome: 'unchanged' });
        expect(await store.getTask(a.task.id)).toMatchObject({ state: 'success', changed: true, result: { n: 1 }, endedAt: T0 + 2 });
        const types = (await store.listEvents(0, 100, null)).filter((e) => e.jobId === a.job.id).map((e) => `${e.type}:${e.data.to ?? ''}`);
        expect(types).toEqual([
          'job:created:',
          'task:state:changed:running',
          'job:state:changed:running',
          'task:state:changed:success',
          'job:state:changed:success',
        ]);
      });

      it('records items in bulk and ends in error when some failed', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease();
        const items = Array.from({ length: 1000 }, (_, i) => ({
          path: `/data/f${i}`,
          operation: 'copy',
          outcome: i % 100 === 0 ? ('failed' as const) : ('completed' as const),
          bytes: i,
          error: i % 100 === 0 ? 'disk full' : null,
        }));
        await store.recordActivity([{ taskId: t.task.id, leaseToken: t.leaseToken, items: items.slice(0, 500) }], T0 + 2);
        await succeed(t, { items: items.slice(500) }, T0 + 3);
        const job = await store.getJob(t.job.id);
        expect(job).toMatchObject({ state: 'error', itemCounts: { completed: 990, failed: 10, queued: 0, skipped: 0 } });
        expect(job?.reason).toMatch(/completed with errors/);
        expect(await store.getTask(t.task.id)).toMatchObject({ state: 'error', itemsFailed: 10, reason: '10 items failed' });
        const failed = await store.listItems(t.job.id, { outcome: 'failed', limit: 100 });
        expect(failed.items).toHaveLength(10);
        expect(failed.items[0]).toMatchObject({ path: '/data/f0', error: 'disk full', taskId: t.task.id });
      });

      it('retries a thrown task after a backoff and fails it once out of attempts', async () => {
        await store.submitJobs([newJob()], T0);
        const fail = (t: LeasedTask, now: number) =>
          store.completeTasks([{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'failed', error: { message: 'boom' }, retryable: true } }], now);
        const [first] = await lease();
        const [settled] = await fail(first, T0 + 2);
        expect(settled).toMatchObject({ accepted: true, state: 'queued' });
        const retrying = await store.getTask(first.task.id);
        expect(retrying?.availableAt).toBeGreaterThan(T0 + 2);
        expect(retrying?.reason).toMatch(/retrying after attempt 1 of 2: boom/);
        expect(await store.getJob(first.job.id)).toMatchObject({ state: 'running' });
        expect(await lease({ now: T0 + 3 })).toHaveLength(0);
        const [second] = await lease({ now: T0 + 60_000 });
        expect(second.task.attempts).toBe(2);
        await fail(second, T0 + 60_001);
        const job = await store.getJob(first.job.id);
        expect(job).toMatchObject({ state: 'failure' });
        expect(job?.reason).toMatch(/failed: boom/);
        expect(await store.getTask(first.task.id)).toMatchObject({ state: 'failure', error: { message: 'boom' } });
      });

      it('fails at once on a non-retryable error', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease();
        await store.completeTasks(
          [{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'failed', error: { message: 'bad input' }, retryable: false } }],
          T0 + 2,
        );
        expect(await store.getJob(t.job.id)).toMatchObject({ state: 'failure' });
      });

      it('ends skipped when every task was skipped, success when some were not', async () => {
        await store.submitJobs(
          [
            newJob({
              tasks: [
                { type: 'a', input: null },
                { type: 'b', input: null },
              ],
            }),
            newJob({
              tasks: [
                { type: 'a', input: null },
                { type: 'b', input: null },
              ],
            }),
          ],
          T0,
        );
        const leased = await lease();
        const skip = (t: LeasedTask) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'skipped' as const, reason: 'up to date' } });
        await store.completeTasks([skip(leased[0]), skip(leased[1]), skip(leased[2])], T0 + 2);
        await succeed(leased[3]);
        expect(await store.getJob(1)).toMatchObject({ state: 'skipped', outcome: 'unchanged' });
        expect(await store.getJob(2)).toMatchObject({ state: 'success' });
      });

      it('refuses reports with a superseded lease token and changes nothing', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease();
        const stale = { ...t, leaseToken: 'not-the-token' };
        expect(await succeed(stale)).toEqual([{ taskId: t.task.id, accepted: false }]);
        expect(
          await store.recordActivity([{ taskId: t.task.id, leaseToken: 'nope', items: [{ path: 'x', operation: 'op', outcome: 'completed' }] }], T0 + 2),
        ).toEqual([{ taskId: t.task.id, accepted: false }]);
        const job = await store.getJob(t.job.id);
        expect(job).toMatchObject({ state: 'running', itemCounts: { completed: 0 } });
        expect(await succeed(t)).toEqual([{ taskId: t.task.id, accepted: true, state: 'success' }]);
        expect(await succeed(t)).toEqual([{ taskId: t.task.id, accepted: false }]);
      });

      it('gives a released task back without counting the attempt', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease();
        await store.completeTasks([{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'released' } }], T0 + 2);
        expect(await store.getTask(t.task.id)).toMatchObject({ state: 'queued', attempts: 0, workerId: 'w1' });
      });

      it('keeps log lines in order and pages through them', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease();
        await store.recordActivity([{ taskId: t.task.id, leaseToken: t.leaseToken, logs: ['one', 'two'] }], T0 + 2);
        await succeed(t, { logs: ['three'] }, T0 + 3);
        expect((await store.taskOutput(t.task.id, 0, 10)).map((l) => [l.seq, l.line])).toEqual([
          [1, 'one'],
          [2, 'two'],
          [3, 'three'],
        ]);
        expect((await store.taskOutput(t.task.id, 1, 1)).map((l) => l.line)).toEqual(['two']);
      });

      it('finds the log lines that contain a text, within a seq range, ASCII letters in either case', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease();
        const logs = ['Starting', 'ERROR: disk full', 'ok', 'error again', '50% done', 'a_b', 'axb', '\u001b[31mError\u001b[0m', 'ÉTÉ', 'été'];
        await store.recordActivity([{ taskId: t.task.id, leaseToken: t.leaseToken, logs }], T0 + 2);
        const search = (needle: string, after = 0, through = 1000, limit = 100) => store.searchTaskOutput(t.task.id, needle, after, through, limit);
        expect(await search('error')).toEqual([2, 4, 8]);
        expect(await search('ERROR')).toEqual([2, 4, 8]);
        expect(await search('error', 2)).toEqual([4, 8]);
        expect(await search('error', 0, 4)).toEqual([2, 4]);
        expect(await search('error', 0, 1000, 2)).toEqual([2, 4]);
        // LIKE's wildcards are plain characters here.
        expect(await search('%')).toEqual([5]);
        expect(await search('_')).toEqual([6]);
        // Only ASCII letters fold: both stores alike.
        expect(await search('été')).toEqual([10]);
        expect(await search('ÉTÉ')).toEqual([9]);
        expect(await search('nothing')).toEqual([]);
        expect(await store.searchTaskOutput(t.task.id + 1000, 'error', 0, 1000, 10)).toEqual([]);
      });

      it('matches the visible text of a line: colour codes inside a word do not hide it, nor match', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease();
        const logs = [
          '\u001b[31mERR\u001b[0mOR disk full',
          'plain error',
          '\u001b[1;38;2;255;0;0mE\u001b[22mrror\u001b[0m',
          '\u001b[31mred\u001b[0m only',
          '\u001b]8;;https://x.test\u0007link\u001b]8;;\u0007 er\u001b[Kror',
        ];
        await store.recordActivity([{ taskId: t.task.id, leaseToken: t.leaseToken, logs }], T0 + 2);
        const search = (needle: string, after = 0, through = 1000, limit = 100) => store.searchTaskOutput(t.task.id, needle, after, through, limit);
        expect(await search('ERROR')).toEqual([1, 2, 3, 5]);
        expect(await search('error', 1, 1000, 2)).toEqual([2, 3]);
        expect(await search('red only')).toEqual([4]);
        // The codes themselves are not visible text.
        expect(await search('31m')).toEqual([]);
        expect(await search('x.test')).toEqual([]);
      });

      it('searches a long coloured output batch by batch, to the end of the asked range', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease();
        // 5,000 coloured lines (more than one batch of candidates); every 1,000th says ERROR across a colour change.
        const logs = Array.from({ length: 5000 }, (_, i) => ((i + 1) % 1000 === 0 ? '\u001b[31mER\u001b[0mROR' : `\u001b[32mline\u001b[0m ${i + 1}`));
        await store.recordActivity([{ taskId: t.task.id, leaseToken: t.leaseToken, logs }], T0 + 2);
        expect(await store.searchTaskOutput(t.task.id, 'error', 0, 10_000, 100)).toEqual([1000, 2000, 3000, 4000, 5000]);
        expect(await store.searchTaskOutput(t.task.id, 'error', 0, 10_000, 2)).toEqual([1000, 2000]);
        expect(await store.searchTaskOutput(t.task.id, 'error', 1000, 3500, 100)).toEqual([2000, 3000]);
      });

      it('tracks progress reported by a task on the job', async () => {
        await store.submitJobs(
          [
            newJob({
              tasks: [
                { type: 'a', input: null },
                { type: 'b', input: null },
              ],
            }),
          ],
          T0,
        );
        const [a] = await lease({ limit: 1 });
        await store.recordActivity([{ taskId: a.task.id, leaseToken: a.leaseToken, progress: { done: 25, total: 100 } }], T0 + 2);
        expect((await store.getJob(a.job.id))?.progress).toEqual({ done: 250, total: 2000 });
        await succeed(a);
        expect((await store.getJob(a.job.id))?.progress).toEqual({ done: 1000, total: 2000 });
      });
    });

    describe('fan-out and dependencies', () => {
      it('runs a task only after the tasks it waits on', async () => {
        await store.submitJobs(
          [
            newJob({
              tasks: [
                { type: 'first', key: 'a', input: null },
                { type: 'second', key: 'b', input: null, after: ['a'] },
              ],
            }),
          ],
          T0,
        );
        const leased = await lease();
        expect(leased.map((l) => l.task.type)).toEqual(['first']);
        expect((await store.getJob(1))?.taskCounts).toMatchObject({ running: 1, created: 1 });
        await succeed(leased[0]);
        const next = await lease({ now: T0 + 3 });
        expect(next.map((l) => l.task.type)).toEqual(['second']);
        expect(next[0].task.dependsOn).toEqual([]);
        expect((await store.getTask(next[0].task.id))?.dependsOn).toEqual([leased[0].task.id]);
        await succeed(next[0], {}, T0 + 4);
        expect(await store.getJob(1)).toMatchObject({ state: 'success' });
      });

      it('cancels the tasks that wait on a failed one, down the chain', async () => {
        await store.submitJobs(
          [
            newJob({
              tasks: [
                { type: 'a', key: 'a', input: null },
                { type: 'b', key: 'b', input: null, after: ['a'] },
                { type: 'c', input: null, after: ['b'] },
              ],
            }),
          ],
          T0,
        );
        const [a] = await lease();
        await store.completeTasks(
          [{ taskId: a.task.id, leaseToken: a.leaseToken, report: { kind: 'failed', error: { message: 'x' }, retryable: false } }],
          T0 + 2,
        );
        const job = await store.getJob(1);
        expect(job).toMatchObject({ state: 'failure' });
        expect(job?.taskCounts).toMatchObject({ failure: 1, cancelled: 2 });
        const tasks = (await store.listTasks(1, { limit: 10 })).items;
        expect(tasks[1].reason).toMatch(/dependency .* ended failure/);
      });

      it('adds spawned tasks to the job, which ends only when they do', async () => {
        await store.submitJobs([newJob({ tasks: [{ type: 'scan', key: 'scan', input: null }] })], T0);
        const [scan] = await lease();
        await store.recordActivity(
          [
            {
              taskId: scan.task.id,
              leaseToken: scan.leaseToken,
              spawn: [
                { type: 'hash', input: 1 },
                { type: 'hash', input: 2 },
                { type: 'report', input: null, key: 'report', after: ['scan'] },
              ],
            },
          ],
          T0 + 2,
        );
        expect((await store.getJob(1))?.taskCounts).toMatchObject({ running: 1, queued: 2, created: 1 });
        await succeed(scan, {}, T0 + 3);
        const children = await lease({ now: T0 + 4 });
        expect(children.map((c) => c.task.type).sort()).toEqual(['hash', 'hash', 'report']);
        expect(await store.getJob(1)).toMatchObject({ state: 'running', progress: { done: 1000, total: 4000 } });
        for (const child of children) await succeed(child, {}, T0 + 5);
        expect(await store.getJob(1)).toMatchObject({ state: 'success', progress: { done: 4000, total: 4000 } });
      });

      it("lists a job's tasks by state and type, and the types present", async () => {
        await store.submitJobs(
          [
            newJob({
              tasks: [
                { type: 'a', input: null },
                { type: 'b', input: null },
                { type: 'b', input: null },
              ],
            }),
          ],
          T0,
        );
        const [first] = await lease({ limit: 1 });
        await succeed(first);
        expect(await store.taskTypes(1)).toEqual(['a', 'b']);
        expect((await store.listTasks(1, { types: ['b'], limit: 10 })).items).toHaveLength(2);
        expect((await store.listTasks(1, { states: ['success'], limit: 10 })).items.map((t) => t.type)).toEqual(['a']);
        const page1 = await store.listTasks(1, { limit: 2 });
        const page2 = await store.listTasks(1, { limit: 2, cursor: page1.nextCursor });
        expect([...page1.items, ...page2.items].map((t) => t.id)).toEqual([1, 2, 3]);
        expect(page2.nextCursor).toBeNull();
      });
    });

    describe('controls', () => {
      it('cancels a queued job at once', async () => {
        await store.submitJobs([newJob()], T0);
        const job = await store.controlJob(1, 'cancel', T0 + 1);
        expect(job).toMatchObject({ state: 'cancelled', reason: 'cancelled on request', endedAt: T0 + 1 });
        expect(await lease()).toHaveLength(0);
      });

      it('cancels a running job through cancelling: the worker is told at its heartbeat', async () => {
        await store.submitJobs(
          [
            newJob({
              tasks: [
                { type: 'a', input: null },
                { type: 'b', input: null },
              ],
            }),
          ],
          T0,
        );
        const [a] = await lease({ limit: 1 });
        expect(await store.controlJob(1, 'cancel', T0 + 2)).toMatchObject({ state: 'cancelling' });
        const beat = await store.heartbeat({ workerId: 'w1', leases: [{ taskId: a.task.id, leaseToken: a.leaseToken }], leaseMs: 30_000, now: T0 + 3 });
        expect(beat).toEqual({ lost: [], stop: [{ taskId: a.task.id, reason: 'cancel' }] });
        await store.completeTasks([{ taskId: a.task.id, leaseToken: a.leaseToken, report: { kind: 'stopped' } }], T0 + 4);
        expect(await store.getJob(1)).toMatchObject({ state: 'cancelled' });
        await expect(store.controlJob(1, 'cancel', T0 + 5)).rejects.toMatchObject({ code: 'SWY_ERR_JOB_STATE' });
      });

      it('pauses tasks not yet running and resumes them', async () => {
        await store.submitJobs(
          [
            newJob({
              tasks: [
                { type: 'a', input: null },
                { type: 'b', input: null },
              ],
            }),
          ],
          T0,
        );
        const [a] = await lease({ limit: 1 });
        expect(await store.controlJob(1, 'pause', T0 + 2)).toMatchObject({ state: 'pausing' });
        expect(await lease({ now: T0 + 3 })).toHaveLength(0);
        await succeed(a, {}, T0 + 4);
        expect(await store.getJob(1)).toMatchObject({ state: 'paused' });
        expect(await store.controlJob(1, 'resume', T0 + 5)).toMatchObject({ state: 'running' });
        const [b] = await lease({ now: T0 + 6 });
        await succeed(b, {}, T0 + 7);
        expect(await store.getJob(1)).toMatchObject({ state: 'success' });
      });

      it('retries a failed job: tasks that did not succeed run again', async () => {
        await store.submitJobs(
          [
            newJob({
              retry: { maxAttempts: 1, backoffMs: 1, maxBackoffMs: 1 },
              tasks: [
                { type: 'a', input: null },
                { type: 'b', input: null },
              ],
            }),
          ],
          T0,
        );
        const [a, b] = await lease();
        await succeed(a);
        await store.completeTasks(
          [{ taskId: b.task.id, leaseToken: b.leaseToken, report: { kind: 'failed', error: { message: 'x' }, retryable: true } }],
          T0 + 3,
        );
        expect(await store.getJob(1)).toMatchObject({ state: 'failure' });
        await expect(store.controlJob(1, 'pause', T0 + 4)).rejects.toMatchObject({ code: 'SWY_ERR_JOB_STATE' });
        const retried = await store.retryJob(1, T0 + 4);
        expect(retried).toMatchObject({ state: 'queued', reason: null, endedAt: null });
        const again = await lease({ now: T0 + 5 });
        expect(again.map((l) => l.task.id)).toEqual([b.task.id]);
        expect(again[0].task.attempts).toBe(1);
        await succeed(again[0], {}, T0 + 6);
        expect(await store.getJob(1)).toMatchObject({ state: 'success' });
        await expect(store.retryJob(1, T0 + 7)).rejects.toMatchObject({ code: 'SWY_ERR_JOB_STATE' });
      });

      it('deletes a finished job with its records, and refuses an unfinished one', async () => {
        await store.submitJobs([newJob(), newJob()], T0);
        const [t] = await lease({ limit: 1 });
        await succeed(t, { items: [{ path: 'p', operation: 'op', outcome: 'completed' }], logs: ['x'] });
        await store.deleteJob(1, T0 + 3);
        expect(await store.getJob(1)).toBeNull();
        expect(await store.getTask(t.task.id)).toBeNull();
        expect(await store.taskOutput(t.task.id, 0, 10)).toEqual([]);
        expect((await store.listEvents(0, 100, null)).at(-1)).toMatchObject({ type: 'job:deleted', jobId: 1 });
        await expect(store.deleteJob(2, T0 + 3)).rejects.toMatchObject({ code: 'SWY_ERR_JOB_STATE' });
        await expect(store.deleteJob(99, T0 + 3)).rejects.toMatchObject({ code: 'SWY_ERR_JOB_NOT_FOUND' });
        const [next] = await store.submitJobs([newJob()], T0 + 4);
        expect(next.job.id).toBe(3);
      });
    });

    describe('watchdog', () => {
      it('re-queues a task whose lease expired, then fails it once out of attempts', async () => {
        await store.submitJobs([newJob()], T0);
        const [first] = await lease({ leaseMs: 1000 });
        expect(await store.expireLeases(T0 + 500, 100)).toBe(0);
        expect(await store.expireLeases(T0 + 2000, 100)).toBe(1);
        expect(await store.getTask(first.task.id)).toMatchObject({ state: 'queued', workerId: 'w1' });
        expect(await succeed(first)).toEqual([{ taskId: first.task.id, accepted: false }]);
        const [second] = await lease({ now: T0 + 60_000, leaseMs: 1000 });
        expect(second.task.attempts).toBe(2);
        await store.expireLeases(T0 + 62_000, 100);
        expect(await store.getJob(1)).toMatchObject({ state: 'failure' });
        expect((await store.getJob(1))?.reason).toMatch(/lease expired/);
      });

      it('settles every lease of a worker known to be gone, at once', async () => {
        await store.submitJobs([newJob(), newJob()], T0);
        const [mine] = await lease({ workerId: 'gone', limit: 1 });
        const [other] = await lease({ workerId: 'alive', limit: 1 });
        expect(await store.releaseLeasesOf('gone', T0 + 2)).toBe(1);
        expect(await store.getTask(mine.task.id)).toMatchObject({ state: 'queued', attempts: 1 });
        expect((await store.getTask(other.task.id))?.state).toBe('running');
        expect(await store.releaseLeasesOf('gone', T0 + 3)).toBe(0);
      });

      it('keeps leases alive with heartbeats and reports lost ones', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease({ leaseMs: 1000 });
        const beat = await store.heartbeat({
          workerId: 'w1',
          leases: [
            { taskId: t.task.id, leaseToken: t.leaseToken },
            { taskId: 999, leaseToken: 'x' },
          ],
          leaseMs: 1000,
          now: T0 + 900,
        });
        expect(beat).toEqual({ lost: [999], stop: [] });
        expect(await store.expireLeases(T0 + 1500, 100)).toBe(0);
        expect((await store.getTask(t.task.id))?.leaseExpiresAt).toBe(T0 + 1900);
      });

      it('fails a job with no activity for longer than its timeout and aborts its running task', async () => {
        await store.submitJobs(
          [
            newJob({
              timeoutMs: 10_000,
              tasks: [
                { type: 'a', input: null },
                { type: 'b', input: null },
              ],
            }),
          ],
          T0,
        );
        const [a] = await lease({ limit: 1 });
        await store.recordActivity([{ taskId: a.task.id, leaseToken: a.leaseToken, logs: ['alive'] }], T0 + 5_000);
        expect(await store.timeoutJobs(T0 + 12_000, 10)).toBe(0);
        expect(await store.timeoutJobs(T0 + 16_000, 10)).toBe(1);
        const job = await store.getJob(1);
        expect(job).toMatchObject({ state: 'failure', reason: 'timed out: no activity for 10s' });
        expect(job?.taskCounts).toMatchObject({ aborted: 1, cancelled: 1 });
        const beat = await store.heartbeat({ workerId: 'w1', leases: [{ taskId: a.task.id, leaseToken: a.leaseToken }], leaseMs: 1000, now: T0 + 16_001 });
        expect(beat.lost).toEqual([a.task.id]);
      });
    });

    describe('queues', () => {
      it('starts no job from a paused queue; running jobs go on', async () => {
        await store.submitJobs(
          [
            newJob({
              tasks: [
                { type: 'a', input: null },
                { type: 'b', input: null },
              ],
            }),
          ],
          T0,
        );
        const [a] = await lease({ limit: 1 });
        await store.submitJobs([newJob()], T0 + 1);
        await store.updateQueue('default', { paused: true }, T0 + 2);
        const during = await lease({ now: T0 + 3 });
        expect(during.map((l) => l.job.id)).toEqual([1]);
        await store.updateQueue('default', { paused: false }, T0 + 4);
        expect((await lease({ now: T0 + 5 })).map((l) => l.job.id)).toEqual([2]);
        expect(a.job.id).toBe(1);
      });

      it('runs a queue with concurrency 1 strictly one job at a time', async () => {
        await store.ensureQueues(['serial'], T0);
        await store.updateQueue('serial', { concurrency: 1 }, T0);
        await store.submitJobs([newJob({ queue: 'serial' }), newJob({ queue: 'serial' }), newJob({ queue: 'serial' })], T0);
        const first = await lease();
        expect(first.map((l) => l.job.id)).toEqual([1]);
        expect((await store.getQueue('serial', null))?.activeJobs).toBe(1);
        expect(await lease({ now: T0 + 2 })).toHaveLength(0);
        await succeed(first[0], {}, T0 + 3);
        expect((await lease({ now: T0 + 4 })).map((l) => l.job.id)).toEqual([2]);
      });

      it('keeps a sequential queue slot while its job waits for a retry', async () => {
        await store.ensureQueues(['serial'], T0);
        await store.updateQueue('serial', { concurrency: 1 }, T0);
        await store.submitJobs([newJob({ queue: 'serial' }), newJob({ queue: 'serial' })], T0);
        const [t] = await lease();
        await store.completeTasks(
          [{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'failed', error: { message: 'x' }, retryable: true } }],
          T0 + 2,
        );
        expect(await store.getJob(1)).toMatchObject({ state: 'running' });
        const later = await lease({ now: T0 + 60_000 });
        expect(later.map((l) => l.job.id)).toEqual([1]);
      });

      it('pauses a queue when a job fails, if set to', async () => {
        await store.submitJobs([newJob({ retry: { maxAttempts: 1, backoffMs: 1, maxBackoffMs: 1 } })], T0);
        await store.updateQueue('default', { pauseOnFailure: true }, T0);
        const [t] = await lease();
        await store.completeTasks(
          [{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'failed', error: { message: 'x' }, retryable: true } }],
          T0 + 2,
        );
        expect(await store.getQueue('default', null)).toMatchObject({ paused: true, pauseOnFailure: true, activeJobs: 0 });
      });

      it('refuses to update a queue that does not exist', async () => {
        await expect(store.updateQueue('nope', { paused: true }, T0)).rejects.toMatchObject({ code: 'SWY_ERR_QUEUE_NOT_FOUND' });
      });
    });

    describe('listing jobs', () => {
      beforeEach(async () => {
        await store.submitJobs(
          [
            newJob({ workflow: 'copy', creator: 'ann', site: 'east', fields: { root: '/projects/alpha' }, searchText: '/projects/alpha' }),
            newJob({ workflow: 'copy', creator: 'bob', site: 'west' }),
            newJob({ workflow: 'hash', creator: 'ann', site: 'east', tasks: [] }),
            newJob({ workflow: 'hash', creator: 'cyd', site: 'west', queue: 'bulk' }),
          ],
          T0,
        );
        await store.submitJobs([newJob({ workflow: 'copy', creator: 'ann', site: 'east' })], T0 + 10_000);
      });
      const ids = async (query: Partial<Parameters<Store['listJobs']>[0]>) =>
        (await store.listJobs({ sites: null, limit: 50, ...query })).items.map((j) => j.id);

      it('lists newest first and filters by every column the console offers', async () => {
        expect(await ids({})).toEqual([5, 4, 3, 2, 1]);
        expect(await ids({ sites: ['east'] })).toEqual([5, 3, 1]);
        expect(await ids({ ids: [2, 4] })).toEqual([4, 2]);
        expect(await ids({ states: ['skipped'] })).toEqual([3]);
        expect(await ids({ queues: ['bulk'] })).toEqual([4]);
        expect(await ids({ workflows: ['hash'] })).toEqual([4, 3]);
        expect(await ids({ creators: ['ann', 'cyd'] })).toEqual([5, 4, 3, 1]);
        expect(await ids({ createdFrom: T0 + 1 })).toEqual([5]);
        expect(await ids({ createdTo: T0 })).toEqual([4, 3, 2, 1]);
        expect(await ids({ hideNoop: true })).toEqual([5, 4, 2, 1]);
        expect(await ids({ q: 'alpha' })).toEqual([1]);
        expect(await ids({ q: 'BOB' })).toEqual([2]);
        expect(await ids({ q: '4' })).toEqual([4]);
        expect(await ids({ q: '100%_' })).toEqual([]);
        expect(await ids({ sites: [] })).toEqual([]);
      });

      it('sorts by a column and pages with a cursor without gaps or repeats', async () => {
        expect(await ids({ sort: { key: 'workflow', desc: false } })).toEqual([1, 2, 5, 3, 4]);
        expect(await ids({ sort: { key: 'createdAt', desc: false } })).toEqual([1, 2, 3, 4, 5]);
        for (const sort of [
          { key: 'id', desc: true },
          { key: 'creator', desc: false },
          { key: 'endedAt', desc: true },
        ] as const) {
          const seen: number[] = [];
          let cursor: string | null = null;
          do {
            const page = await store.listJobs({ sites: null, limit: 2, sort, cursor });
            seen.push(...page.items.map((j) => j.id));
            cursor = page.nextCursor;
          } while (cursor);
          expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
        }
      });

      it('pages through a creation range newest first, by creation time then id', async () => {
        await store.submitJobs([newJob(), newJob()], T0 + 5_000);
        const seen: number[] = [];
        let cursor: string | null = null;
        do {
          const page: Page<JobRecord> = await store.listJobs({ sites: null, limit: 2, createdFrom: T0, createdTo: T0 + 10_000, cursor });
          seen.push(...page.items.map((j) => j.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).toEqual([5, 7, 6, 4, 3, 2, 1]);
        expect(await ids({ createdFrom: T0 + 1, createdTo: T0 + 5_000, states: ['queued'] })).toEqual([7, 6]);
        // Asked for by id, the range keeps that order.
        expect(await ids({ createdFrom: T0, sort: { key: 'id', desc: true } })).toEqual([7, 6, 5, 4, 3, 2, 1]);
      });

      it('lists jobs by an instant, filtered by a workflow or site most of them have and by one few have, in the same pages', async () => {
        // More jobs than the SQLite store reads in list order before it turns to the filter's
        // own index (orderWindowFits): either way, the same pages.
        const made: { id: number; workflow: string; site: string; at: number }[] = [];
        for (let batch = 0; batch < 6; batch += 1) {
          const at = T0 + 20_000 + batch * 10;
          const outcomes = await store.submitJobs(
            Array.from({ length: 1_000 }, (_, k) => newJob(k === 500 ? { workflow: 'hash', site: 'east' } : { workflow: 'copy' })),
            at,
          );
          made.push(...outcomes.map((o) => ({ id: o.job.id, workflow: o.job.workflow, site: o.job.site, at })));
        }
        const newest = (workflow: string) =>
          made
            .filter((job) => job.workflow === workflow)
            .sort((a, b) => b.at - a.at || b.id - a.id)
            .map((job) => job.id);
        const range = { createdFrom: T0 + 20_000, createdTo: T0 + 30_000 };
        const pages = async (workflow: string, limit: number) => {
          const seen: number[] = [];
          let cursor: string | null = null;
          do {
            const page: Page<JobRecord> = await store.listJobs({ sites: null, limit, ...range, workflows: [workflow], cursor });
            seen.push(...page.items.map((j) => j.id));
            cursor = page.nextCursor;
          } while (cursor);
          return seen;
        };
        expect(await ids({ ...range, workflows: ['copy'] })).toEqual(newest('copy').slice(0, 50));
        expect(await pages('copy', 500)).toEqual(newest('copy'));
        expect(await ids({ ...range, workflows: ['hash'] })).toEqual(newest('hash'));
        expect(await pages('hash', 2)).toEqual(newest('hash'));
        expect(await ids({ createdFrom: T0 + 20_040, createdTo: T0 + 20_050, workflows: ['hash'] })).toEqual(newest('hash').slice(0, 2));
        // A site scope reads the same way: the site most jobs are at, and one few are.
        expect(await ids({ ...range, sites: [made[0].site] })).toEqual(newest('copy').slice(0, 50));
        expect(await ids({ ...range, sites: ['east'] })).toEqual(newest('hash'));
        expect(await ids({ ...range, sites: ['east', made[0].site], workflows: ['hash'] })).toEqual(newest('hash'));
        // In the order of another instant, without a range: none of these jobs has ended, so
        // they come by id after job 3, the only one that has (it had no tasks).
        const byEnd = { key: 'endedAt', desc: true } as const;
        expect(await ids({ sort: byEnd, workflows: ['copy'] })).toEqual(newest('copy').slice(0, 50));
        expect(await ids({ sort: byEnd, workflows: ['hash'] })).toEqual([3, ...newest('hash'), 4]);
        expect(await ids({ sort: { key: 'createdAt', desc: false }, workflows: ['hash'], sites: ['east'] })).toEqual([3, ...newest('hash').reverse()]);
      });

      it('lists jobs that never hold an instant, sorted by it, in id order, in pages and after any cursor of that sort', async () => {
        // Job 1 runs, job 2 has ended, job 3 (no tasks) ended unstarted; 4 and 5 are queued.
        const [running] = await lease({ site: 'east', workflows: ['copy'], limit: 1, now: T0 + 20_000 });
        const [done] = await lease({ site: 'west', workflows: ['copy'], limit: 1, now: T0 + 20_001 });
        await succeed(done, {}, T0 + 20_002);
        expect([running.job.id, done.job.id]).toEqual([1, 2]);
        const byStart = (desc: boolean) => ({ key: 'startedAt', desc }) as const;
        const byEnd = (desc: boolean) => ({ key: 'endedAt', desc }) as const;
        expect(await ids({ states: ['queued'], sort: byStart(true) })).toEqual([5, 4]);
        expect(await ids({ states: ['queued', 'created'], sort: byStart(false) })).toEqual([4, 5]);
        expect(await ids({ states: ['queued', 'running'], sort: byEnd(true) })).toEqual([5, 4, 1]);
        expect(await ids({ states: ['queued', 'running'], sort: byEnd(false) })).toEqual([1, 4, 5]);
        expect(await ids({ states: ['queued'], sort: byStart(true), sites: ['east'] })).toEqual([5]);
        // A state that holds the instant keeps the instant's order.
        expect(await ids({ states: ['queued', 'running'], sort: byStart(true) })).toEqual([1, 5, 4]);
        // Page by page.
        const first = await store.listJobs({ sites: null, limit: 1, states: ['queued'], sort: byStart(true) });
        const second = await store.listJobs({ sites: null, limit: 1, states: ['queued'], sort: byStart(true), cursor: first.nextCursor });
        expect([first.items.map((j) => j.id), second.items.map((j) => j.id), second.nextCursor]).toEqual([[5], [4], null]);
        // A cursor of the same sort made by another filter: after a started job newest first,
        // every queued job; after an unstarted one, those after it by id; oldest first, none after a started one.
        const cursorAfter = async (desc: boolean, limit: number) => (await store.listJobs({ sites: null, limit, sort: byStart(desc) })).nextCursor;
        expect(await ids({ states: ['queued'], sort: byStart(true), cursor: await cursorAfter(true, 1) })).toEqual([5, 4]);
        expect(await ids({ states: ['queued'], sort: byStart(false), cursor: await cursorAfter(false, 1) })).toEqual([4, 5]);
        expect(await ids({ states: ['queued'], sort: byStart(false), cursor: await cursorAfter(false, 4) })).toEqual([]);
      });

      it('rejects a cursor it did not give out', async () => {
        await expect(store.listJobs({ sites: null, limit: 2, cursor: 'garbage!' })).rejects.toMatchObject({ code: 'SWY_ERR_VALIDATION' });
      });
    });

    describe('items', () => {
      it("lists items by outcome and path, and one item's history across tasks", async () => {
        await store.submitJobs(
          [
            newJob({
              tasks: [
                { type: 'copy', input: null },
                { type: 'verify', input: null },
              ],
            }),
          ],
          T0,
        );
        const [copy, verify] = await lease();
        await succeed(copy, {
          items: [
            { path: '/a/x.txt', operation: 'copy', outcome: 'failed', error: 'EACCES' },
            { path: '/a/y.txt', operation: 'copy', outcome: 'completed', bytes: 10 },
          ],
        });
        await succeed(verify, { items: [{ path: '/a/x.txt', operation: 'verify', outcome: 'skipped' }] }, T0 + 3);
        expect((await store.listItems(1, { path: 'y.t', limit: 10 })).items.map((i) => i.path)).toEqual(['/a/y.txt']);
        expect((await store.listItems(1, { outcome: 'completed', limit: 10 })).items).toHaveLength(1);
        const history = await store.itemHistory(1, '/a/x.txt');
        expect(history.map((i) => [i.operation, i.outcome, i.taskId])).toEqual([
          ['copy', 'failed', copy.task.id],
          ['verify', 'skipped', verify.task.id],
        ]);
        const page = await store.listItems(1, { limit: 2 });
        expect(page.items).toHaveLength(2);
        expect((await store.listItems(1, { limit: 2, cursor: page.nextCursor })).items).toHaveLength(1);
      });

      it('filters items by path through the batch summaries exactly as a scan would, page by page', async () => {
        await store.submitJobs([newJob({ tasks: [0, 1, 2].map(() => ({ type: 'copy', input: null })) }), newJob()], T0);
        const tasks = await lease({ limit: 10 });
        const recorded: { path: string; outcome: string }[] = [];
        // Batches of the three tasks of job 1 interleave (three reports each); job 2 records the same paths.
        for (let batch = 0; batch < 3; batch++) {
          for (const [t, leased] of tasks.entries()) {
            const items = Array.from({ length: 40 }, (_, i) => ({
              path: `/Data/t${t}/b${batch}/File_${i}${i % 9 === 0 ? '%x' : ''}.TXT`,
              operation: 'copy',
              outcome: i % 5 === 0 ? ('failed' as const) : ('completed' as const),
            }));
            await store.recordActivity([{ taskId: leased.task.id, leaseToken: leased.leaseToken, items }], T0 + 2);
            if (leased.task.jobId === 1) recorded.push(...items);
          }
        }
        // A batch of more than one summary's worth (512 items a summary).
        const bulk = Array.from({ length: 1100 }, (_, i) => ({ path: `/bulk/n${i}.log`, operation: 'copy', outcome: 'completed' as const }));
        const first = tasks.find((t) => t.task.jobId === 1) as LeasedTask;
        await store.recordActivity([{ taskId: first.task.id, leaseToken: first.leaseToken, items: bulk }], T0 + 2);
        recorded.push(...bulk);
        const all = async (path: string, outcome?: 'failed') => {
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const page: Page<ItemRecord> = await store.listItems(1, { path, outcome, limit: 7, cursor });
            seen.push(...page.items.map((item) => item.path));
            cursor = page.nextCursor;
          } while (cursor);
          return seen;
        };
        const expected = (needle: string, outcome?: string) =>
          recorded.filter((item) => item.path.toLowerCase().includes(needle.toLowerCase()) && (!outcome || item.outcome === outcome)).map((item) => item.path);
        for (const needle of [
          '/t1/b2/',
          'FILE_7.',
          'file_1',
          'data',
          'nothing-like-it',
          '_3',
          '%x',
          'e_3%x',
          '.txt',
          'n1099.',
          '/n5',
          'n511.',
          'n512.',
          'K/N10',
        ]) {
          expect(await all(needle), needle).toEqual(expected(needle));
        }
        expect(await all('/b1/', 'failed')).toEqual(expected('/b1/', 'failed'));
        expect(expected('/t1/b2/')).toHaveLength(40);
        expect(expected('/n5')).toHaveLength(111);
        // A deleted job takes its summaries with it.
        await succeed(tasks.find((t) => t.task.jobId === 2) as LeasedTask);
        const [other] = (await store.listJobs({ sites: null, limit: 10 })).items.filter((job) => job.id === 2);
        await store.deleteJob(other.id, T0 + 3);
        expect((await store.listItems(2, { path: 'file_1', limit: 5 })).items).toEqual([]);
      });

      it('counts each path and operation once, by its latest record, when a task runs again after its lease expired', async () => {
        await store.submitJobs([newJob({ retry: { maxAttempts: 3, backoffMs: 1, maxBackoffMs: 1 } })], T0);
        const [first] = await lease({ leaseMs: 1000 });
        const items = (outcome: 'completed' | 'failed') => [
          { path: 'a', operation: 'copy', outcome },
          { path: 'b', operation: 'copy', outcome: 'completed' as const },
        ];
        await store.recordActivity([{ taskId: first.task.id, leaseToken: first.leaseToken, items: items('failed') }], T0 + 2);
        expect((await store.getJob(1))?.itemCounts).toMatchObject({ completed: 1, failed: 1 });
        // The worker dies; its lease expires and the task runs again, recording the same items.
        expect(await store.expireLeases(T0 + 2000, 100)).toBe(1);
        const [second] = await lease({ now: T0 + 3000 });
        await succeed(second, { items: [...items('completed'), { path: 'b', operation: 'verify', outcome: 'completed' }] }, T0 + 3001);
        const job = await store.getJob(1);
        expect(job).toMatchObject({ state: 'success', itemCounts: { completed: 3, failed: 0, queued: 0, skipped: 0 } });
        expect((await store.listItems(1, { limit: 10 })).items.map((i) => [i.path, i.operation, i.outcome])).toEqual([
          ['a', 'copy', 'completed'],
          ['b', 'copy', 'completed'],
          ['b', 'verify', 'completed'],
        ]);
        expect((await store.listItems(1, { outcome: 'failed', limit: 10 })).items).toEqual([]);
        expect((await store.listItems(1, { outcome: 'completed', path: 'a', limit: 10 })).items).toHaveLength(1);
        expect(await store.itemStats(1)).toEqual([
          { operation: 'copy', outcome: 'completed', count: 2, bytes: 0 },
          { operation: 'verify', outcome: 'completed', count: 1, bytes: 0 },
        ]);
        // The history keeps every record, the replaced ones marked.
        expect((await store.itemHistory(1, 'a')).map((i) => [i.outcome, i.superseded])).toEqual([
          ['failed', true],
          ['completed', false],
        ]);
      });

      it("counts each task's records of a path: tasks that each act on it (a rollback of several jobs) all count", async () => {
        await submitTwoTasks();
        const [a, b] = await lease();
        await succeed(a, { items: [{ path: 'shared', operation: 'revert', outcome: 'completed' }] });
        await succeed(b, {
          items: [
            { path: 'shared', operation: 'revert', outcome: 'completed' },
            { path: 'shared', operation: 'check', outcome: 'failed', error: 'x' },
          ],
        });
        expect(await store.getJob(1)).toMatchObject({ state: 'error', itemCounts: { completed: 2, failed: 1 } });
        expect((await store.itemHistory(1, 'shared')).map((i) => i.superseded)).toEqual([false, false, false]);
      });

      it('keeps one queued record a path: a plan queued again replaces it, and its settling removes it', async () => {
        await store.submitJobs([newJob({ retry: { maxAttempts: 3, backoffMs: 1, maxBackoffMs: 1 } })], T0);
        const plan = [
          { path: 'p1', operation: 'copy', outcome: 'queued' as const },
          { path: 'p2', operation: 'copy', outcome: 'queued' as const },
        ];
        const [first] = await lease({ leaseMs: 1000 });
        await store.recordActivity([{ taskId: first.task.id, leaseToken: first.leaseToken, items: plan }], T0 + 2);
        expect(await store.expireLeases(T0 + 2000, 100)).toBe(1);
        const [second] = await lease({ now: T0 + 3000 });
        await store.recordActivity([{ taskId: second.task.id, leaseToken: second.leaseToken, items: [...plan, ...plan] }], T0 + 3001);
        expect((await store.getJob(1))?.itemCounts).toMatchObject({ queued: 2 });
        expect(await store.itemHistory(1, 'p1')).toHaveLength(1);
        await succeed(
          second,
          {
            items: [
              { path: 'p1', operation: 'copy', outcome: 'completed' },
              { path: 'p2', operation: 'copy', outcome: 'failed', error: 'EIO' },
            ],
          },
          T0 + 3002,
        );
        expect((await store.getJob(1))?.itemCounts).toMatchObject({ queued: 0, completed: 1, failed: 1 });
        expect((await store.itemHistory(1, 'p1')).map((i) => i.outcome)).toEqual(['completed']);
      });

      it('counts a path reported twice in one report once, and keeps the failed count of a task that reports it again', async () => {
        await store.submitJobs([newJob()], T0);
        const [t] = await lease();
        await store.recordActivity(
          [
            {
              taskId: t.task.id,
              leaseToken: t.leaseToken,
              items: [
                { path: 'x', operation: 'delete', outcome: 'failed', error: 'busy' },
                { path: 'x', operation: 'delete', outcome: 'failed', error: 'still busy' },
                { path: 'y', operation: 'delete', outcome: 'failed', error: 'busy' },
              ],
            },
          ],
          T0 + 2,
        );
        expect((await store.getJob(1))?.itemCounts).toMatchObject({ failed: 2 });
        expect((await store.getTask(t.task.id))?.itemsFailed).toBe(2);
        await succeed(t, { items: [{ path: 'y', operation: 'delete', outcome: 'completed' }] }, T0 + 3);
        expect(await store.getTask(t.task.id)).toMatchObject({ state: 'error', itemsFailed: 1 });
        expect(await store.getJob(1)).toMatchObject({ state: 'error', itemCounts: { failed: 1, completed: 1 } });
        expect((await store.listItems(1, { outcome: 'failed', limit: 10 })).items.map((i) => [i.path, i.error])).toEqual([['x', 'still busy']]);
      });

      it('retries failed items: their new records replace the failed ones; a whole retry counts the new run alone', async () => {
        await submitTwoTasks();
        const [a, b] = await lease();
        await succeed(a, { items: [{ path: 'a1', operation: 'copy', outcome: 'completed' }] });
        await succeed(b, {
          items: [
            { path: 'b1', operation: 'copy', outcome: 'completed' },
            { path: 'b2', operation: 'copy', outcome: 'failed', error: 'EIO' },
          ],
        });
        expect(await store.getJob(1)).toMatchObject({ state: 'error', itemCounts: { completed: 2, failed: 1 } });

        await store.retryJob(1, T0 + 3, { items: 'failed' });
        const [again] = await lease({ now: T0 + 4 });
        expect(again.task.id).toBe(b.task.id);
        await succeed(again, { items: [{ path: 'b2', operation: 'copy', outcome: 'completed' }] }, T0 + 5);
        expect(await store.getJob(1)).toMatchObject({ state: 'success', itemCounts: { completed: 3, failed: 0 } });

        // A task that fails after recording items, retried whole: its new run counts alone.
        await store.submitJobs([newJob({ retry: { maxAttempts: 1, backoffMs: 1, maxBackoffMs: 1 } })], T0 + 6);
        const [c] = await lease({ now: T0 + 7 });
        await store.completeTasks(
          [
            {
              taskId: c.task.id,
              leaseToken: c.leaseToken,
              items: [
                { path: 'c1', operation: 'copy', outcome: 'completed' },
                { path: 'c2', operation: 'copy', outcome: 'failed', error: 'EIO' },
              ],
              report: { kind: 'failed', error: { message: 'disk gone' }, retryable: false },
            },
          ],
          T0 + 8,
        );
        expect(await store.getJob(2)).toMatchObject({ state: 'failure', itemCounts: { completed: 1, failed: 1 } });
        expect(await store.retryJob(2, T0 + 9)).toMatchObject({ itemCounts: { completed: 0, failed: 0 } });
        const [rerun] = await lease({ now: T0 + 10 });
        await succeed(rerun, { items: [{ path: 'c1', operation: 'copy', outcome: 'completed' }] }, T0 + 11);
        expect(await store.getJob(2)).toMatchObject({ state: 'success', itemCounts: { completed: 1, failed: 0 } });
        expect((await store.itemHistory(2, 'c2')).map((i) => [i.outcome, i.superseded])).toEqual([['failed', true]]);
        expect((await store.listItems(2, { limit: 10 })).items.map((i) => i.path)).toEqual(['c1']);
      });

      it('pages through items of every outcome, interleaved, in the order they were recorded', async () => {
        await store.submitJobs([newJob()], T0);
        const [task] = await lease();
        const outcomes = ['completed', 'failed', 'queued', 'skipped', 'completed', 'completed', 'skipped', 'failed', 'queued', 'completed', 'failed'] as const;
        await succeed(task, { items: outcomes.map((outcome, i) => ({ path: `/p/${i}`, operation: 'copy', outcome })) });
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: Page<ItemRecord> = await store.listItems(1, { limit: 3, cursor });
          expect(page.items.length).toBeLessThanOrEqual(3);
          seen.push(...page.items.map((item) => `${item.path}:${item.outcome}`));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).toEqual(outcomes.map((outcome, i) => `/p/${i}:${outcome}`));
        const ids = (await store.listItems(1, { limit: 100 })).items.map((item) => item.id);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
      });
    });

    describe('hostile text', () => {
      it('accepts NUL characters anywhere text goes, keeping them or as U+FFFD', async () => {
        const nul = 'a\u0000b';
        const same = (value: unknown) => expect([nul, 'a\uFFFDb']).toContain(value);
        const [{ job }] = await store.submitJobs(
          [newJob({ creator: nul, fields: { [nul]: nul, list: [nul] }, tasks: [{ type: 'work', input: { path: nul } }] })],
          T0,
        );
        const [t] = await lease();
        same(t.task.input && (t.task.input as Record<string, string>).path);
        await store.completeTasks(
          [
            {
              taskId: t.task.id,
              leaseToken: t.leaseToken,
              items: [{ path: nul, operation: nul, outcome: 'failed', error: nul }],
              logs: [nul],
              report: { kind: 'failed', error: { message: nul }, retryable: false },
            },
          ],
          T0 + 2,
        );
        const stored = await store.getJob(job.id);
        same(stored?.creator);
        const key = Object.keys(stored?.fields ?? {}).find((k) => k !== 'list');
        same(key);
        same(stored?.fields[key as string]);
        same((stored?.fields.list as string[] | undefined)?.[0]);
        same((await store.listItems(job.id, { limit: 10 })).items[0].path);
        same((await store.taskOutput(t.task.id, 0, 10))[0].line);
        same((await store.getTask(t.task.id))?.error?.message);
        await store.appendAudit({ at: T0, actor: nul, action: 'x', data: { note: nul } });
        same((await store.listAudit({ sites: null, limit: 1 })).items[0].actor);
      });

      it('accepts lone UTF-16 surrogates in JSON values and keys (a handler’s result, say), keeping them or as U+FFFD', async () => {
        // JSON.stringify writes a lone surrogate as an escape (\ud800) that PostgreSQL's jsonb refuses.
        const lone = 'a\uD800b';
        const same = (value: unknown) => expect([lone, 'a\uFFFDb']).toContain(value);
        const [{ job }] = await store.submitJobs([newJob({ fields: { [lone]: lone }, tasks: [{ type: 'work', input: { path: lone } }] })], T0);
        const [t] = await lease();
        const results = await store.completeTasks(
          [{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: true, result: { [lone]: [lone] } } }],
          T0 + 2,
        );
        expect(results).toEqual([{ taskId: t.task.id, accepted: true, state: 'success' }]);
        const stored = await store.getJob(job.id);
        same(Object.keys(stored?.fields ?? {})[0]);
        same(Object.values(stored?.fields ?? {})[0]);
        const result = (await store.getTask(t.task.id))?.result as Record<string, string[]>;
        same(Object.keys(result)[0]);
        same(Object.values(result)[0][0]);
        // Pairs are whole characters, kept as they are.
        const [{ job: paired }] = await store.submitJobs([newJob({ fields: { s: 'a\uD83D\uDE00b' } })], T0);
        expect((await store.getJob(paired.id))?.fields).toEqual({ s: 'a\uD83D\uDE00b' });
      });
    });

    describe('events, audit and duties', () => {
      it('lists events after an id, at the sites asked for', async () => {
        await store.submitJobs([newJob({ site: 'east' }), newJob({ site: 'west' })], T0);
        const all = await store.listEvents(0, 10, null);
        expect(all).toHaveLength(2);
        expect(await store.listEvents(all[0].id, 10, null)).toHaveLength(1);
        expect((await store.listEvents(0, 10, ['west'])).map((e) => e.site)).toEqual(['west']);
        expect(await store.lastEventId()).toBe(all[1].id);
      });

      it('appends audit entries and lists them newest first', async () => {
        await store.appendAudit({ at: T0, actor: 'ann', action: 'job.cancel', target: 'job:1', site: 'east', data: { why: 'test' } });
        await store.appendAudit({ at: T0 + 1, actor: 'bob', action: 'login' });
        const page = await store.listAudit({ sites: null, limit: 10 });
        expect(page.items.map((a) => a.action)).toEqual(['login', 'job.cancel']);
        expect(page.items[1]).toMatchObject({ actor: 'ann', target: 'job:1', site: 'east', data: { why: 'test' } });
        expect((await store.listAudit({ sites: null, target: 'job:1', limit: 10 })).items).toHaveLength(1);
        expect((await store.listAudit({ sites: ['east'], limit: 10 })).items.map((a) => a.action)).toEqual(['job.cancel']);
      });

      it('gives a duty to one holder at a time until it expires', async () => {
        expect(await store.tryHoldDuty('watchdog', 'hub-a', 1000, T0)).toBe(true);
        expect(await store.tryHoldDuty('watchdog', 'hub-b', 1000, T0 + 10)).toBe(false);
        expect(await store.tryHoldDuty('watchdog', 'hub-a', 1000, T0 + 500)).toBe(true);
        expect(await store.tryHoldDuty('watchdog', 'hub-b', 1000, T0 + 1400)).toBe(false);
        expect(await store.tryHoldDuty('watchdog', 'hub-b', 1000, T0 + 1600)).toBe(true);
      });

      it('registers workers and lists them', async () => {
        await store.registerWorker({ id: 'w-1', name: 'alpha', site: 'east', workflows: ['copy'], host: 'box1' }, T0);
        await store.registerWorker({ id: 'w-1', name: 'alpha', site: 'east', workflows: ['copy', 'hash'], host: 'box1' }, T0 + 5);
        expect(await store.listWorkers()).toEqual([
          {
            id: 'w-1',
            name: 'alpha',
            site: 'east',
            workflows: ['copy', 'hash'],
            host: 'box1',
            owner: '',
            version: null,
            startedAt: T0,
            lastSeenAt: T0 + 5,
            runningTasks: 0,
          },
        ]);
      });

      it('registers a worker whose version and host hold a NUL (PostgreSQL text cannot: it keeps U+FFFD)', async () => {
        const worker = { id: 'w-1', name: 'alpha', site: 'east', workflows: ['copy'], host: 'box\u00001', version: 'v\u00002' };
        expect(await store.registerWorker(worker, T0)).toBe(true);
        const [listed] = await store.listWorkers();
        expect([listed?.host, listed?.version].map((text) => text?.replace('\uFFFD', '\u0000'))).toEqual(['box\u00001', 'v\u00002']);
      });
    });

    describe('users, sessions and tokens', () => {
      it('creates users once by name', async () => {
        expect(await store.countUsers()).toBe(0);
        const user = await store.createUser({ username: 'ann', passwordHash: 'h', role: 'operator', sites: ['east'], createdAt: T0 });
        expect(await store.findUser('ann')).toEqual(user);
        expect(await store.getUser(user.id)).toEqual(user);
        await expect(store.createUser({ username: 'ann', passwordHash: 'x', role: 'viewer', sites: null, createdAt: T0 })).rejects.toMatchObject({
          code: 'SWY_ERR_USER_EXISTS',
        });
        await store.setUserPassword(user.id, 'h2');
        expect((await store.findUser('ann'))?.passwordHash).toBe('h2');
        expect((await store.listUsers()).map((u) => u.username)).toEqual(['ann']);
      });

      it('finds sessions until they expire and forgets them on logout', async () => {
        await store.createSession({ idHash: 's1', userId: 1, csrfToken: 'c', expiresAt: T0 + 100 });
        expect(await store.findSession('s1', T0)).toMatchObject({ userId: 1, csrfToken: 'c' });
        expect(await store.findSession('s1', T0 + 100)).toBeNull();
        await store.deleteSession('s1');
        expect(await store.findSession('s1', T0)).toBeNull();
      });

      it('stores tokens by hash', async () => {
        const token = await store.createToken({ name: 'ci', tokenHash: 'abc', role: 'worker', sites: ['east'], createdBy: 'admin', createdAt: T0 });
        expect(await store.findToken('abc')).toEqual(token);
        await store.touchToken(token.id, T0 + 9);
        expect((await store.listTokens())[0].lastUsedAt).toBe(T0 + 9);
        expect(await store.findToken('nope')).toBeNull();
      });
    });
  });
}
