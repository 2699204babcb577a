import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type Actor, authorize, type EventRecord, type Json, SwitchyardError, SYSTEM_ACTOR, seesAllSites } from '../model/index.js';
import type { Store } from '../store/store.js';
import type { EventFeed } from './event-feed.js';
import type { QueueVerbs } from './queue-verbs.js';
import { type ReadVerbs, WORKER_ONLINE_MS } from './read-verbs.js';

/** Where the metrics read what they report: engine verbs and the event feed, given once the engine has built them. */
export interface MetricSources {
  reads: ReadVerbs;
  queues: QueueVerbs;
  events: EventFeed;
}

/** Store verbs whose duration is measured (the hot paths and the transactions behind them). */
const TIMED_VERBS = [
  'submitJobs',
  'leaseTasks',
  'heartbeat',
  'recordActivity',
  'completeTasks',
  'controlJob',
  'applyOperationBatch',
  'retryJob',
  'expireLeases',
  'timeoutJobs',
] as const;

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Tasks and their waits last from milliseconds to hours. */
const TASK_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14_400];

/**
 * A hub's Prometheus metrics, in its own registry (several hubs in one process do not mix).
 *
 * - Counters of jobs submitted and finished and tasks leased, completed and failed come from
 *   the store's events (EventFeed), read from the first scrape on — nothing is counted, and no
 *   event is read, in a hub nobody scrapes. On PostgreSQL each hub counts every hub's events.
 * - Gauges of open jobs by state, queue depth and oldest waiting age, and workers online are
 *   read when scraped, through engine verbs: counts over unfinished jobs only (index ranges),
 *   never over the finished history.
 * - Durations of store verbs (lease latency among them) and of HTTP requests are histograms,
 *   and so are task attempts (lease → end) and queue waits (ready → leased), from the times
 *   the ledger writes into task events on the hub's clock.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  private eventsOff: (() => void) | null = null;
  private readonly storeSeconds: Histogram<'verb'>;
  private readonly leaseSeconds: Histogram<'outcome'>;
  private readonly tasksLeased: Counter<'site'>;
  private readonly httpSeconds: Histogram<'method' | 'route' | 'status'>;

  private sources: MetricSources | null = null;

  constructor(private readonly clock: () => number) {
    const registers = [this.registry];
    this.storeSeconds = new Histogram({
      name: 'switchyard_store_call_seconds',
      help: 'Duration of store transactions, by verb',
      labelNames: ['verb'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.leaseSeconds = new Histogram({
      name: 'switchyard_lease_seconds',
      help: 'Duration of one lease transaction (granted: it handed out tasks; empty: none ready)',
      labelNames: ['outcome'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.tasksLeased = new Counter({ name: 'switchyard_tasks_leased_total', help: 'Tasks handed to workers', labelNames: ['site'], registers });
    this.httpSeconds = new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.eventCounters();
    this.scrapeGauges();
  }

  /** Connects the metrics to what they read. */
  bind(sources: MetricSources): void {
    this.sources = sources;
  }

  private get source(): MetricSources {
    if (!this.sources) throw new Error('EngineMetrics: bind() was not called');
    return this.sources;
  }

  /** The metrics text for an actor: an admin who sees every site (the numbers span all sites). */
  async scrape(actor: Actor): Promise<string> {
    authorize(actor, 'metrics.read');
    if (!seesAllSites(actor)) throw new SwitchyardError('SWY_ERR_AUTH_FORBIDDEN', 'Metrics cover every site: they need an admin of all sites');
    return this.text();
  }

  /** The metrics in Prometheus text format, unchecked (the loopback metrics port); the first call also starts the event counters. */
  async text(): Promise<string> {
    this.startCounting();
    await this.source.events.flush();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Starts counting events (from the last one): done by the first scrape, or by a hub that wants counts from its start. */
  startCounting(): void {
    if (this.eventsOff) return;
    const events = this.source.events;
    // Counts are read at a scrape, which flushes the feed first: they need not cost a read per commit.
    const lazy = { prompt: false };
    const offs = [
      events.on('job:created', (e) => this.jobsSubmitted.inc({ workflow: e.workflow ?? '', site: e.site ?? '' }), lazy),
      events.on('job:finished', (e) => this.jobsFinished.inc({ workflow: e.workflow ?? '', site: e.site ?? '', state: e.state }), lazy),
      events.on(
        'task:finished',
        (e) => {
          if (e.state === 'failure') this.tasksFailed.inc({ type: e.workflow ?? '', site: e.site ?? '' });
          else this.tasksCompleted.inc({ type: e.workflow ?? '', site: e.site ?? '', state: e.state });
        },
        lazy,
      ),
      events.on('event', (record) => this.observeTaskTimes(record), lazy),
    ];
    this.eventsOff = () => {
      for (const off of offs) off();
    };
  }

  /**
   * Task durations and queue waits, from the times the ledger wrote into task events: `waitMs`
   * when a lease took a task (ready → leased), `runMs` when an attempt ended (lease → end; an
   * attempt handed back for a retry or released counts as `requeued`).
   */
  private observeTaskTimes(record: EventRecord): void {
    if (record.type !== 'task:state:changed') return;
    const data = record.data as Record<string, Json>;
    const labels = { workflow: String(data.workflow ?? ''), type: String(data.type ?? ''), site: record.site ?? '' };
    if (typeof data.waitMs === 'number') this.taskWaitSeconds.observe(labels, data.waitMs / 1000);
    if (typeof data.runMs === 'number') {
      const outcome = data.to === 'queued' ? 'requeued' : String(data.to);
      this.taskSeconds.observe({ ...labels, outcome }, data.runMs / 1000);
    }
  }

  /** Stops reading events. */
  close(): void {
    this.eventsOff?.();
    this.eventsOff = null;
  }

  /** Wraps a store so its hot verbs are timed; every other member is the store's own. */
  timedStore(store: Store): Store {
    const timed = new Map<PropertyKey, unknown>();
    for (const verb of TIMED_VERBS) {
      const original = store[verb] as (...args: unknown[]) => Promise<unknown>;
      timed.set(verb, async (...args: unknown[]) => {
        const end = this.storeSeconds.startTimer({ verb });
        const started = performance.now();
        try {
          const answer = await original.apply(store, args);
          if (verb === 'leaseTasks' && Array.isArray(answer)) {
            this.leaseSeconds.observe({ outcome: answer.length > 0 ? 'granted' : 'empty' }, (performance.now() - started) / 1000);
            if (answer.length > 0) this.tasksLeased.inc({ site: (args[0] as { site: string }).site }, answer.length);
          }
          return answer;
        } finally {
          end();
        }
      });
    }
    return new Proxy(store, {
      get(target, property) {
        if (timed.has(property)) return timed.get(property);
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Times every request of a Fastify scope (the hub's routes), labelled with the route pattern, not the URL. */
  observeHttp(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.httpSeconds.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
  }

  private jobsSubmitted!: Counter<'workflow' | 'site'>;
  private jobsFinished!: Counter<'workflow' | 'site' | 'state'>;
  private tasksCompleted!: Counter<'type' | 'site' | 'state'>;
  private tasksFailed!: Counter<'type' | 'site'>;
  private taskSeconds!: Histogram<'workflow' | 'type' | 'site' | 'outcome'>;
  private taskWaitSeconds!: Histogram<'workflow' | 'type' | 'site'>;

  private eventCounters(): void {
    const registers = [this.registry];
    this.jobsSubmitted = new Counter({
      name: 'switchyard_jobs_submitted_total',
      help: 'Jobs created, by workflow and site',
      labelNames: ['workflow', 'site'],
      registers,
    });
    this.jobsFinished = new Counter({
      name: 'switchyard_jobs_finished_total',
      help: 'Jobs that reached a final state, by workflow, site and state',
      labelNames: ['workflow', 'site', 'state'],
      registers,
    });
    this.tasksCompleted = new Counter({
      name: 'switchyard_tasks_completed_total',
      help: 'Tasks that ended other than by failing (success, error, skipped, cancelled, aborted), by task type, site and state',
      labelNames: ['type', 'site', 'state'],
      registers,
    });
    this.tasksFailed = new Counter({
      name: 'switchyard_tasks_failed_total',
      help: 'Tasks that failed after their retries, by task type and site',
      labelNames: ['type', 'site'],
      registers,
    });
    this.taskSeconds = new Histogram({
      name: 'switchyard_task_duration_seconds',
      help: 'How long task attempts ran, from lease to end, by workflow, task type, site and outcome (the end state, or requeued)',
      labelNames: ['workflow', 'type', 'site', 'outcome'],
      buckets: TASK_BUCKETS,
      registers,
    });
    this.taskWaitSeconds = new Histogram({
      name: 'switchyard_task_queue_wait_seconds',
      help: 'How long tasks waited to be leased once ready (queue limits, locks and busy workers included), by workflow, task type and site',
      labelNames: ['workflow', 'type', 'site'],
      buckets: TASK_BUCKETS,
      registers,
    });
  }

  private scrapeGauges(): void {
    const registers = [this.registry];
    const source = () => this.source;
    const clock = this.clock;
    new Gauge({
      name: 'switchyard_jobs',
      help: 'Unfinished jobs by state, site and queue (finished ones: switchyard_jobs_finished_total)',
      labelNames: ['state', 'site', 'queue'],
      registers,
      async collect() {
        this.reset();
        for (const row of await source().reads.openJobs(SYSTEM_ACTOR)) this.set({ state: row.state, site: row.site, queue: row.queue }, row.count);
      },
    });
    new Gauge({
      name: 'switchyard_queue_depth',
      help: 'Jobs waiting to start, by queue',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const queue of await source().queues.list(SYSTEM_ACTOR)) this.set({ queue: queue.name }, queue.queuedJobs);
      },
    });
    new Gauge({
      name: 'switchyard_queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting to start, by queue (0 when none waits)',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        const now = clock();
        for (const queue of await source().queues.list(SYSTEM_ACTOR)) {
          this.set({ queue: queue.name }, queue.oldestQueuedAt === null ? 0 : Math.max(0, (now - queue.oldestQueuedAt) / 1000));
        }
      },
    });
    new Gauge({
      name: 'switchyard_workers_online',
      help: `Workers that leased or heartbeated within ${WORKER_ONLINE_MS / 1000} s, by site`,
      labelNames: ['site'],
      registers,
      async collect() {
        this.reset();
        const now = clock();
        const bySite = new Map<string, number>();
        for (const worker of await source().reads.workers(SYSTEM_ACTOR)) {
          bySite.set(worker.site, (bySite.get(worker.site) ?? 0) + (now - worker.lastSeenAt < WORKER_ONLINE_MS ? 1 : 0));
        }
        for (const [site, n] of bySite) this.set({ site }, n);
      },
    });
  }
}
