import { performance } from 'node:perf_hooks';
import { digestDueAt, type EventRecord, isTerminalJobState, type JobState, type Json } from '../model/index.js';
import type { DeliveryRecord, NewDelivery, Store, SubscriptionRecord, UserRecord } from '../store/store.js';
import type { Duty } from './duty-loop.js';
import { type ChannelOptions, createChannels, type Send } from './notify/channels.js';
import type { EnvelopeEndSummary, JobEndSummary } from './notify/message.js';

export interface NotifierOptions extends ChannelOptions {
  intervalMs?: number;
  /** The console's base URL (for links in messages), e.g. https://hub.example.com. */
  publicUrl?: string | null;
  /** Attempts before a delivery ends as failed. */
  maxAttempts?: number;
  /** The wait after the first failed attempt; doubled after each further one. */
  backoffMs?: number;
  /** Replaces the channels (tests of the duty's bookkeeping only). */
  send?: Send;
}

/** Job end states a subscription "on failure" is told of. */
const FAILURE_STATES = new Set<string>(['failure', 'error']);
/** Envelope statuses it ends in, and those an envelope subscription "on failure" is told of. */
const ENVELOPE_ENDS = new Set<string>(['success', 'errors', 'corrupt', 'cancelled', 'rolled-back']);
const ENVELOPE_FAILURES = new Set<string>(['errors', 'corrupt']);
const EVENTS_PER_ROUND = 500;
const DELIVERIES_PER_ROUND = 100;
/** Messages sent at once (e-mails, webhook calls). */
const SENDS_IN_FLIGHT = 8;

/**
 * The notifier: turns job-end events into deliveries and sends them.
 *
 * Collecting reads the events after the store's notifier cursor, matches each job end to the
 * subscriptions of that job, of the schedule that fired it and to the site rules, and each
 * envelope end to the subscriptions of that envelope, and writes the deliveries in the same
 * transaction as it moves the cursor — so an event becomes deliveries once, whichever hub
 * holds the duty, and a crash in between loses nothing. Sending takes due deliveries from
 * the outbox; a failed attempt is tried again after `backoffMs · 2^(attempts-1)` and ends as
 * failed, with its last error, after `maxAttempts`. A crash between sending and recording the
 * attempt sends it once more, with the same delivery id (receivers dedupe on it).
 *
 * A subscriber is told only of jobs at sites it may see now, and never while disabled.
 * Messages carry the job's summary, counts and reason — never its fields, so secret fields
 * cannot leak.
 */
