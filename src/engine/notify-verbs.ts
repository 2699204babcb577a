import { randomBytes } from 'node:crypto';
import { type Actor, authorize, type EnvelopeRecord, requireSite, SwitchyardError, seesJob } from '../model/index.js';
import type { DeliveryRecord, NotifyChannel, NotifyOn, ScheduleRecord, SubscriptionRecord } from '../store/store.js';
import type { EngineCore } from './engine-core.js';
import type { ReadVerbs } from './read-verbs.js';

/** How to reach the subscriber: the channel and, by channel, the address or URL. */
export interface ChannelRequest {
  channel: NotifyChannel;
  /** E-mail address; defaults to the user's own. */
  address?: string;
  /** Webhook URL (http or https). */
  url?: string;
}

export interface SiteRuleRequest extends ChannelRequest {
  /** One site, or every site the user may see. */
  site?: string;
  allSites?: boolean;
  /** Job end states that notify: failure, error, success, skipped, cancelled; empty for all. */
  events?: string[];
  delivery?: 'immediate' | 'hourly' | 'daily';
  timezone?: string;
}

/** One notification: a delivery of one event for one subscription, with its attempts. */
export type Delivery = DeliveryRecord;

/** A subscription as shown: the webhook URL's secret parts hidden, the signing secret never. */
export type SubscriptionView = Omit<SubscriptionRecord, 'secret' | 'url'> & { url: string | null };

/**
 * Subscriptions are their owner's: a user lists and deletes its own (an admin anyone's).
 * Subscribing needs only the viewer role, but a job subscription needs the job to be visible
 * and a site rule its site; the notifier checks the scope again when it sends.
 */
export class NotifyVerbs {
  constructor(
    private readonly core: EngineCore,
    private readonly reads: ReadVerbs,
    /** Reads an envelope or a schedule as the actor may (not found outside its sites). */
    private readonly targets: {
      envelope(id: number, actor: Actor): Promise<EnvelopeRecord>;
      schedule(id: number, actor: Actor): Promise<ScheduleRecord>;
    },
  ) {}

  /** Subscribes the actor to one job's end. A webhook's signing secret is in the answer, once. */
  async subscribeJob(jobId: number, request: ChannelRequest & { on: NotifyOn }, actor: Actor): Promise<SubscriptionView & { secret?: string }> {
    authorize(actor, 'notify.subscribe');
    const job = await this.reads.job(jobId, actor);
    const created = await this.create({ ...request, ...NO_TARGET, jobId, on: request.on }, actor);
    await this.core.audit(actor, 'subscription.create', `subscription:${created.id}`, job.site, { jobId, channel: request.channel, on: request.on });
    return created;
  }

  /**
   * Subscribes the actor to an envelope's end (success, errors, corrupt, cancelled, rolled
   * back; "failure": errors or corrupt). Needs the envelope to be visible, as reading it does.
   */
  async subscribeEnvelope(envelopeId: number, request: ChannelRequest & { on: NotifyOn }, actor: Actor): Promise<SubscriptionView & { secret?: string }> {
    authorize(actor, 'notify.subscribe');
    const envelope = await this.targets.envelope(envelopeId, actor);
    const created = await this.create({ ...request, ...NO_TARGET, envelopeId, on: request.on }, actor);
    await this.core.audit(actor, 'subscription.create', `subscription:${created.id}`, envelope.site, { envelopeId, channel: request.channel, on: request.on });
    return created;
  }

  /** Subscribes the actor to every job a schedule fires: told as each ends (or fails). */
  async subscribeSchedule(scheduleId: number, request: ChannelRequest & { on: NotifyOn }, actor: Actor): Promise<SubscriptionView & { secret?: string }> {
    authorize(actor, 'notify.subscribe');
    const schedule = await this.targets.schedule(scheduleId, actor);
    const created = await this.create({ ...request, ...NO_TARGET, scheduleId, on: request.on }, actor);
    await this.core.audit(actor, 'subscription.create', `subscription:${created.id}`, schedule.site, { scheduleId, channel: request.channel, on: request.on });
    return created;
  }

  /** A site rule: every job ending at a site (or at all the actor's sites) in one of `events`. */
  async subscribeSite(request: SiteRuleRequest, actor: Actor): Promise<SubscriptionView & { secret?: string }> {
    authorize(actor, 'notify.subscribe');
    if (!request.allSites && !request.site) throw invalid('site', 'name a site, or set allSites');
    if (request.site) requireSite(actor, request.site);
    const timezone = request.timezone ?? 'UTC';
    if (!validTimezone(timezone)) throw invalid('timezone', `unknown time zone "${timezone}"`);
    const created = await this.create(
      {
        ...request,
        ...NO_TARGET,
        site: request.allSites ? null : (request.site ?? null),
        allSites: request.allSites === true,
        on: 'end',
        events: request.events ?? [],
        delivery: request.delivery ?? 'immediate',
        timezone,
      },
      actor,
    );
    await this.core.audit(actor, 'subscription.create', `subscription:${created.id}`, created.site, { channel: request.channel, events: created.events });
    return created;
  }

