import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInWorkflows } from '../../src/workflows/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';

/**
 * A remote worker long-polls `POST /worker/lease` (20 s at a time). A task that becomes due
 * while it waits (a job's runAt, a retry after its backoff) sends no wake-up when it does: the
 * poll must still hand it out when it is due, not when the poll ends.
 */
describe('a long-polling lease over HTTP', () => {
  let hub: RunningHub;
  let token = '';
  const WORKER = { workerId: 'w-poll', site: 'local', workflows: ['simulate'], limit: 1 };
  /** Far longer than any task here takes to become due: an answer only at its end is the defect. */
  const WAIT_MS = 60_000;
  const post = async (path: string, body: unknown, as?: string) => {
    const response = await hub.api(`/api/v1${path}`, { method: 'POST', json: body, token: as });
    return { status: response.status, body: await response.json() };
  };
  const longPoll = async () => {
    const started = Date.now();
    const answer = await post('/worker/lease', { ...WORKER, waitMs: WAIT_MS }, token);
    expect(answer.status).toBe(200);
    return { tasks: answer.body.tasks as { task: { id: number; jobId: number; attempts: number }; leaseToken: string }[], tookMs: Date.now() - started };
  };

  /** Runs whatever else is ready (a simulate job's later tasks) to its end, as a worker would. */
  const settleReady = async () => {
    for (;;) {
      const { tasks } = (await post('/worker/lease', { ...WORKER, waitMs: 0 }, token)).body as { tasks: { task: { id: number }; leaseToken: string }[] };
      if (tasks.length === 0) return;
      const completions = tasks.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: false } }));
      expect((await post('/worker/complete', { completions }, token)).status).toBe(200);
    }
  };

  beforeAll(async () => {
    hub = await startTestHub({ localWorker: false, workflows: builtInWorkflows });
    token = (await post('/tokens', { name: 'poller', role: 'worker', sites: ['local'] })).body.token;
    const registered = await post(
      '/worker/register',
      { id: WORKER.workerId, name: WORKER.workerId, site: 'local', host: 'test', workflows: WORKER.workflows },
      token,
    );
    expect(registered.status).toBe(200);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('hands out a job whose runAt comes while it waits, when it comes', async () => {
    const runAt = Date.now() + 1_500;
    const job = (await post('/jobs', { workflow: 'simulate', fields: { items: 0 }, runAt })).body as { id: number };
    const { tasks, tookMs } = await longPoll();
    expect(tasks.map((t) => t.task.jobId)).toEqual([job.id]);
    expect(Date.now()).toBeGreaterThanOrEqual(runAt);
    // Due after 1.5 s; a poll that only looked again at its end would answer after 60 s.
    expect(tookMs).toBeLessThan(WAIT_MS / 2);
    const done = await post(
      '/worker/complete',
      { completions: [{ taskId: tasks[0].task.id, leaseToken: tasks[0].leaseToken, report: { kind: 'succeeded', changed: false } }] },
      token,
    );
    expect(done.status).toBe(200);
  });

  it('hands out a failed task again once its retry backoff is over', async () => {
    await settleReady();
    const job = (await post('/jobs', { workflow: 'simulate', fields: { items: 0 } })).body as { id: number };
    const [first] = (await longPoll()).tasks;
    expect(first.task).toMatchObject({ jobId: job.id, attempts: 1 });
    const failed = await post(
      '/worker/complete',
      { completions: [{ taskId: first.task.id, leaseToken: first.leaseToken, report: { kind: 'failed', error: { message: 'flaky' }, retryable: true } }] },
      token,
    );
    expect(failed.status).toBe(200);
    // The job's other tasks are run as they come; the failed one must come back within its backoff.
    const started = Date.now();
    let again: Awaited<ReturnType<typeof longPoll>>['tasks'][number] | undefined;
    while (!again) {
      for (const leased of (await longPoll()).tasks) {
        if (leased.task.id === first.task.id) again = leased;
        else
          await post(
            '/worker/complete',
            { completions: [{ taskId: leased.task.id, leaseToken: leased.leaseToken, report: { kind: 'succeeded', changed: false } }] },
            token,
          );
      }
    }
    expect(again.task.attempts).toBe(2);
    // The backoff of a first retry is a second or two.
    expect(Date.now() - started).toBeLessThan(WAIT_MS / 2);
  });
});
