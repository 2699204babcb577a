import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeHtmlOf, envelopeTextOf } from '../../src/engine/notify/message.js';
import { verifyWebhook } from '../../src/engine/notify/webhook-signature.js';
import { defineWorkflow, fail, z } from '../../src/index.js';
import { type Actor, digestDueAt } from '../../src/model/index.js';
import { startSmtp } from '../helpers/smtp.js';
import { createTestHub, type TestHub, waitFor } from '../helpers/test-hub.js';

const job = defineWorkflow({
  name: 'job',
  fields: z.object({ ok: z.boolean() }),
  plan: () => [{ type: 'run' }],
  tasks: {
    run: (ctx) => {
      ctx.item('/data/<a>.txt', { operation: 'copy', outcome: 'completed', bytes: 1 });
      if (!ctx.job.fields.ok) fail('disk <b>full</b> & gone');
      return { changed: true };
    },
  },
});

/** Runs at the hub's own site and at `east`, where no worker runs it: it ends when cancelled. */
const spanning = defineWorkflow({
  name: 'spanning',
  fields: z.object({}),
  plan: () => [{ type: 'run' }, { type: 'run', site: 'east' }],
  tasks: { run: () => ({ changed: true }) },
});

const ann: Actor = { name: 'ann', role: 'viewer', sites: null, ref: 'user:1' };
const bob: Actor = { name: 'bob', role: 'viewer', sites: ['east'], ref: 'user:2' };