  /** The actor's own subscriptions. */
  async list(actor: Actor): Promise<SubscriptionView[]> {
    authorize(actor, 'notify.subscribe');
    return (await this.core.store.listSubscriptions(actor.name)).map(view);
  }

  async delete(id: number, actor: Actor): Promise<void> {
    const subscription = await this.own(id, actor);
    await this.core.store.deleteSubscription(id);
    await this.core.audit(actor, 'subscription.delete', `subscription:${id}`, subscription.site, { channel: subscription.channel });
  }

  /** The delivery log of one subscription (a webhook endpoint's attempts, status, last error). */
  async deliveries(id: number, actor: Actor, limit = 100): Promise<DeliveryRecord[]> {
    await this.own(id, actor);
    return this.core.store.listDeliveries({ subscriptionId: id, limit });
  }

  /** The actor's console notifications, newest first, with how many are unread. */
  async inbox(actor: Actor, limit = 50): Promise<{ items: DeliveryRecord[]; unread: number }> {
    authorize(actor, 'notify.subscribe');
    const items = (await this.core.store.listDeliveries({ username: actor.name, channel: 'console', limit: 500 })).filter(
      (d) =>
        d.status === 'sent' &&
        (d.payload.site === undefined || seesJob(actor, Array.isArray(d.payload.sites) ? d.payload.sites.map(String) : [String(d.payload.site)])),
    );
    return { items: items.slice(0, limit), unread: items.filter((d) => d.readAt === null).length };
  }

  /** Marks console notifications read (all of them without ids). */
  async markRead(ids: number[] | null, actor: Actor): Promise<number> {
    authorize(actor, 'notify.subscribe');
    return this.core.store.markDeliveriesRead(actor.name, ids, this.core.clock());
  }

  private async own(id: number, actor: Actor): Promise<SubscriptionRecord> {
    authorize(actor, 'notify.subscribe');
    const subscription = await this.core.store.getSubscription(id);
    if (!subscription || (subscription.username !== actor.name && !(actor.role === 'admin' && actor.sites === null))) {
      throw new SwitchyardError('SWY_ERR_SUBSCRIPTION_NOT_FOUND', `No subscription with id ${id}`);
    }
    return subscription;
  }

  private async create(
    request: ChannelRequest & Omit<SubscriptionRecord, 'id' | 'username' | 'channel' | 'address' | 'url' | 'secret' | 'createdAt'>,
    actor: Actor,
  ): Promise<SubscriptionView & { secret?: string }> {
    let address: string | null = null;
    let url: string | null = null;
    let secret: string | null = null;
    if (request.channel === 'email') {
      address = request.address ?? (await this.core.store.findUser(actor.name))?.email ?? null;
      if (!address) throw invalid('address', 'give an address: you have no e-mail address on your profile');
      if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) throw invalid('address', 'not an e-mail address');
    } else if (request.channel === 'webhook') {
      if (!request.url) throw invalid('url', 'a webhook needs a url');
      const parsed = URL.canParse(request.url) ? new URL(request.url) : null;
      if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) throw invalid('url', 'an http(s) URL');
      url = parsed.href;
      secret = `whsec_${randomBytes(24).toString('hex')}`;
    }
    const record = await this.core.store.createSubscription({
      username: actor.name,
      jobId: request.jobId,
      envelopeId: request.envelopeId,
      scheduleId: request.scheduleId,
      site: request.site,
      allSites: request.allSites,
      channel: request.channel,
      address,
      url,
      secret,
      on: request.on,
      events: request.events,
      delivery: request.delivery,
      timezone: request.timezone,
      createdAt: this.core.clock(),
    });
    return secret ? { ...view(record), secret } : view(record);
  }
}

/** A subscription to one thing (job, envelope or schedule) starts from this: no site rule. */
const NO_TARGET = {
  jobId: null,
  envelopeId: null,
  scheduleId: null,
  site: null,
  allSites: false,
  events: [] as string[],
  delivery: 'immediate' as const,
  timezone: 'UTC',
};

/** The URL with credentials, path and query hidden: they may carry tokens. */
function view(subscription: SubscriptionRecord): SubscriptionView {
  const { secret: _secret, url, ...rest } = subscription;
  return { ...rest, url: url ? `${new URL(url).origin}/…` : null };
}

function invalid(path: string, message: string): SwitchyardError {
  return new SwitchyardError('SWY_ERR_VALIDATION', `${path}: ${message}`, [{ path, message }]);
}

function validTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
