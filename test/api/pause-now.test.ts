import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobState } from '../../src/model/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';
import { waitFor } from '../helpers/test-hub.js';

/** "Pause now" through the API: running tasks are told to stop and go back to paused. */
describe('pause now over HTTP', () => {
  let hub: RunningHub;
  beforeAll(async () => {
    hub = await startTestHub({ workerConcurrency: 4 });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const post = async (path: string, json?: unknown) => {
    const response = await hub.api(`/api/v1${path}`, { method: 'POST', json });
    return { status: response.status, body: await response.json() };
  };
  const reach = (id: number, test: (job: { state: JobState; taskCounts: Record<string, number> }) => boolean, what: string) =>
    waitFor(
      hub.engine,
      async () => {
        const job = await hub.job(id);
        return job && test(job) ? job : null;
      },
      15_000,
      `job ${id} ${what}`,
    );
  /** Two tasks that would take minutes, each waiting on its signal between items. */
  const submitLong = async () => {
    const { status, body } = await post('/jobs', { workflow: 'simulate', fields: { tasks: 2, items: 10_000, delayMs: 50 } });
    expect(status).toBe(201);
    await reach(body.id, (job) => job.taskCounts.running === 2, 'running two tasks');
    return body.id as number;
  };

  it('stops running tasks at once: the job says what it waits for, then reads paused with no attempt spent', async () => {
    const id = await submitLong();
    const paused = await post(`/jobs/${id}/pause`, { now: true });
    expect(paused).toMatchObject({ status: 200, body: { state: 'pausing', reason: 'waiting for 2 running tasks to stop' } });
    await reach(id, (job) => job.state === 'paused', 'paused');
    const tasks = await (await hub.api(`/api/v1/jobs/${id}/tasks`)).json();
    expect(tasks.items.map((t: { state: string; attempts: number }) => [t.state, t.attempts])).toEqual([
      ['paused', 0],
      ['paused', 0],
    ]);
    const audit = await (await hub.api('/api/v1/audit')).json();
    expect(audit.items.find((entry: { action: string; target: string }) => entry.action === 'job.pause' && entry.target === `job:${id}`)).toMatchObject({
      data: { immediate: true, to: 'pausing' },
    });
    expect((await post(`/jobs/${id}/cancel`)).body.state).toBe('cancelled');
  });

  it('keeps the plain pause, with no body, letting running tasks run on', async () => {
    const id = await submitLong();
    const paused = await post(`/jobs/${id}/pause`);
    expect(paused).toMatchObject({ status: 200, body: { state: 'pausing', reason: 'waiting for 2 running tasks to stop' } });
    // Pausing a pausing job again is refused; "pause now" is not, and ends the wait.
    expect((await post(`/jobs/${id}/pause`)).status).toBe(409);
    expect((await post(`/jobs/${id}/pause`, { now: true })).body.state).toBe('pausing');
    await reach(id, (job) => job.state === 'paused', 'paused');
    expect((await post(`/jobs/${id}/pause`, { now: 'yes' })).status).toBe(400);
    expect((await post(`/jobs/${id}/cancel`)).body.state).toBe('cancelled');
  });
});