export function notifierDuty(store: Store, options: NotifierOptions = {}): Duty & { close(): void } {
  const channels = options.send ? { send: options.send, close() {} } : createChannels(options);
  const maxAttempts = options.maxAttempts ?? 6;
  const backoffMs = options.backoffMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 1000;
  /** How long one round may go on catching up before it yields to the next. */
  const roundBudgetMs = Math.max(intervalMs, 500);

  /** Turns the next page of events into deliveries; `more` when the page was full. */
  const collect = async (now: number): Promise<{ queued: number; more: boolean }> => {
    const from = await store.notifyCursor();
    // With no subscription at all no event can become a delivery: move the cursor past them
    // unread. The last id is read first, so an event after a subscription made meanwhile is
    // still read next round (on PostgreSQL it is the horizon: below it, every id has committed).
    const last = await store.lastEventId();
    if (last > from && !(await store.hasSubscriptions())) {
      await store.enqueueDeliveries([], from, last, now);
      return { queued: 0, more: false };
    }
    const events = await store.listEvents(from, EVENTS_PER_ROUND, null);
    if (events.length === 0) return { queued: 0, more: false };
    const ends = events.filter((e) => isJobEnd(e) || isEnvelopeEnd(e));
    const deliveries: NewDelivery[] = [];
    if (ends.length > 0) {
      const jobIds = [...new Set(ends.filter(isJobEnd).map((e) => e.jobId as number))];
      const envelopeIds = [...new Set(ends.filter(isEnvelopeEnd).map((e) => Number(e.data.envelope)))];
      const subscriptions = await store.subscriptionsFor(jobIds, envelopeIds);
      const users = new Map<string, UserRecord | null>();
      const userOf = async (name: string) => {
        if (!users.has(name)) users.set(name, await store.findUser(name));
        return users.get(name) ?? null;
      };
      for (const event of ends) {
        let payload: Record<string, Json> | null = null;
        // Every site of the job, read only when its own site does not decide (a job that spans sites).
        let sites: string[] | null = null;
        const jobSites = async () => {
          if (event.jobId === null) return event.site ? [event.site] : [];
          sites ??= (await store.getJob(event.jobId))?.sites ?? (event.site ? [event.site] : []);
          return sites;
        };
        // The schedule that fired the job, read only for a schedule's subscription.
        let scheduleId: number | null | undefined;
        const firedBy = async () => {
          if (scheduleId === undefined) scheduleId = event.jobId === null ? null : ((await store.getJob(event.jobId))?.scheduleId ?? null);
          return scheduleId;
        };
        for (const subscription of subscriptions) {
          if (!(await matches(subscription, event, jobSites, firedBy))) continue;
          if (!(await mayHear(subscription, event, await userOf(subscription.username), jobSites))) continue;
          payload ??= isEnvelopeEnd(event) ? await summarizeEnvelope(event, options.publicUrl ?? null) : await summarize(event, options.publicUrl ?? null);
          if (!payload) break;
          deliveries.push({
            subscriptionId: subscription.id,
            eventId: event.id,
            jobId: event.jobId,
            username: subscription.username,
            channel: subscription.channel,
            payload,
            dueAt: dueAt(subscription, now),
            delivered: subscription.channel === 'console',
          });
        }
      }
    }
    // Lost to another hub moving the cursor first: it wrote these deliveries; nothing to do.
    await store.enqueueDeliveries(deliveries, from, events[events.length - 1].id, now);
    return { queued: deliveries.length, more: events.length === EVENTS_PER_ROUND };
  };

  const summarize = async (event: EventRecord, publicUrl: string | null): Promise<Record<string, Json> | null> => {
    const job = await store.getJob(event.jobId as number);
    if (!job) return null;
    const summary: JobEndSummary = {
      jobId: job.id,
      workflow: job.workflow,
      site: job.site,
      queue: job.queue,
      creator: job.creator,
      state: String(event.data.to),
      reason: (event.data.reason as string | undefined) ?? job.reason ?? null,
      endedAt: job.endedAt ?? event.at,
      taskCounts: job.taskCounts as Record<string, number>,
      itemCounts: job.itemCounts as Record<string, number>,
      link: publicUrl ? `${publicUrl.replace(/\/$/, '')}/jobs/${job.id}` : null,
      ...(job.sites.length > 1 ? { sites: job.sites } : {}),
    };
    if (job.scheduleId) {
      const schedule = await store.getSchedule(job.scheduleId);
      if (schedule) summary.schedule = { id: schedule.id, name: schedule.name };
    }
    return summary as unknown as Record<string, Json>;
  };

  const summarizeEnvelope = async (event: EventRecord, publicUrl: string | null): Promise<Record<string, Json> | null> => {
    const envelope = await store.getEnvelope(Number(event.data.envelope));
    if (!envelope) return null;
    const jobCounts = Object.fromEntries(Object.entries(envelope.jobCounts).filter(([, n]) => (n ?? 0) > 0)) as Record<string, number>;
    const summary: EnvelopeEndSummary = {
      kind: 'envelope',
      envelopeId: envelope.id,
      type: envelope.type,
      site: envelope.site,
      queue: envelope.queue,
      creator: envelope.creator,
      // The status this event reached (a later one may have followed by the time it is read).
      status: String(event.data.to),
      reason: (event.data.reason as string | undefined) ?? envelope.reason ?? null,
      endedAt: envelope.endedAt ?? event.at,
      jobCounts,
      done: Object.entries(jobCounts)
        .filter(([state]) => isTerminalJobState(state as JobState))
        .reduce((sum, [, n]) => sum + n, 0),
      totalJobs: envelope.totalJobs,
      link: publicUrl ? `${publicUrl.replace(/\/$/, '')}/envelopes/${envelope.id}` : null,
    };
    return summary as unknown as Record<string, Json>;
  };

  const deliver = async (now: number): Promise<{ sent: number; more: boolean }> => {
    const due = await store.dueDeliveries(now, DELIVERIES_PER_ROUND);
    const subscriptions = new Map<number, SubscriptionRecord | null>();
    for (const delivery of due) {
      if (!subscriptions.has(delivery.subscriptionId)) subscriptions.set(delivery.subscriptionId, await store.getSubscription(delivery.subscriptionId));
    }
    let sent = 0;
    const sendOne = async (batch: DeliveryRecord[]) => {
      const subscription = subscriptions.get(batch[0].subscriptionId) ?? null;
      try {
        if (!subscription) throw new Error('the subscription was deleted');
        await channels.send(batch, subscription, now);
        for (const delivery of batch) {
          await store.settleDelivery(delivery.id, { status: 'sent', attempts: delivery.attempts + 1, nextAttemptAt: now, lastError: null, now });
        }
        sent += batch.length;
      } catch (error) {
        for (const delivery of batch) {
          await store.settleDelivery(delivery.id, retryAfter(delivery, delivery.attempts + 1, error, now, maxAttempts, backoffMs));
        }
      }
    };
    // A few messages in flight at once: one slow receiver must not hold up everyone's.
    const batches = batchesOf(due, subscriptions);
    const lanes = Array.from({ length: Math.min(SENDS_IN_FLIGHT, batches.length) }, async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) await sendOne(batch);
    });
    await Promise.all(lanes);
    return { sent, more: due.length === DELIVERIES_PER_ROUND };
  };

  return {
    name: 'notifier',
    intervalMs,
    async run(now) {
      // Catch up within the round's budget: job endings can outpace one page a second.
      const deadline = performance.now() + roundBudgetMs;
      let done = 0;
      for (;;) {
        const { queued, more } = await collect(now);
        done += queued;
        if (!more || performance.now() > deadline) break;
      }
      for (;;) {
        const { sent, more } = await deliver(now);
        done += sent;
        if (!more || performance.now() > deadline) break;
      }
      return done;
    },
    close: () => channels.close(),
  };
}

