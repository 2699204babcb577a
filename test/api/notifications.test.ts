import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalJobState } from '../../src/model/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';
import { startSmtp } from '../helpers/smtp.js';
import { waitFor } from '../helpers/test-hub.js';

describe('notifications over the REST API', () => {
  let hub: RunningHub;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  beforeAll(async () => {
    smtp = await startSmtp();
    hub = await startTestHub({ smtpUrl: smtp.url, mailFrom: 'hub@example.test' });
  });
  afterAll(async () => {
    await hub?.close();
    await smtp?.close();
  });

  const post = async (path: string, json: unknown) => {
    const response = await hub.api(`/api/v1${path}`, { method: 'POST', json });
    return { status: response.status, body: await response.json() };
  };

  it('e-mails a job subscriber over SMTP, fills the console inbox, and keeps webhook secrets to the one answer', async () => {
    const { body: job } = await post('/jobs', { workflow: 'simulate', fields: { tasks: 1, items: 2, delayMs: 0 } });
    const mail = await post(`/jobs/${job.id}/subscriptions`, { channel: 'email', address: 'ops@example.test', on: 'end' });
    expect(mail.status).toBe(201);
    expect((await post(`/jobs/${job.id}/subscriptions`, { channel: 'console' })).status).toBe(201);
    const hook = await post(`/jobs/${job.id}/subscriptions`, { channel: 'webhook', url: 'http://127.0.0.1:9/hook?token=s3cret' });
    expect(hook.body.secret).toMatch(/^whsec_/);
    expect(hook.body.url).toBe('http://127.0.0.1:9/…');
    const bad = await post(`/jobs/${job.id}/subscriptions`, { channel: 'email' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'SWY_ERR_VALIDATION', fields: [{ path: 'address' }] } } });

    await waitFor(
      hub.engine,
      async () => ((await hub.job(job.id)) && isTerminalJobState((await hub.job(job.id))?.state ?? 'running') ? true : null),
      15_000,
      'job end',
    );
    // The hub's own duty loop sends; wait for the mail and the webhook's first attempt.
    await waitFor(hub.engine, async () => (smtp.mails.length > 0 ? true : null), 15_000, 'the e-mail');
    await waitFor(
      hub.engine,
      async () => ((await (await hub.api(`/api/v1/subscriptions/${hook.body.id}/deliveries`)).json()).items[0]?.attempts > 0 ? true : null),
      15_000,
      'the webhook attempt',
    );
    expect(smtp.mails.map((m) => m.to)).toEqual([['ops@example.test']]);
    expect(smtp.mails[0].raw).toContain(`Subject: [Switchyard] Job #${job.id} simulate succeeded at local`);
    expect(smtp.mails[0].raw).toContain(`${hub.url}/jobs/${job.id}`);

    const inbox = await (await hub.api('/api/v1/notifications')).json();
    expect(inbox).toMatchObject({ unread: 1, items: [{ jobId: job.id, channel: 'console', job: { state: 'success' } }] });
    const listed = await (await hub.api('/api/v1/subscriptions')).json();
    expect(listed.items).toHaveLength(3);
    expect(JSON.stringify(listed)).not.toMatch(/whsec_|s3cret/);
    const log = await (await hub.api(`/api/v1/subscriptions/${hook.body.id}/deliveries`)).json();
    expect(log.items[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await hub.api(`/api/v1/subscriptions/${hook.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await post('/notifications/read', {})).body).toEqual({ marked: 1 });
  });

  it('subscribes to an envelope (e-mailed when it ends) and a schedule (each job it fires), listed with what they target', async () => {
    smtp.mails.length = 0;
    const { body: envelope } = await post('/envelopes', {
      type: 'jobs',
      jobs: [1, 2].map((items) => ({ workflow: 'simulate', fields: { tasks: 1, items, delayMs: 0 } })),
    });
    const byEnvelope = await post(`/envelopes/${envelope.id}/subscriptions`, { channel: 'email', address: 'env@example.test', on: 'end' });
    expect(byEnvelope).toMatchObject({ status: 201, body: { envelopeId: envelope.id, scheduleId: null, jobId: null, on: 'end' } });
    const { body: schedule } = await post('/schedules', {
      name: 'notify-rest',
      workflow: 'simulate',
      fields: { tasks: 1, items: 1, delayMs: 0 },
      everyMs: 3_600_000,
    });
    const bySchedule = await post(`/schedules/${schedule.id}/subscriptions`, { channel: 'console', on: 'end' });
    expect(bySchedule).toMatchObject({ status: 201, body: { scheduleId: schedule.id, envelopeId: null, jobId: null } });
    expect(await post('/envelopes/999999/subscriptions', { channel: 'console' })).toMatchObject({
      status: 404,
      body: { error: { code: 'SWY_ERR_ENVELOPE_NOT_FOUND' } },
    });
    expect(await post('/schedules/999999/subscriptions', { channel: 'console' })).toMatchObject({
      status: 404,
      body: { error: { code: 'SWY_ERR_SCHEDULE_NOT_FOUND' } },
    });
    expect((await post(`/schedules/${schedule.id}/subscriptions`, { channel: 'webhook' })).status).toBe(400);

    const run = await post(`/schedules/${schedule.id}/run`, {});
    expect(run.status).toBeLessThan(300);
    await waitFor(hub.engine, async () => (smtp.mails.some((m) => m.to.includes('env@example.test')) ? true : null), 20_000, 'the envelope e-mail');
    const mail = smtp.mails.find((m) => m.to.includes('env@example.test'));
    const raw = mail?.raw.replace(/=\r?\n/g, '') ?? '';
    expect(raw).toContain(`Subject: [Switchyard] Envelope #${envelope.id} jobs succeeded at local`);
    expect(raw).toContain(`${hub.url}/envelopes/${envelope.id}`);
    const fromSchedule = await waitFor(
      hub.engine,
      async () => {
        const inbox = await (await hub.api('/api/v1/notifications')).json();
        return inbox.items.find((d: { subscriptionId: number }) => d.subscriptionId === bySchedule.body.id) ?? null;
      },
      20_000,
      "the scheduled job's notification",
    );
    expect(fromSchedule.job).toMatchObject({ state: 'success', schedule: { id: schedule.id, name: 'notify-rest' } });
    const listed = (await (await hub.api('/api/v1/subscriptions')).json()).items;
    expect(listed.filter((s: { envelopeId: number | null }) => s.envelopeId === envelope.id)).toHaveLength(1);
    expect(listed.filter((s: { scheduleId: number | null }) => s.scheduleId === schedule.id)).toHaveLength(1);
  });
});
