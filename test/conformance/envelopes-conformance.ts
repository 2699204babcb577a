import { describe, expect, it } from 'vitest';
import type { EnvelopeOnError, LeasedTask } from '../../src/model/index.js';
import type { EnvelopeMemberSpec, NewEnvelope, NewJob } from '../../src/store/store.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w1', site: 'local', workflows: ['demo'], limit: 100, leaseMs: 30_000 };

const envelope = (overrides: Partial<NewEnvelope> = {}): NewEnvelope => ({
  type: 'jobs',
  site: 'local',
  queue: 'default',
  creator: 'tester',
  idempotencyKey: null,
  fileName: null,
  onError: 'stop',
  ...overrides,
});

/** A chain of `n` members, each after the one before. */
const chain = (n: number, job: (i: number) => Partial<NewJob> = () => ({})): EnvelopeMemberSpec[] =>
  Array.from({ length: n }, (_, i) => ({ job: newJob(job(i)), after: i === 0 ? [] : [i - 1] }));

/** Envelopes: chaining, onError, cancel, idempotency, corrupt submissions, rollback order and state, a restart mid-chain. */
export function describeEnvelopesConformance(harness: StoreHarness): void {
  describe(`envelopes conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    let clock = T0;
    const now = () => ++clock;
    const lease = (): Promise<LeasedTask[]> => store().leaseTasks({ ...LEASE, now: now() });
    const succeed = (t: LeasedTask, changed = true) =>
      store().completeTasks([{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed, result: { n: t.task.id } } }], now());
    const fail = (t: LeasedTask) =>
      store().completeTasks(
        [{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'failed', error: { message: 'broke' }, retryable: false } }],
        now(),
      );
    const submit = async (members: EnvelopeMemberSpec[], onError: EnvelopeOnError = 'stop', key: string | null = null) =>
      store().submitEnvelope(envelope({ onError, idempotencyKey: key }), members, now());
    const memberIds = async (id: number) => (await store().envelopeMembers(id)).map((m) => m.job.id);

    it('runs a chain one job after the other, and ends success', async () => {
      const { envelope: env, created } = await submit(chain(3));
      expect(created).toBe(true);
      expect(env).toMatchObject({ status: 'active', totalJobs: 3, jobCounts: { queued: 3 } });
      const [a, b, c] = await memberIds(env.id);
      const members = await store().envelopeMembers(env.id);
      expect(members.map((m) => m.after)).toEqual([[], [a], [b]]);
      expect(members[1].job).toMatchObject({ state: 'queued', envelopeId: env.id, envelopeWaitOn: a });

      let leased = await lease();
      expect(leased.map((t) => t.job.id)).toEqual([a]);
      await succeed(leased[0]);
      expect((await store().getJob(b))?.envelopeWaitOn).toBeNull();
      leased = await lease();
      expect(leased.map((t) => t.job.id)).toEqual([b]);
      expect(await lease()).toEqual([]);
      await succeed(leased[0]);
      leased = await lease();
      expect(leased.map((t) => t.job.id)).toEqual([c]);
      expect((await store().getEnvelope(env.id))?.status).toBe('active');
      await succeed(leased[0]);
      expect(await store().getEnvelope(env.id)).toMatchObject({ status: 'success', jobCounts: { success: 3 }, endedAt: expect.any(Number) });
    });

    it('counts only the members it still has once one is deleted or pruned', async () => {
      const { envelope: env } = await submit(chain(3), 'continue');
      for (let i = 0; i < 3; i++) await succeed((await lease())[0]);
      const [a, b] = await memberIds(env.id);
      expect(await store().getEnvelope(env.id)).toMatchObject({ status: 'success', totalJobs: 3, jobCounts: { success: 3 } });
      await store().deleteJob(a, now());
      expect(await store().getEnvelope(env.id)).toMatchObject({ status: 'success', totalJobs: 2, jobCounts: { success: 2 } });
      // Retention: everything ended before the cutoff goes.
      expect(await store().pruneJobs({ byWorkflow: {}, byQueue: {}, otherwise: clock + 1 }, 1, now())).toBe(1);
      expect(await store().getJob(b)).toBeNull();
      expect(await store().getEnvelope(env.id)).toMatchObject({ totalJobs: 1, jobCounts: { success: 1 } });
    });

    it("tells an envelope's history: its own events and its jobs', oldest first, none of another envelope", async () => {
      const { envelope: env } = await submit(chain(2));
      const [a, b] = await memberIds(env.id);
      for (let i = 0; i < 2; i++) await succeed((await lease())[0]);
      const other = (await submit(chain(1))).envelope.id;
      const events = await store().envelopeEvents(env.id, 100);
      expect(events[0]).toMatchObject({ type: 'envelope:created', data: { envelope: env.id, jobs: 2 } });
      expect(events.at(-1)).toMatchObject({ type: 'envelope:status:changed', data: { envelope: env.id, from: 'active', to: 'success' } });
      expect(events.filter((e) => e.type === 'job:created').map((e) => e.jobId)).toEqual([a, b]);
      expect(events.filter((e) => e.type === 'job:state:changed' && e.data.to === 'success').map((e) => e.jobId)).toEqual([a, b]);
      expect(events.every((e) => e.data.envelope === env.id || e.jobId === a || e.jobId === b)).toBe(true);
      expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((x, y) => x - y));
      const newest = await store().envelopeEvents(env.id, 2);
      expect(newest.map((e) => e.id)).toEqual(events.slice(-2).map((e) => e.id));
      expect((await store().envelopeEvents(other, 100)).some((e) => e.jobId === a)).toBe(false);
    });

    it('runs a small graph: a member waits for every member it runs after', async () => {
      const members: EnvelopeMemberSpec[] = [
        { job: newJob(), after: [] },
        { job: newJob(), after: [] },
        { job: newJob(), after: [0, 1] },
      ];
      const { envelope: env } = await submit(members);
      const [a, b, c] = await memberIds(env.id);
      const first = await lease();
      expect(first.map((t) => t.job.id).sort()).toEqual([a, b]);
      await succeed(first.find((t) => t.job.id === b) as LeasedTask);
      expect((await store().getJob(c))?.envelopeWaitOn).toBe(a);
      expect(await lease()).toEqual([]);
      await succeed(first.find((t) => t.job.id === a) as LeasedTask);
      expect((await lease()).map((t) => t.job.id)).toEqual([c]);
    });

    it("with onError 'stop', a failed member cancels the rest with a reason", async () => {
      const { envelope: env } = await submit(chain(3), 'stop');
      const [a, b, c] = await memberIds(env.id);
      await fail((await lease())[0]);
      for (const id of [b, c]) {
        expect(await store().getJob(id)).toMatchObject({ state: 'cancelled', reason: expect.stringContaining(`job ${a} ended failure`) });
      }
      expect(await store().getEnvelope(env.id)).toMatchObject({
        status: 'errors',
        intent: 'stop',
        reason: expect.stringContaining(`job ${a}`),
        jobCounts: { failure: 1, cancelled: 2 },
      });
      expect(await lease()).toEqual([]);
    });

    it('retries a stopped envelope: the failed member and those it stopped run again, chained', async () => {
      const { envelope: env } = await submit(chain(3), 'stop');
      const [a, b, c] = await memberIds(env.id);
      await expect(store().retryEnvelope(env.id, now())).rejects.toMatchObject({ code: 'SWY_ERR_ENVELOPE_STATE' });
      await fail((await lease())[0]);
      expect((await store().getEnvelope(env.id))?.status).toBe('errors');
      const retried = await store().retryEnvelope(env.id, now());
      expect(retried).toMatchObject({ status: 'active', intent: 'run', reason: null, jobCounts: { queued: 3 } });
      expect((await store().getJob(b))?.envelopeWaitOn).toBe(a);
      for (const id of [a, b, c]) {
        const leased = await lease();
        expect(leased.map((t) => t.job.id)).toEqual([id]);
        await succeed(leased[0]);
      }
      expect((await store().getEnvelope(env.id))?.status).toBe('success');
    });

    it("with onError 'continue', the rest run after a failure and the envelope ends errors", async () => {
      const { envelope: env } = await submit(chain(2), 'continue');
      const [, b] = await memberIds(env.id);
      await fail((await lease())[0]);
      expect((await store().getEnvelope(env.id))?.status).toBe('errors-active');
      const next = await lease();
      expect(next.map((t) => t.job.id)).toEqual([b]);
      await succeed(next[0]);
      expect(await store().getEnvelope(env.id)).toMatchObject({ status: 'errors', jobCounts: { failure: 1, success: 1 } });
    });

    it('cancels an envelope: waiting members end cancelled, running ones are told to stop', async () => {
      const { envelope: env } = await submit(chain(3));
      const [a, b] = await memberIds(env.id);
      const [running] = await lease();
      const cancelled = await store().cancelEnvelope(env.id, now());
      expect(cancelled.status).toBe('cancelled');
      expect((await store().getJob(a))?.state).toBe('cancelling');
      expect(await store().getJob(b)).toMatchObject({ state: 'cancelled', reason: `envelope ${env.id} cancelled on request` });
      const beat = await store().heartbeat({
        workerId: 'w1',
        leases: [{ taskId: running.task.id, leaseToken: running.leaseToken }],
        leaseMs: 30_000,
        now: now(),
      });
      expect(beat.stop).toEqual([{ taskId: running.task.id, reason: 'cancel' }]);
      await expect(store().cancelEnvelope(env.id, now())).rejects.toMatchObject({ code: 'SWY_ERR_ENVELOPE_STATE' });
      await expect(store().cancelEnvelope(99_999, now())).rejects.toMatchObject({ code: 'SWY_ERR_ENVELOPE_NOT_FOUND' });
    });

    it('deletes an envelope that is through with its members; refused while it runs or a member has not ended', async () => {
      const { envelope: env } = await submit(chain(2));
      const [a, b] = await memberIds(env.id);
      await expect(store().deleteEnvelope(env.id, now())).rejects.toMatchObject({ code: 'SWY_ERR_ENVELOPE_STATE' });
      const [running] = await lease();
      expect((await store().cancelEnvelope(env.id, now())).status).toBe('cancelled');
      // Cancelled, but its first job is still stopping.
      await expect(store().deleteEnvelope(env.id, now())).rejects.toMatchObject({
        code: 'SWY_ERR_ENVELOPE_STATE',
        message: expect.stringContaining(`job ${a} is cancelling`),
      });
      await succeed(running);
      expect(await store().getJob(a)).toMatchObject({ state: expect.stringMatching(/^(cancelled|success)$/) });
      const lastEvent = (await store().listEvents(0, 10_000, null)).at(-1)?.id ?? 0;
      expect(await store().deleteEnvelope(env.id, now())).toEqual({ jobs: 2 });
      expect(await store().getEnvelope(env.id)).toBeNull();
      expect(await store().getJob(a)).toBeNull();
      expect(await store().getJob(b)).toBeNull();
      expect(await store().envelopeMembers(env.id)).toEqual([]);
      expect((await store().listEnvelopes({ sites: null, limit: 10 })).items.map((e) => e.id)).not.toContain(env.id);
      const events = await store().listEvents(lastEvent, 100, null);
      expect(events.filter((e) => e.type === 'job:deleted').map((e) => e.jobId)).toEqual([a, b]);
      expect(events.find((e) => e.type === 'envelope:deleted')?.data).toMatchObject({ envelope: env.id, jobs: 2 });
      await expect(store().deleteEnvelope(env.id, now())).rejects.toMatchObject({ code: 'SWY_ERR_ENVELOPE_NOT_FOUND' });
    });

    it('deletes a rolled-back envelope with its rollback job, and a corrupt one', async () => {
      const { envelope: env } = await submit(chain(1));
      await succeed((await lease())[0]);
      const rolling = await store().rollbackEnvelope(env.id, newJob({ tasks: [{ type: 'rollback:work', input: {}, key: 'u' }] }), now());
      await expect(store().deleteEnvelope(env.id, now())).rejects.toMatchObject({ code: 'SWY_ERR_ENVELOPE_STATE' });
      await succeed((await lease())[0]);
      expect((await store().getEnvelope(env.id))?.status).toBe('rolled-back');
      expect(await store().deleteEnvelope(env.id, now())).toEqual({ jobs: 2 });
      expect(await store().getJob(rolling.rollbackJobId as number)).toBeNull();

      const corrupt = await store().submitEnvelope(envelope({ corrupt: { message: 'line 2: bad' } }), [], now());
      expect(await store().deleteEnvelope(corrupt.envelope.id, now())).toEqual({ jobs: 0 });
      expect(await store().getEnvelope(corrupt.envelope.id)).toBeNull();
    });

    it('answers a repeated idempotency key with the first envelope and creates nothing', async () => {
      const first = await submit(chain(2), 'stop', 'upload-1');
      const again = await submit(chain(5), 'stop', 'upload-1');
      expect(again.created).toBe(false);
      expect(again.envelope.id).toBe(first.envelope.id);
      expect(await memberIds(first.envelope.id)).toHaveLength(2);
      expect((await store().listJobs({ sites: null, limit: 100 })).items).toHaveLength(2);
    });

    it('records a corrupt submission with its problem and no jobs', async () => {
      const { envelope: env } = await store().submitEnvelope(
        envelope({ corrupt: { message: 'line 3: workflow: required', line: 3, field: 'workflow' } }),
        [],
        now(),
      );
      expect(env).toMatchObject({ status: 'corrupt', reason: 'line 3: workflow: required', problem: { line: 3, field: 'workflow' }, totalJobs: 0 });
      expect((await store().listJobs({ sites: null, limit: 10 })).items).toEqual([]);
      await expect(store().rollbackEnvelope(env.id, newJob(), now())).rejects.toMatchObject({ code: 'SWY_ERR_ENVELOPE_STATE' });
    });

    it('lists envelopes newest first, filtered and paged', async () => {
      const a = (await submit(chain(1))).envelope.id;
      const b = (await store().submitEnvelope(envelope({ corrupt: { message: 'bad' }, type: 'csv' }), [], now())).envelope.id;
      const c = (await submit(chain(1))).envelope.id;
      const page = await store().listEnvelopes({ sites: null, limit: 2 });
      expect(page.items.map((e) => e.id)).toEqual([c, b]);
      const rest = await store().listEnvelopes({ sites: null, limit: 2, cursor: page.nextCursor });
      expect(rest).toMatchObject({ items: [{ id: a }], nextCursor: null });
      expect((await store().listEnvelopes({ sites: null, limit: 10, statuses: ['corrupt'] })).items.map((e) => e.id)).toEqual([b]);
      expect((await store().listEnvelopes({ sites: null, limit: 10, types: ['jobs'] })).items.map((e) => e.id)).toEqual([c, a]);
      expect((await store().listEnvelopes({ sites: ['elsewhere'], limit: 10 })).items).toEqual([]);
    });

    it('rolls back newest first, refused while members run, ends rolled-back; a failed rollback ends errors and runs again', async () => {
      const { envelope: env } = await submit(
        chain(2, () => ({
          tasks: [
            { type: 'work', input: { n: 1 }, key: 'a' },
            { type: 'work', input: { n: 2 }, key: 'b', after: ['a'] },
          ],
        })),
      );
      await expect(store().rollbackEnvelope(env.id, newJob(), now())).rejects.toMatchObject({
        code: 'SWY_ERR_ENVELOPE_STATE',
        message: expect.stringMatching(/still running/),
      });
      // Run both members; task b of the first job changes nothing, so it has nothing to undo.
      let firstJob = 0;
      for (;;) {
        const leased = await lease();
        if (leased.length === 0) break;
        firstJob ||= leased[0].job.id;
        for (const t of leased) await succeed(t, !(t.job.id === firstJob && (t.task.input as { n: number }).n === 2));
      }
      expect((await store().getEnvelope(env.id))?.status).toBe('success');
      const members = await memberIds(env.id);
      const sources = await store().rollbackSources(members, 10);
      expect(sources).toHaveLength(3);
      expect(sources.every((s) => members.includes(s.jobId) && s.result !== null)).toBe(true);

      const rollback = newJob({
        tasks: [
          { type: 'rollback:work', input: { undo: 1 }, key: 'u1' },
          { type: 'rollback:work', input: { undo: 2 }, key: 'u2', after: ['u1'] },
        ],
      });
      const rolling = await store().rollbackEnvelope(env.id, rollback, now());
      expect(rolling).toMatchObject({ status: 'rolling-back', rollback: 'running', rollbackJobId: expect.any(Number) });
      await expect(store().rollbackEnvelope(env.id, rollback, now())).rejects.toMatchObject({ code: 'SWY_ERR_ENVELOPE_STATE' });
      expect(await store().getJob(rolling.rollbackJobId as number)).toMatchObject({ rollback: true, envelopeId: env.id });
      // Members of the envelope are not changed by its rollback job.
      expect(await memberIds(env.id)).toEqual(members);

      // The first compensation runs, the second fails: the envelope ends errors with the reason.
      const [u1] = await lease();
      expect(u1.task.input).toEqual({ undo: 1 });
      await succeed(u1);
      const [u2] = await lease();
      await fail(u2);
      expect(await store().getEnvelope(env.id)).toMatchObject({ status: 'errors', rollback: 'failed', reason: expect.stringMatching(/retry the rollback/) });

      // Retrying runs only what failed.
      expect(await store().rollbackEnvelope(env.id, null, now())).toMatchObject({ status: 'rolling-back' });
      const again = await lease();
      expect(again.map((t) => t.task.input)).toEqual([{ undo: 2 }]);
      await succeed(again[0]);
      expect(await store().getEnvelope(env.id)).toMatchObject({ status: 'rolled-back', rollback: 'done', reason: null });
      await expect(store().rollbackEnvelope(env.id, null, now())).rejects.toMatchObject({ code: 'SWY_ERR_ENVELOPE_STATE' });
    });

    it('refuses a rollback when a later job outside the envelope held a conflicting lock', async () => {
      const { envelope: env } = await submit(chain(1, () => ({ locks: [{ key: 'projects/a', mode: 'exclusive' }] })));
      await succeed((await lease())[0]);
      await store().submitJobs([newJob({ locks: [{ key: 'projects/a', mode: 'exclusive' }] })], now());
      await succeed((await lease())[0]);
      await expect(store().rollbackEnvelope(env.id, newJob(), now())).rejects.toMatchObject({ code: 'SWY_ERR_RETRY_SUPERSEDED' });
    });

    it('rolls back one finished job with a job linked to it', async () => {
      const [{ job }] = await store().submitJobs([newJob()], now());
      await expect(store().rollbackJob(job.id, newJob(), now())).rejects.toMatchObject({ code: 'SWY_ERR_ROLLBACK_REFUSED' });
      await succeed((await lease())[0]);
      const undo = await store().rollbackJob(job.id, newJob({ tasks: [{ type: 'rollback:work', input: null }] }), now());
      expect(undo).toMatchObject({ rollbackOf: job.id, rollback: true, parentJobId: job.id, state: 'queued' });
      await expect(store().rollbackJob(job.id, newJob(), now())).rejects.toMatchObject({
        code: 'SWY_ERR_ROLLBACK_REFUSED',
        message: expect.stringMatching(/already/),
      });
    });

    it('continues a chain after the store is closed and reopened mid-chain', async () => {
      const { envelope: env } = await submit(chain(3));
      const [, b, c] = await memberIds(env.id);
      await succeed((await lease())[0]);
      await store.reopen();
      const leased = await lease();
      expect(leased.map((t) => t.job.id)).toEqual([b]);
      await succeed(leased[0]);
      await store.reopen();
      const last = await lease();
      expect(last.map((t) => t.job.id)).toEqual([c]);
      await succeed(last[0]);
      expect((await store().getEnvelope(env.id))?.status).toBe('success');
    });
  });
}