/**
 * What goes out together: a digest subscription's due deliveries as one message (they fall
 * due together, and a failed digest is retried whole), every other delivery on its own.
 */
function batchesOf(due: DeliveryRecord[], subscriptions: Map<number, SubscriptionRecord | null>): DeliveryRecord[][] {
  const digests = new Map<number, DeliveryRecord[]>();
  const batches: DeliveryRecord[][] = [];
  for (const delivery of due) {
    const subscription = subscriptions.get(delivery.subscriptionId);
    if (!subscription || !isDigest(subscription)) {
      batches.push([delivery]);
      continue;
    }
    const batch = digests.get(subscription.id);
    if (batch) batch.push(delivery);
    else {
      const fresh = [delivery];
      digests.set(subscription.id, fresh);
      batches.push(fresh);
    }
  }
  return batches;
}

/** Console notifications are read in the inbox as they come; digests are for e-mail and webhooks. */
function isDigest(subscription: SubscriptionRecord): boolean {
  return subscription.delivery !== 'immediate' && subscription.channel !== 'console';
}

/** When a new delivery is first due: now, or when its subscription's next digest goes out. */
function dueAt(subscription: SubscriptionRecord, now: number): number {
  if (!isDigest(subscription) || subscription.delivery === 'immediate') return now;
  return digestDueAt(subscription.delivery, subscription.timezone, now);
}

function retryAfter(delivery: DeliveryRecord, attempts: number, error: unknown, now: number, maxAttempts: number, backoffMs: number) {
  const lastError = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  const final = attempts >= maxAttempts || delivery.channel === 'console';
  return {
    status: final ? ('failed' as const) : ('pending' as const),
    attempts,
    nextAttemptAt: final ? now : now + backoffMs * 2 ** (attempts - 1),
    lastError,
    now,
  };
}

function isJobEnd(event: EventRecord): boolean {
  return event.type === 'job:state:changed' && event.jobId !== null && isTerminalJobState(event.data.to as JobState);
}

function isEnvelopeEnd(event: EventRecord): boolean {
  return event.type === 'envelope:status:changed' && ENVELOPE_ENDS.has(String(event.data.to));
}

/**
 * Whether a subscription asks for this end: an envelope's subscription its envelope's end, a
 * job's its job's, a schedule's the end of each job it fired; a site rule covers every job
 * with tasks at its site.
 */
async function matches(
  subscription: SubscriptionRecord,
  event: EventRecord,
  jobSites: () => Promise<string[]>,
  firedBy: () => Promise<number | null>,
): Promise<boolean> {
  const state = String(event.data.to);
  if (isEnvelopeEnd(event)) {
    if (subscription.envelopeId === null || subscription.envelopeId !== Number(event.data.envelope)) return false;
    return subscription.on !== 'failure' || ENVELOPE_FAILURES.has(state);
  }
  if (subscription.envelopeId !== null) return false;
  if (subscription.on === 'failure' && !FAILURE_STATES.has(state)) return false;
  if (subscription.jobId !== null) return subscription.jobId === event.jobId;
  if (subscription.scheduleId !== null) return subscription.scheduleId === (await firedBy());
  if (!(subscription.events.length === 0 || subscription.events.includes(state))) return false;
  if (subscription.allSites || subscription.site === event.site) return true;
  return subscription.site !== null && (await jobSites()).includes(subscription.site);
}

/**
 * A user hears of jobs (and envelopes) at the sites it may see now, and nothing while disabled.
 * A token's subscription (no user of that name) covers only the one job, envelope or schedule
 * it subscribed to, which it saw.
 */
async function mayHear(subscription: SubscriptionRecord, event: EventRecord, user: UserRecord | null, jobSites: () => Promise<string[]>): Promise<boolean> {
  if (!user) return subscription.jobId !== null || subscription.envelopeId !== null || subscription.scheduleId !== null;
  if (user.disabled) return false;
  const own = user.sites;
  if (own === null || (event.site !== null && own.includes(event.site))) return true;
  return (await jobSites()).some((site) => own.includes(site));
}