/** A loopback webhook receiver answering each request with the next status of `statuses`. */
async function startReceiver(statuses: number[]): Promise<{ url: string; hits: { headers: IncomingMessage['headers']; body: string }[]; server: Server }> {
  const hits: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      hits.push({ headers: req.headers, body });
      res.statusCode = statuses[hits.length - 1] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/switchyard?key=abc`, hits, server };
}

describe('notifications', () => {
  let hub: TestHub;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let now = 1_800_000_000_000;

  beforeEach(async () => {
    smtp = await startSmtp();
    now = 1_800_000_000_000;
    hub = await createTestHub({
      workflows: [job, spanning],
      engine: {
        clock: () => now,
        notifier: { smtpUrl: smtp.url, from: 'hub@example.test', publicUrl: 'https://hub.example.test/', backoffMs: 1000, maxAttempts: 3 },
      },
    });
    await hub.store.createUser({ username: 'ann', passwordHash: 'x', role: 'viewer', sites: null, createdAt: now, email: 'ann@example.test' });
    await hub.store.createUser({ username: 'bob', passwordHash: 'x', role: 'viewer', sites: ['east'], createdAt: now, email: 'bob@example.test' });
  });

  afterEach(async () => {
    await hub.close();
    await smtp.close();
  });

  const runJob = async (ok: boolean) => {
    const { job: submitted } = await hub.engine.submit({ workflow: 'job', fields: { ok } }, hub.actor);
    return submitted.id;
  };

  it('e-mails the subscriber of a job that failed, over SMTP, with its summary, reason and link, escaped in HTML', async () => {
    const { job: submitted } = await hub.engine.submit({ workflow: 'job', fields: { ok: false } }, hub.actor);
    await hub.engine.notify.subscribeJob(submitted.id, { channel: 'email', on: 'failure' }, ann);
    await hub.waitForJob(submitted.id);
    await hub.engine.duties.tick();
    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail.from).toBe('hub@example.test');
    expect(mail.to).toEqual(['ann@example.test']);
    const raw = mail.raw.replace(/=\r?\n/g, '');
    expect(raw).toContain(`Subject: [Switchyard] Job #${submitted.id} job failed at local`);
    expect(raw).toMatch(/Reason: .*disk <b>full<\/b> & gone/);
    expect(raw).toContain('disk &#60;b&#62;full&#60;/b&#62; &#38; gone');
    expect(raw).toContain(`https://hub.example.test/jobs/${submitted.id}`);
    expect(raw).toMatch(/Items: completed 1/);
    // Nothing is sent twice.
    await hub.engine.duties.tick();
    expect(smtp.mails).toHaveLength(1);
  });

  it('does not e-mail a subscriber "on failure" of a job that succeeded', async () => {
    const id = await runJob(true);
    await hub.engine.notify.subscribeJob(id, { channel: 'email', on: 'failure' }, ann);
    await hub.waitForJob(id);
    await hub.engine.duties.tick();
    expect(smtp.mails).toHaveLength(0);
  });

  it('posts a signed webhook, retries after a 500 with backoff, with the same delivery id', async () => {
    const receiver = await startReceiver([500, 200]);
    try {
      const id = await runJob(true);
      const created = await hub.engine.notify.subscribeJob(id, { channel: 'webhook', url: receiver.url, on: 'end' }, ann);
      expect(created.secret).toMatch(/^whsec_/);
      expect(created.url).toBe(`${new URL(receiver.url).origin}/…`);
      expect((await hub.engine.notify.list(ann))[0]).not.toHaveProperty('secret');
      await hub.waitForJob(id);
      await hub.engine.duties.tick();
      expect(receiver.hits).toHaveLength(1);
      let [log] = await hub.engine.notify.deliveries(created.id, ann);
      expect(log).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 500', nextAttemptAt: now + 1000 });
      await hub.engine.duties.tick();
      expect(receiver.hits).toHaveLength(1);
      now += 1000;
      await hub.engine.duties.tick();
      expect(receiver.hits).toHaveLength(2);
      [log] = await hub.engine.notify.deliveries(created.id, ann);
      expect(log).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
      for (const hit of receiver.hits) {
        expect(verifyWebhook(created.secret as string, hit.body, String(hit.headers['switchyard-signature']), Math.floor(now / 1000))).toBe(true);
        expect(verifyWebhook('whsec_wrong', hit.body, String(hit.headers['switchyard-signature']), Math.floor(now / 1000))).toBe(false);
      }
      expect(receiver.hits[0].headers['switchyard-delivery']).toBe(receiver.hits[1].headers['switchyard-delivery']);
      expect(JSON.parse(receiver.hits[1].body)).toMatchObject({ type: 'job.ended', job: { jobId: id, state: 'success', site: 'local' } });
    } finally {
      receiver.server.close();
    }
  });

  it('ends a delivery as failed with its reason after the last attempt', async () => {
    const receiver = await startReceiver([500, 502, 503]);
    try {
      const id = await runJob(true);
      const created = await hub.engine.notify.subscribeJob(id, { channel: 'webhook', url: receiver.url, on: 'end' }, ann);
      await hub.waitForJob(id);
      for (const step of [0, 1000, 2000]) {
        now += step;
        await hub.engine.duties.tick();
      }
      expect(receiver.hits).toHaveLength(3);
      expect((await hub.engine.notify.deliveries(created.id, ann))[0]).toMatchObject({ status: 'failed', attempts: 3, lastError: 'HTTP 503' });
    } finally {
      receiver.server.close();
    }
  });

  it("fills the console inbox from site rules, and a site-limited user hears nothing of other sites' jobs", async () => {
    await hub.engine.notify.subscribeSite({ channel: 'console', allSites: true, events: ['failure'] }, ann);
    await hub.engine.notify.subscribeSite({ channel: 'console', allSites: true }, bob);
    const failed = await runJob(false);
    const succeeded = await runJob(true);
    await hub.waitForJob(failed);
    await hub.waitForJob(succeeded);
    await hub.engine.duties.tick();
    const inbox = await hub.engine.notify.inbox(ann);
    expect(inbox.unread).toBe(1);
    expect(inbox.items.map((d) => d.jobId)).toEqual([failed]);
    expect((await hub.engine.notify.inbox(bob)).items).toEqual([]);
    await expect(hub.engine.notify.subscribeSite({ channel: 'console', site: 'local' }, bob)).rejects.toMatchObject({ code: 'SWY_ERR_AUTH_SITE' });
    expect(await hub.engine.notify.markRead(null, ann)).toBe(1);
    expect((await hub.engine.notify.inbox(ann)).unread).toBe(0);
  });

  it('tells users and site rules of every site a job spans, not only its own', async () => {
    await hub.store.ensureSites(['east'], now);
    await hub.engine.notify.subscribeSite({ channel: 'console', site: 'east' }, bob);
    const { job: submitted } = await hub.engine.submit({ workflow: 'spanning', fields: {} }, hub.actor);
    expect(submitted.sites).toEqual(['local', 'east']);
    await hub.engine.notify.subscribeJob(submitted.id, { channel: 'console', on: 'end' }, bob);
    await hub.waitForJob(submitted.id, (j) => j.taskCounts.success === 1);
    await hub.engine.control(submitted.id, 'cancel', hub.actor);
    await hub.waitForJob(submitted.id);
    await hub.engine.duties.tick();
    const inbox = await hub.engine.notify.inbox(bob);
    expect(inbox.items.map((d) => d.jobId)).toEqual([submitted.id, submitted.id]);
    expect(inbox.items[0].payload).toMatchObject({ site: 'local', sites: ['local', 'east'], state: 'cancelled' });
  });

  it('delivers after a restart what a stopped hub had queued but not sent', async () => {
    const id = await runJob(true);
    await hub.engine.notify.subscribeJob(id, { channel: 'email', on: 'end' }, ann);
    await hub.waitForJob(id);
    // Queue without sending: the SMTP server refuses until the "restart".
    const outage = await startSmtp();
    await outage.close();
    const first = await createTestHub({ workflows: [job], store: hub.store, worker: false, engine: { clock: () => now, notifier: { smtpUrl: outage.url } } });
    await first.engine.duties.tick();
    await first.close();
    expect((await hub.store.listDeliveries({ username: 'ann', limit: 5 }))[0]).toMatchObject({ status: 'pending', attempts: 1 });
    now += 60_000;
    await hub.engine.duties.tick();
    expect(smtp.mails).toHaveLength(1);
    expect((await hub.store.listDeliveries({ username: 'ann', limit: 5 }))[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('lets only the owner (or an all-site admin) see and delete a subscription', async () => {
    const id = await runJob(true);
    const created = await hub.engine.notify.subscribeJob(id, { channel: 'console', on: 'end' }, ann);
    await expect(hub.engine.notify.delete(created.id, { ...bob, sites: null })).rejects.toMatchObject({ code: 'SWY_ERR_SUBSCRIPTION_NOT_FOUND' });
    await expect(hub.engine.notify.subscribeJob(id, { channel: 'email', on: 'end' }, bob)).rejects.toMatchObject({ code: 'SWY_ERR_JOB_NOT_FOUND' });
    await hub.engine.notify.delete(created.id, ann);
    expect(await hub.engine.notify.list(ann)).toEqual([]);
  });

  describe('digests', () => {
    // 2027-01-15 09:20 in Paris (UTC+1): the hourly digest goes at 10:00 Paris, the daily at 08:00 Paris the next day.
    const parisMorning = Date.UTC(2027, 0, 15, 8, 20);

    it("gathers an hourly digest until the top of the hour in the subscriber's zone, and sends the jobs as one e-mail grouped by site and state", async () => {
      now = parisMorning;
      await hub.engine.notify.subscribeSite({ channel: 'email', allSites: true, delivery: 'hourly', timezone: 'Europe/Paris' }, ann);
      const ids = [await runJob(true), await runJob(false), await runJob(true)];
      for (const id of ids) await hub.waitForJob(id);
      await hub.engine.duties.tick();
      expect(smtp.mails).toHaveLength(0);
      const pending = await hub.store.listDeliveries({ username: 'ann', limit: 10 });
      expect(pending.map((d) => d.nextAttemptAt)).toEqual([Date.UTC(2027, 0, 15, 9, 0), Date.UTC(2027, 0, 15, 9, 0), Date.UTC(2027, 0, 15, 9, 0)]);
      now = Date.UTC(2027, 0, 15, 8, 59, 59);
      await hub.engine.duties.tick();
      expect(smtp.mails).toHaveLength(0);
      now = Date.UTC(2027, 0, 15, 9, 0);
      await hub.engine.duties.tick();
      expect(smtp.mails).toHaveLength(1);
      const raw = smtp.mails[0].raw.replace(/=\r?\n/g, '');
      expect(raw).toContain('Subject: [Switchyard] Hourly digest: 3 jobs ended at local, 1 failed');
      expect(raw).toMatch(/Site local\s+failed \(1\)\s+#\d+ job/);
      expect(raw).toMatch(/succeeded \(2\)/);
      expect(raw).toContain(`https://hub.example.test/jobs/${ids[1]}`);
      expect((await hub.store.listDeliveries({ username: 'ann', limit: 10 })).every((d) => d.status === 'sent')).toBe(true);
      await hub.engine.duties.tick();
      expect(smtp.mails).toHaveLength(1);
    });

    it('sends a daily digest at 08:00 local time, and retries a failed digest whole with one delivery id', async () => {
      const receiver = await startReceiver([500, 200]);
      try {
        now = parisMorning;
        const created = await hub.engine.notify.subscribeSite(
          { channel: 'webhook', url: receiver.url, allSites: true, delivery: 'daily', timezone: 'Europe/Paris' },
          ann,
        );
        const ids = [await runJob(true), await runJob(false)];
        for (const id of ids) await hub.waitForJob(id);
        await hub.engine.duties.tick();
        now = Date.UTC(2027, 0, 16, 6, 59);
        await hub.engine.duties.tick();
        expect(receiver.hits).toHaveLength(0);
        now = Date.UTC(2027, 0, 16, 7, 0);
        await hub.engine.duties.tick();
        expect(receiver.hits).toHaveLength(1);
        now += 1000;
        await hub.engine.duties.tick();
        expect(receiver.hits).toHaveLength(2);
        const bodies = receiver.hits.map((hit) => JSON.parse(hit.body));
        expect(bodies[1]).toMatchObject({
          type: 'jobs.digest',
          jobs: [
            { jobId: ids[0], state: 'success' },
            { jobId: ids[1], state: 'failure' },
          ],
        });
        expect(receiver.hits[0].headers['switchyard-delivery']).toBe(receiver.hits[1].headers['switchyard-delivery']);
        expect(
          verifyWebhook(created.secret as string, receiver.hits[1].body, String(receiver.hits[1].headers['switchyard-signature']), Math.floor(now / 1000)),
        ).toBe(true);
        const log = await hub.engine.notify.deliveries(created.id, ann);
        expect(log.map((d) => [d.status, d.attempts])).toEqual([
          ['sent', 2],
          ['sent', 2],
        ]);
      } finally {
        receiver.server.close();
      }
    });

    it('keeps the daily digest at 08:00 local across the spring daylight-saving change', () => {
      // Paris moves from UTC+1 to UTC+2 on 2027-03-28.
      expect(digestDueAt('daily', 'Europe/Paris', Date.UTC(2027, 2, 27, 12))).toBe(Date.UTC(2027, 2, 28, 6));
      expect(digestDueAt('daily', 'Europe/Paris', Date.UTC(2027, 2, 26, 12))).toBe(Date.UTC(2027, 2, 27, 7));
      expect(digestDueAt('hourly', 'Asia/Kolkata', Date.UTC(2027, 2, 26, 12, 10))).toBe(Date.UTC(2027, 2, 26, 12, 30));
    });
  });

  describe('envelopes and schedules', () => {
    const submitEnvelope = async (oks: boolean[]) =>
      (await hub.engine.envelopes.submit({ type: 'jobs', jobs: oks.map((ok) => ({ workflow: 'job', fields: { ok } })) }, hub.actor)).envelope.id;
    const envelopeEnded = (id: number) =>
      waitFor(
        hub.store,
        async () => {
          const envelope = await hub.store.getEnvelope(id);
          return envelope && ['success', 'errors', 'corrupt', 'cancelled', 'rolled-back'].includes(envelope.status) ? envelope : null;
        },
        15_000,
        `envelope ${id} to end`,
      );

    it('e-mails an envelope subscriber once when the envelope succeeds, with its members done by state and its link', async () => {
      const id = await submitEnvelope([true, true]);
      await hub.engine.notify.subscribeEnvelope(id, { channel: 'email', on: 'end' }, ann);
      await hub.engine.notify.subscribeEnvelope(id, { channel: 'console', on: 'failure' }, ann);
      await envelopeEnded(id);
      await hub.engine.duties.tick();
      expect(smtp.mails).toHaveLength(1);
      const raw = smtp.mails[0].raw.replace(/=\r?\n/g, '');
      expect(raw).toContain(`Subject: [Switchyard] Envelope #${id} jobs succeeded at local`);
      expect(raw).toContain('Jobs: 2/2 done (success 2)');
      expect(raw).toContain(`https://hub.example.test/envelopes/${id}`);
      // "On failure" hears nothing of a success; the member jobs' own ends tell nobody here.
      expect((await hub.engine.notify.inbox(ann)).items).toEqual([]);
      await hub.engine.duties.tick();
      expect(smtp.mails).toHaveLength(1);
    });

    it('posts a signed envelope.ended webhook when an envelope ends with errors, and e-mails the reason escaped', async () => {
      const receiver = await startReceiver([200]);
      try {
        const id = await submitEnvelope([true, false]);
        const hook = await hub.engine.notify.subscribeEnvelope(id, { channel: 'webhook', url: receiver.url, on: 'failure' }, ann);
        await hub.engine.notify.subscribeEnvelope(id, { channel: 'email', on: 'failure' }, ann);
        const ended = await envelopeEnded(id);
        expect(ended.status).toBe('errors');
        await hub.engine.duties.tick();
        expect(receiver.hits).toHaveLength(1);
        const [hit] = receiver.hits;
        expect(verifyWebhook(hook.secret as string, hit.body, String(hit.headers['switchyard-signature']), Math.floor(now / 1000))).toBe(true);
        const event = JSON.parse(hit.body);
        expect(event).toMatchObject({
          type: 'envelope.ended',
          envelope: {
            kind: 'envelope',
            envelopeId: id,
            type: 'jobs',
            status: 'errors',
            site: 'local',
            totalJobs: 2,
            done: 2,
            link: `https://hub.example.test/envelopes/${id}`,
          },
        });
        expect(event.envelope.jobCounts).toMatchObject({ success: 1, failure: 1 });
        expect(smtp.mails).toHaveLength(1);
        const raw = smtp.mails[0].raw.replace(/=\r?\n/g, '');
        expect(raw).toContain(`Subject: [Switchyard] Envelope #${id} jobs ended with errors at local`);
        expect(raw).toContain('Status</th><td>errors');
        expect(raw).not.toMatch(/<td>[^<]*<b>/);
      } finally {
        receiver.server.close();
      }
    });

    it("tells a schedule's subscriber of each job it fired, with the schedule's name, and nothing of other jobs", async () => {
      const schedule = await hub.engine.schedules.create({ name: 'nightly <copy>', workflow: 'job', fields: { ok: false }, everyMs: 3_600_000 }, hub.actor);
      const created = await hub.engine.notify.subscribeSchedule(schedule.id, { channel: 'email', on: 'failure' }, ann);
      expect(created).toMatchObject({ scheduleId: schedule.id, envelopeId: null, jobId: null });
      await hub.engine.notify.subscribeSchedule(schedule.id, { channel: 'console', on: 'end' }, ann);
      const fired = await hub.engine.schedules.run(schedule.id, hub.actor);
      expect(fired.outcome).toBe('submitted');
      const other = await runJob(false);
      await hub.waitForJob(fired.job?.id as number);
      await hub.waitForJob(other);
      await hub.engine.duties.tick();
      expect(smtp.mails).toHaveLength(1);
      const raw = smtp.mails[0].raw.replace(/=\r?\n/g, '');
      expect(raw).toContain(`Subject: [Switchyard] Job #${fired.job?.id} job failed at local`);
      expect(raw).toContain('Schedule: nightly <copy>');
      expect(raw).toContain('nightly &#60;copy&#62;');
      const inbox = await hub.engine.notify.inbox(ann);
      expect(inbox.items.map((d) => d.jobId)).toEqual([fired.job?.id]);
      expect(inbox.items[0].payload).toMatchObject({ state: 'failure', schedule: { id: schedule.id, name: 'nightly <copy>' } });
    });

    it("escapes every value of an envelope's HTML message, and keeps the text plain", () => {
      const hostile = {
        kind: 'envelope' as const,
        envelopeId: 9,
        type: '<script>x</script>',
        site: 'a&b',
        queue: '"q"',
        creator: "o'neil",
        status: 'errors',
        reason: 'line 3: <img src=x onerror=alert(1)>',
        endedAt: Date.UTC(2027, 0, 1),
        jobCounts: { success: 1, failure: 2 },
        done: 3,
        totalJobs: 4,
        link: 'https://hub.example.test/envelopes/9?"><b>',
      };
      const html = envelopeHtmlOf(hostile);
      expect(html).not.toMatch(/<script|<img|<b>|"><b/);
      expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
      expect(html).toContain('a&#38;b');
      expect(html).toContain('line 3: &#60;img src=x onerror=alert(1)&#62;');
      expect(envelopeTextOf(hostile)).toContain('Jobs: 3/4 done (success 1, failure 2)');
      expect(envelopeTextOf(hostile)).toContain('Reason: line 3: <img src=x onerror=alert(1)>');
    });

    it("tells an envelope subscriber nothing once it may no longer see the envelope's site", async () => {
      await hub.store.ensureSites(['east'], now);
      // At east, where no worker runs: it ends when cancelled.
      const { envelope } = await hub.engine.envelopes.submit({ type: 'jobs', site: 'east', jobs: [{ workflow: 'job', fields: { ok: true } }] }, hub.actor);
      await hub.engine.notify.subscribeEnvelope(envelope.id, { channel: 'console', on: 'end' }, bob);
      await hub.engine.notify.subscribeEnvelope(envelope.id, { channel: 'console', on: 'end' }, ann);
      const bobRecord = await hub.store.findUser('bob');
      await hub.store.updateUser(bobRecord?.id as number, { sites: ['west'] }, now);
      await hub.engine.envelopes.cancel(envelope.id, hub.actor);
      await envelopeEnded(envelope.id);
      await hub.engine.duties.tick();
      expect((await hub.engine.notify.inbox(ann)).items.map((d) => d.payload)).toMatchObject([
        { kind: 'envelope', envelopeId: envelope.id, status: 'cancelled', site: 'east' },
      ]);
      // Nothing was even written for bob (the inbox would also hide it).
      expect(await hub.store.listDeliveries({ username: 'bob', limit: 10 })).toEqual([]);
    });

    it("refuses a site-limited user another site's envelope or schedule", async () => {
      const id = await submitEnvelope([true]);
      const schedule = await hub.engine.schedules.create({ name: 'hourly', workflow: 'job', fields: { ok: true }, everyMs: 3_600_000 }, hub.actor);
      await expect(hub.engine.notify.subscribeEnvelope(id, { channel: 'console', on: 'end' }, bob)).rejects.toMatchObject({
        code: 'SWY_ERR_ENVELOPE_NOT_FOUND',
      });
      await expect(hub.engine.notify.subscribeSchedule(schedule.id, { channel: 'console', on: 'end' }, bob)).rejects.toMatchObject({
        code: 'SWY_ERR_SCHEDULE_NOT_FOUND',
      });
      expect(await hub.engine.notify.list(bob)).toEqual([]);
    });
  });
});
