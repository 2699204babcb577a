import { createHash, randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino, { type Logger } from 'pino';
import {
  type ActivityResult,
  type Actor,
  authorize,
  type CompletionResult,
  type HeartbeatResult,
  isTerminalJobState,
  type JobRecord,
  type Json,
  type LeasedTask,
  type RetentionPolicy,
  requireEverySite,
  requireSite,
  SwitchyardError,
  SYSTEM_ACTOR,
  seesJob,
  siteAllowed,
  type TaskActivity,
  type TaskCompletion,
  type WorkerInfo,
} from '../model/index.js';
import type { TaskSpec, Workflow } from '../sdk/define-workflow.js';
import type { WorkflowRegistry } from '../sdk/workflow-registry.js';
import type { ControlOptions, JobAction, NewJob, Store, SubmitOutcome, WakeSignal } from '../store/store.js';
import { AuthVerbs } from './auth-verbs.js';
import { BulkVerbs } from './bulk-verbs.js';
import { Coalescer } from './coalescer.js';
import { DashboardVerbs } from './dashboard-verbs.js';
import { DutyLoop } from './duty-loop.js';
import type { EngineCore } from './engine-core.js';
import { EnvelopeVerbs } from './envelope-verbs.js';
import { EventFeed } from './event-feed.js';
import { EngineMetrics } from './metrics.js';
import { type NotifierOptions, notifierDuty } from './notifier.js';
import { NotifyVerbs } from './notify-verbs.js';
import { OperationRunner, type OperationRunnerOptions } from './operation-runner.js';
import type { PortHeartbeatRequest, PortLeaseRequest, WorkerPort } from './ports.js';
import { QueueVerbs } from './queue-verbs.js';
import { ReadVerbs } from './read-verbs.js';
import { retentionDuty } from './retention.js';
import { type ScheduleJobBuilder, ScheduleVerbs } from './schedule-verbs.js';
import { schedulerDuty } from './scheduler.js';
import type { SignInThrottleOptions } from './sign-in-throttle.js';
import { ATTR, inSpan, SpanKind } from './tracing.js';
import { type TransferBody, type TransferDownload, type TransferStatus, TransferStore, type TransferUpload } from './transfer-store.js';
import { WakeHub } from './wake-hub.js';
import { watchdogDuty } from './watchdog.js';

export interface SubmitRequest {
  workflow: string;
  fields?: unknown;
  site?: string;
  queue?: string;
  priority?: number;
  /** Epoch ms before which the job does not start. */
  runAt?: number | null;
  idempotencyKey?: string | null;
}

export interface EngineOptions {
  store: Store;
  workflows: WorkflowRegistry;
  /** The site jobs go to when the submitter names none; created at start. */
  defaultSite?: string;
  clock?: () => number;
  logger?: Logger;
  /** How long a lease lasts without a heartbeat. */
  leaseMs?: number;
  watchdogIntervalMs?: number;
  /** How often the scheduler looks for due slots (default 1000 ms). */
  schedulerIntervalMs?: number;
  /**
   * The default retention: finished jobs (and events) older than this are pruned in the
   * background, unless their workflow (`retention.days`) or queue (`retainDays`) says
   * otherwise; absent: jobs without either are kept forever.
   */
  retainMs?: number | null;
  /** How often the retention duty runs (default 60 s). */
  retentionIntervalMs?: number;
  /** Run the background duties (tests drive them with `duties.tick()` instead). */
  runDuties?: boolean;
  /** Sign-in throttling thresholds (tests shorten them). */
  signInThrottle?: Partial<SignInThrottleOptions>;
  /** Notifications: SMTP server, From: address, the console's URL for links, retries. */
  notifier?: NotifierOptions;
  /** Bulk operations: how often the runner looks for work, and jobs per batch (tests shrink it). */
  operations?: OperationRunnerOptions;
  /**
   * Where the hub keeps transfer blobs (`ctx.transfer`), one directory per job. Default: a
   * directory of this engine's own under the system's temporary directory (`openEngine` picks
   * `<dataDir>/transfers` for SQLite; see defaultTransferDir).
   */
  transferDir?: string;
  /** The largest transfer blob the hub takes (default 1 TiB). */
  transferMaxBytes?: number;
  /** How often blobs of ended (or deleted) jobs are swept away (default 60 s). */
  transferSweepMs?: number;
}

/**
 * The hub's engine, and the one door to the store: routes and commands call its verbs, never
 * the store. Each verb takes the acting `Actor`, checks role and site scope through the
 * model's access rules (`authorize`, `requireSite`, `scopeSites`) and writes its audit entry.
 * Verbs are grouped: job submissions and controls here, reads in `reads`, queues in `queues`,
 * credentials in `auth`. The engine itself is also the in-process worker port (acting as the
 * system); remote workers get a port scoped to their token from `workerPort(actor)`.
 * All state lives in the store; the engine keeps none that a crash could lose.
 */
export class Engine implements WorkerPort {
  readonly workflows: WorkflowRegistry;
  readonly defaultSite: string;
  readonly leaseMs: number;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly duties: DutyLoop;
  readonly hubId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly reads: ReadVerbs;
  readonly queues: QueueVerbs;
  readonly schedules: ScheduleVerbs;
  readonly auth: AuthVerbs;
  /** The store's events for in-process listeners (`events.on('job:finished', …)`). */
  readonly events: EventFeed;
  /** Prometheus metrics of this hub (see EngineMetrics). */
  readonly metrics: EngineMetrics;
  readonly notify: NotifyVerbs;
  /** Bulk actions over many jobs, as tracked operations (R7, R59). */
  readonly bulk: BulkVerbs;
  /** Runs bulk operations in batches (a background duty; tests call `run()` by hand). */
  readonly operations: OperationRunner;
  /** The dashboard's aggregates (R30). */
  readonly dashboard: DashboardVerbs;
  /** Envelopes: grouped, chained submissions and their rollback. */
  readonly envelopes: EnvelopeVerbs;
  private readonly store: Store;
  private readonly wake = new WakeHub();
  private readonly submissions: Coalescer<NewJob, SubmitOutcome>;
  private readonly knownSites = new Set<string>();
  /** Registered workers' owners (WorkerRecord.owner) by worker id, once read; and ids found unregistered, with when. */
  private readonly workerOwners = new Map<string, string>();
  private readonly unownedWorkers = new Map<string, number>();
  private readonly lastSeen = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private readonly notifier: ReturnType<typeof notifierDuty>;
  private stopping = false;
  /** Transfer blobs, per job (see TransferStore). */
  readonly transfers: TransferStore;
  /** Jobs this engine took uploads for: their blobs go when they end (job:finished), else at the sweep. */
  private readonly transferJobs = new Set<number>();
  private transferUnsubscribe: (() => void) | null = null;
  private readonly transferJobCache = new Map<number, { job: { sites: string[]; state: JobRecord['state'] } | null; at: number }>();
  private readonly transferSweep: NodeJS.Timeout;

  constructor(options: EngineOptions) {
    this.clock = options.clock ?? Date.now;
    this.metrics = new EngineMetrics(this.clock);
    this.store = this.metrics.timedStore(options.store);
    this.workflows = options.workflows;
    this.defaultSite = options.defaultSite ?? 'local';
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.leaseMs = options.leaseMs ?? 30_000;
    this.submissions = new Coalescer((jobs) => this.store.submitJobs(jobs, this.clock()), 1000);
    this.notifier = notifierDuty(this.store, options.notifier);
    this.operations = new OperationRunner(
      this.store,
      this.workflows,
      this.clock,
      this.logger,
      async (operation) => {
        const { done, succeeded, skipped, failed, state } = operation;
        await this.store.appendAudit({
          at: this.clock(),
          actor: operation.actor,
          action: 'operation.finished',
          target: `operation:${operation.id}`,
          site: operation.filter?.sites?.length === 1 ? operation.filter.sites[0] : null,
          data: { action: operation.action, state, done, succeeded, skipped, failed },
        });
      },
      options.operations,
    );
    const buildScheduledJob: ScheduleJobBuilder = (schedule, actor) =>
      this.prepare({ workflow: schedule.workflow, fields: schedule.fields, site: schedule.site, queue: schedule.queue }, actor, null);
    this.duties = new DutyLoop(
      this.store,
      [
        watchdogDuty(this.store, options.watchdogIntervalMs ?? 1000),
        this.notifier,
        this.operations.duty(),
        schedulerDuty(this.store, buildScheduledJob, options.schedulerIntervalMs ?? 1000, this.logger),
        retentionDuty(this.store, () => this.retentionPolicy(options.retainMs ?? null), options.retentionIntervalMs ?? 60_000),
      ],
      this.hubId,
      this.clock,
      this.logger,
    );
    const core: EngineCore = {
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      audit: (actor, action, target, site, data) => this.audit(actor, action, target, site, data),
    };
    this.reads = new ReadVerbs(core);
    this.queues = new QueueVerbs(core, (jobId) => this.cancelQueued(jobId));
    this.auth = new AuthVerbs(core, options.signInThrottle);
    this.events = new EventFeed(
      this.reads,
      (listener) => this.store.onWake(listener),
      (error) => this.logger.warn({ err: error }, 'event listener failed'),
    );
    this.metrics.bind({ reads: this.reads, queues: this.queues, events: this.events });
    this.notify = new NotifyVerbs(core, this.reads, {
      envelope: (id, actor) => this.envelopes.get(id, actor),
      schedule: (id, actor) => this.schedules.get(id, actor),
    });
    this.bulk = new BulkVerbs(core, this.workflows);
    this.dashboard = new DashboardVerbs(core);
    this.schedules = new ScheduleVerbs(
      core,
      buildScheduledJob,
      this.defaultSite,
      (name, fields) => {
        const workflow = this.workflows.require(name);
        return { queue: workflow.queue, fields: this.workflows.parseFields(workflow, fields) };
      },
      (site) => this.requireKnownSite(site),
    );
    this.envelopes = new EnvelopeVerbs(core, this.workflows, (request, actor) => this.prepare(request, actor, null), this.defaultSite);
    this.unsubscribe = this.store.onWake((signal) => {
      if (signal.kind === 'tasks') this.wake.notify(signal.site);
    });
    if (options.runDuties !== false) this.duties.start();
    this.transfers = new TransferStore(options.transferDir ?? join(tmpdir(), 'switchyard-transfers', this.hubId), options.transferMaxBytes);
    this.transferSweep = setInterval(() => void this.sweepTransfers(), options.transferSweepMs ?? 60_000);
    this.transferSweep.unref();
  }

  /** Creates the default site and queue. */
  async init(): Promise<void> {
    const now = this.clock();
    await this.store.ensureSites([this.defaultSite], now);
    await this.store.ensureQueues(['default'], now);
    const declared = this.workflows
      .list()
      .flatMap((workflow) =>
        (workflow.schedules ?? []).map((schedule) => ({ ...schedule, workflow: workflow.name, fields: schedule.fields as Record<string, Json> })),
      );
    await this.schedules.syncFromCode(declared, SYSTEM_ACTOR);
  }

  /** Stops taking work and the background duties; the store stays open (see `close`). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.transferSweep);
    this.transferUnsubscribe?.();
    this.transferUnsubscribe = null;
    await this.duties.stop();
    this.metrics.close();
    this.events.close();
    this.notifier.close();
    this.unsubscribe();
    this.wake.releaseAll();
    await this.submissions.idle();
    await this.transfers.close();
  }

  /** Stops, then closes the store. */
  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
  }

  /** Which store backs the hub. */
  get storeKind(): Store['kind'] {
    return this.store.kind;
  }

  /** Whether the store answers (for /health). */
  async healthy(): Promise<boolean> {
    try {
      await this.store.lastEventId();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Ends idle workers' waits for work so they lease again at once: for a clock that jumped
   * (a test's), where delayed tasks and retry backoffs fall due without a commit to say so.
   */
  wakeWorkers(): void {
    this.wake.notify('*');
  }

  /** Called after commits that readied tasks or appended events (in this hub or, on PostgreSQL, any). */
  onWake(listener: (signal: WakeSignal) => void): () => void {
    return this.store.onWake(listener);
  }

  // ─── Submissions ───────────────────────────────────────────────────────────────────────

  /** Submits one job. Concurrent calls share one transaction (see Coalescer). */
  async submit(request: SubmitRequest, actor: Actor): Promise<SubmitOutcome> {
    return inSpan('switchyard.submit', { kind: SpanKind.PRODUCER, attributes: { [ATTR.workflow]: request.workflow } }, async (span) => {
      authorize(actor, 'jobs.submit');
      const job = await this.prepare(request, actor, null);
      job.audit = { actor: actor.name, action: 'job.submit', data: { workflow: job.workflow } };
      const outcome = await this.submissions.add(job);
      span.setAttributes({ [ATTR.jobId]: outcome.job.id, [ATTR.site]: outcome.job.site, [ATTR.queue]: outcome.job.queue, [ATTR.created]: outcome.created });
      return outcome;
    });
  }

  /** Submits many jobs in one transaction; all are validated and planned before any is written. */
  async submitMany(requests: SubmitRequest[], actor: Actor): Promise<SubmitOutcome[]> {
    return inSpan('switchyard.submit.bulk', { kind: SpanKind.PRODUCER, attributes: { 'switchyard.jobs': requests.length } }, async () => {
      authorize(actor, 'jobs.submit');
      const jobs: NewJob[] = [];
      for (const [i, request] of requests.entries()) jobs.push(await entryOf(i, () => this.prepare(request, actor, null)));
      const outcomes = await this.store.submitJobs(jobs, this.clock());
      const created = outcomes.filter((o) => o.created);
      const sites = [...new Set(created.map((o) => o.job.site))];
      await this.audit(actor, 'job.submit.bulk', null, sites.length === 1 ? sites[0] : null, {
        count: created.length,
        firstId: created[0]?.job.id ?? null,
        sites,
      });
      return outcomes;
    });
  }

  /** Launches an identical job (same workflow, fields, site, queue, priority). */
  async resubmit(jobId: number, actor: Actor): Promise<SubmitOutcome> {
    authorize(actor, 'jobs.submit');
    const original = await this.reads.job(jobId, actor);
    const job = await this.prepare(
      { workflow: original.workflow, fields: original.fields, site: original.site, queue: original.queue, priority: original.priority },
      actor,
      original.id,
    );
    const outcome = await this.submissions.add(job);
    await this.audit(actor, 'job.resubmit', `job:${jobId}`, original.site, { newJobId: outcome.job.id });
    return outcome;
  }

  private async prepare(request: SubmitRequest, actor: Actor, parentJobId: number | null): Promise<NewJob> {
    if (this.stopping) throw new SwitchyardError('SWY_ERR_SHUTTING_DOWN');
    const workflow = this.workflows.require(request.workflow);
    const site = request.site ?? this.defaultSite;
    requireSite(actor, site);
    // Known sites are answered without a turn of the event loop: a bulk submit prepares
    // thousands of jobs one after another.
    if (!this.knownSites.has(site)) await this.requireKnownSite(site);
    const fields = this.workflows.parseFields(workflow, request.fields);
    const tasks = await this.workflows.plan(workflow, fields, { site, creator: actor.name });
    if (tasks.some((spec) => spec.site !== undefined && spec.site !== site)) await this.requirePlannedSites(tasks, site, actor);
    return {
      workflow: workflow.name,
      site,
      queue: request.queue ?? workflow.queue ?? 'default',
      creator: actor.name,
      priority: request.priority ?? 0,
      fields,
      searchText: searchText(workflow, fields),
      locks: this.workflows.locksOf(workflow, fields),
      concurrency: this.workflows.concurrencyOf(workflow, fields),
      runAt: request.runAt ?? null,
      idempotencyKey: request.idempotencyKey ?? null,
      timeoutMs: workflow.timeoutMs ?? null,
      retry: this.workflows.retryPolicy(workflow),
      parentJobId,
      tasks: tasks.map((spec) => ({
        type: spec.type,
        input: (spec.input ?? null) as Json,
        key: spec.key ?? null,
        after: spec.after,
        ...(spec.site && spec.site !== site ? { site: spec.site } : {}),
      })),
    };
  }

  /**
   * A plan may place tasks at other sites than the job's (a transfer from a source to a
   * destination site, a delete at the site its fields name); each must be a known site, or the
   * submission is refused naming it. The submitter needs access to every site the plan
   * places work at, as controlling the job does: a user of one site cannot act at another by
   * naming it in a job's fields.
   */
  private async requirePlannedSites(tasks: TaskSpec[], home: string, actor: Actor): Promise<void> {
    for (const spec of tasks) {
      if (spec.site === undefined || spec.site === home) continue;
      if (typeof spec.site !== 'string' || spec.site === '') {
        throw new SwitchyardError('SWY_ERR_WORKFLOW_PLAN', `task "${spec.key ?? spec.type}": site must be a site name`);
      }
      if (!siteAllowed(actor.sites, spec.site)) {
        throw new SwitchyardError(
          'SWY_ERR_AUTH_SITE',
          `The plan puts task "${spec.key ?? spec.type}" at site "${spec.site}", which you have no access to; submitting it needs every site it acts at`,
        );
      }
      try {
        await this.requireKnownSite(spec.site);
      } catch (error) {
        if (!(error instanceof SwitchyardError)) throw error;
        throw new SwitchyardError('SWY_ERR_SITE_UNKNOWN', `The plan puts task "${spec.key ?? spec.type}" at site "${spec.site}", which does not exist`, [
          { path: 'site', message: `unknown site "${spec.site}" in the plan` },
        ]);
      }
    }
  }

  private async requireKnownSite(site: string): Promise<void> {
    if (this.knownSites.has(site)) return;
    const sites = (await this.store.listSites()).map((s) => s.name);
    for (const name of sites) this.knownSites.add(name);
    if (!this.knownSites.has(site)) {
      throw new SwitchyardError('SWY_ERR_SITE_UNKNOWN', `No site named "${site}"`, [{ path: 'site', message: 'unknown site' }]);
    }
  }

  // ─── Controls ──────────────────────────────────────────────────────────────────────────

  /** Pause, resume or cancel a job the actor may see; `{ immediate: true }` with pause is "pause now" (see ControlOptions). */
  async control(jobId: number, action: JobAction, actor: Actor, options: ControlOptions = {}): Promise<JobRecord> {
    authorize(actor, 'jobs.control');
    const job = await this.reads.job(jobId, actor);
    requireEverySite(actor, job.sites);
    if (action !== 'resume') this.requireSupported(job, action);
    const updated = await this.store.controlJob(jobId, action, this.clock(), options);
    const data: Record<string, Json> = { from: job.state, to: updated.state };
    if (action === 'pause' && options.immediate) data.immediate = true;
    await this.audit(actor, `job.${action}`, `job:${jobId}`, job.site, data);
    return updated;
  }

  /**
   * Re-runs a finished job's unsuccessful tasks — with `items: 'failed'`, only those that
   * recorded failed items, each told the paths that failed (ctx.task.retryPaths). Refused (SWY_ERR_RETRY_SUPERSEDED) once a later
   * job acted on a conflicting resource; an admin may force it, audited as such.
   */
  async retry(jobId: number, actor: Actor, options: { force?: boolean; items?: 'failed' } = {}): Promise<JobRecord> {
    authorize(actor, 'jobs.control');
    if (options.force) authorize(actor, 'jobs.delete');
    const job = await this.reads.job(jobId, actor);
    requireEverySite(actor, job.sites);
    this.requireSupported(job, 'retry');
    const updated = await this.store.retryJob(jobId, this.clock(), { force: options.force === true, ...(options.items ? { items: options.items } : {}) });
    const data: Record<string, Json> = { from: job.state };
    if (options.items) data.items = options.items;
    await this.audit(actor, options.force ? 'job.retry.force' : 'job.retry', `job:${jobId}`, job.site, data);
    return updated;
  }

  /** SWY_ERR_CONTROL_UNSUPPORTED when the job's workflow says it does not support the control. */
  private requireSupported(job: JobRecord, control: 'pause' | 'cancel' | 'retry'): void {
    const workflow = this.workflows.get(job.workflow);
    if (workflow && !this.workflows.supports(workflow, control)) {
      throw new SwitchyardError('SWY_ERR_CONTROL_UNSUPPORTED', `Workflow "${job.workflow}" does not support ${control}`);
    }
  }

  /** Rolls a finished job back (its workflow's compensations, newest first) as a rollback job linked to it. */
  async rollback(jobId: number, actor: Actor): Promise<JobRecord> {
    authorize(actor, 'jobs.control');
    const job = await this.reads.job(jobId, actor);
    return this.envelopes.rollbackJob(job, actor);
  }

  async delete(jobId: number, actor: Actor): Promise<void> {
    authorize(actor, 'jobs.delete');
    const job = await this.reads.job(jobId, actor);
    requireEverySite(actor, job.sites);
    await this.store.deleteJob(jobId, this.clock());
    await this.audit(actor, 'job.delete', `job:${jobId}`, job.site, { workflow: job.workflow, state: job.state });
  }

  /** Cancels a job that has not started; false when it started meanwhile (clearing a queue takes queued jobs only). */
  private async cancelQueued(jobId: number): Promise<boolean> {
    try {
      await this.store.controlJob(jobId, 'cancel', this.clock());
      return true;
    } catch (error) {
      if (error instanceof SwitchyardError && error.code === 'SWY_ERR_JOB_STATE') return false;
      throw error;
    }
  }

  /** Retention settings as they stand: the workflows' (code), the queues' (store), the hub's default. */
  private async retentionPolicy(defaultMs: number | null): Promise<RetentionPolicy> {
    const workflows: Record<string, number> = {};
    for (const workflow of this.workflows.list()) if (workflow.retention) workflows[workflow.name] = workflow.retention.days;
    const queues: Record<string, number> = {};
    for (const queue of await this.store.listQueues(null)) if (queue.retainDays !== null) queues[queue.name] = queue.retainDays;
    return { defaultDays: defaultMs === null ? null : defaultMs / 86_400_000, workflows, queues };
  }

  private async audit(actor: Actor, action: string, target: string | null, site: string | null, data: Record<string, Json> = {}): Promise<void> {
    await this.store.appendAudit({ at: this.clock(), actor: actor.name, action, target, site, data });
  }

  // ─── Worker port ───────────────────────────────────────────────────────────────────────

  /**
   * The worker port for a remote worker's credential: it registers, leases and reports only at
   * the sites the credential allows, and a registration belongs to the credential that made it.
   */
  workerPort(actor: Actor): WorkerPort {
    authorize(actor, 'worker.protocol');
    return {
      register: async (info) => {
        requireSite(actor, info.site);
        await this.registerAs(info, actor);
      },
      lease: async (request) => {
        requireSite(actor, request.site);
        await this.requireWorkerOwner(request.workerId, actor);
        return this.lease(request);
      },
      heartbeat: async (request) => {
        await this.requireWorkerOwner(request.workerId, actor);
        return this.store.heartbeat({ ...request, sites: actor.sites, leaseMs: this.leaseMs, now: this.clock() });
      },
      report: (batch) => this.store.recordActivity(batch, this.clock(), actor.sites),
      complete: (batch) => this.store.completeTasks(batch, this.clock(), actor.sites),
      transferStatus: async (request) => {
        await this.transferJob(request.jobId, actor, false);
        return this.transfers.status(request.jobId, request.sha256);
      },
      transferUpload: async (request) => {
        await this.transferJob(request.jobId, actor, true);
        return this.transfers.upload(request);
      },
      transferDownload: async (request) => {
        await this.transferJob(request.jobId, actor, false);
        return this.transfers.download(request);
      },
    };
  }

  /** Registers the hub's own (trusted) worker. */
  async register(info: WorkerInfo): Promise<void> {
    await this.registerAs(info, SYSTEM_ACTOR);
  }

  private async registerAs(info: WorkerInfo, actor: Actor): Promise<void> {
    const accepted = await this.store.registerWorker({ ...info, owner: actor.ref }, this.clock());
    if (!accepted) throw new SwitchyardError('SWY_ERR_WORKER_OWNED', `A worker with id "${info.id}" is registered by another credential`);
    this.workerOwners.set(info.id, actor.ref);
    this.unownedWorkers.delete(info.id);
    this.knownSites.add(info.site);
  }

  /**
   * A registered worker's id is its registrant's: another credential may not lease or
   * heartbeat under it (which would put its work, or its liveness, in that worker's name).
   * Owners are remembered once seen; an id no one registered yet belongs to no one.
   */
  private async requireWorkerOwner(workerId: string, actor: Actor): Promise<void> {
    let owner = this.workerOwners.get(workerId);
    const now = this.clock();
    if (owner === undefined && (this.unownedWorkers.get(workerId) ?? -Infinity) < now - UNOWNED_RECHECK_MS) {
      owner = (await this.store.listWorkers()).find((worker) => worker.id === workerId)?.owner ?? '';
      if (owner !== '') this.workerOwners.set(workerId, owner);
      else {
        // Bounded: a token inventing ids grows nothing without end.
        if (this.unownedWorkers.size >= 10_000) this.unownedWorkers.clear();
        this.unownedWorkers.set(workerId, now);
      }
    }
    owner ??= '';
    if (owner !== '' && owner !== actor.ref) {
      throw new SwitchyardError('SWY_ERR_WORKER_OWNED', `A worker with id "${workerId}" is registered by another credential`);
    }
  }

  /** Leases ready tasks; with none ready, waits up to `waitMs` for a wake-up (long poll). */
  async lease(request: PortLeaseRequest): Promise<LeasedTask[]> {
    await this.noteSeen(request.workerId);
    const deadline = this.clock() + request.waitMs;
    const { signal, ...lease } = request;
    for (;;) {
      const mark = this.wake.mark(lease.site);
      const leased = await this.store.leaseTasks({ ...lease, leaseMs: this.leaseMs, now: this.clock() });
      const remaining = deadline - this.clock();
      if (leased.length > 0 || remaining <= 0 || this.stopping || signal?.aborted) return leased;
      await this.wake.wait(lease.site, Math.min(remaining, LEASE_RECHECK_MS), mark, signal);
    }
  }

  /**
   * An idle worker only long-polls for leases; it heartbeats only while it runs tasks. So a
   * lease request also says the worker is alive — written at most every SEEN_EVERY_MS per worker.
   */
  private async noteSeen(workerId: string): Promise<void> {
    const now = this.clock();
    if (now - (this.lastSeen.get(workerId) ?? 0) < SEEN_EVERY_MS) return;
    if (this.lastSeen.size > 10_000) this.lastSeen.clear();
    this.lastSeen.set(workerId, now);
    await this.store.heartbeat({ workerId, leases: [], leaseMs: this.leaseMs, now });
  }

  heartbeat(request: PortHeartbeatRequest): Promise<HeartbeatResult> {
    return this.store.heartbeat({ ...request, leaseMs: this.leaseMs, now: this.clock() });
  }

  report(batch: TaskActivity[]): Promise<ActivityResult[]> {
    return this.store.recordActivity(batch, this.clock());
  }

  complete(batch: TaskCompletion[]): Promise<CompletionResult[]> {
    return this.store.completeTasks(batch, this.clock());
  }

  async transferStatus(request: { jobId: number; sha256: string }): Promise<TransferStatus> {
    await this.transferJob(request.jobId, SYSTEM_ACTOR, false);
    return this.transfers.status(request.jobId, request.sha256);
  }

  async transferUpload(request: TransferUpload): Promise<TransferStatus> {
    await this.transferJob(request.jobId, SYSTEM_ACTOR, true);
    return this.transfers.upload(request);
  }

  async transferDownload(request: TransferDownload): Promise<TransferBody> {
    await this.transferJob(request.jobId, SYSTEM_ACTOR, false);
    return this.transfers.download(request);
  }

  /**
   * The job a transfer request names, checked: it exists and has a task at a site the actor
   * serves (else SWY_ERR_JOB_NOT_FOUND, as for a job it may not see), and for an upload it has
   * not ended (SWY_ERR_JOB_STATE: its blobs are being removed). Uploads note the job, so that
   * its blobs go when it ends.
   */
  private async transferJob(jobId: number, actor: Actor, upload: boolean): Promise<void> {
    if (!Number.isSafeInteger(jobId) || jobId <= 0) throw new SwitchyardError('SWY_ERR_VALIDATION', 'jobId must be a job id');
    const job = await this.transferJobRecord(jobId);
    if (!job || !seesJob(actor, job.sites)) throw new SwitchyardError('SWY_ERR_JOB_NOT_FOUND');
    if (!upload) return;
    if (isTerminalJobState(job.state)) throw new SwitchyardError('SWY_ERR_JOB_STATE', `Job ${jobId} has ended (${job.state}): it takes no more transfers`);
    if (this.transferJobs.has(jobId) || this.stopping) return;
    this.transferJobs.add(jobId);
    this.transferUnsubscribe ??= this.events.on('job:finished', (event) => {
      this.transferJobCache.delete(event.jobId);
      if (!this.transferJobs.delete(event.jobId)) return;
      void this.transfers.removeJob(event.jobId).catch((error) => this.logger.warn({ err: error, job: event.jobId }, 'could not remove transfer blobs'));
      if (this.transferJobs.size === 0) {
        this.transferUnsubscribe?.();
        this.transferUnsubscribe = null;
      }
    });
  }

  /**
   * A job as transfer requests check it, read at most once a second per job: a copy of many
   * small files asks several times per file. A job that ended within that second may still take
   * an upload; the sweep removes what it leaves.
   */
  private async transferJobRecord(jobId: number): Promise<{ sites: string[]; state: JobRecord['state'] } | null> {
    const now = Date.now();
    const cached = this.transferJobCache.get(jobId);
    if (cached && now - cached.at < 1_000) return cached.job;
    const record = await this.store.getJob(jobId);
    const job = record ? { sites: record.sites, state: record.state } : null;
    if (this.transferJobCache.size > 10_000) this.transferJobCache.clear();
    this.transferJobCache.set(jobId, { job, at: now });
    return job;
  }

  /** Removes the blobs of jobs that ended or are gone (those whose end this hub did not see: another hub's, or before a restart). */
  async sweepTransfers(): Promise<number> {
    try {
      return await this.transfers.sweep(async (jobId) => {
        const job = await this.store.getJob(jobId);
        const ended = !job || isTerminalJobState(job.state);
        if (ended) this.transferJobs.delete(jobId);
        return ended;
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'the sweep of transfer blobs failed');
      return 0;
    }
  }

  /** Settles every lease a worker known to be gone holds (the hub's own worker after a crash). */
  releaseLeasesOf(workerId: string): Promise<number> {
    return this.store.releaseLeasesOf(workerId, this.clock());
  }
}

/**
 * Where a hub keeps transfer blobs when not told: `<dataDir>/transfers` next to its SQLite
 * file; for PostgreSQL (no data directory) `<tmpdir>/switchyard-transfers/<hash of the URL>`,
 * the same for every restart of a hub on that database. SWITCHYARD_TRANSFER_DIR wins.
 */
export function defaultTransferDir(location: { db?: string | null; dataDir?: string; sqliteFile?: string }): string | undefined {
  const fromEnv = process.env.SWITCHYARD_TRANSFER_DIR;
  if (fromEnv) return fromEnv;
  if (location.db) return join(tmpdir(), 'switchyard-transfers', createHash('sha256').update(location.db).digest('hex').slice(0, 16));
  if (location.sqliteFile === ':memory:') return undefined;
  if (location.sqliteFile) return join(dirname(location.sqliteFile), 'transfers');
  return join(location.dataDir ?? '.switchyard', 'transfers');
}

/**
 * How often a waiting lease looks again without a wake-up. A task that becomes due later (a
 * retry after its backoff, a job's runAt, an expired lease's task re-queued with a backoff)
 * sends none when it does: a remote worker's 20 s long poll would otherwise see it up to 20 s
 * late. As often as an in-process worker polls.
 */
const LEASE_RECHECK_MS = 1_000;

/** How long an id found unregistered is taken as unowned before the store is asked again. */
const UNOWNED_RECHECK_MS = 10_000;

/** How often a lease request refreshes a worker's last-seen time (well under WORKER_ONLINE_MS). */
const SEEN_EVERY_MS = 15_000;

/**
 * What free-text search matches in a job's fields: the values of its non-secret fields, so
 * that searching for a secret never finds the job that holds it (R62).
 */
export function searchText(workflow: Workflow, fields: Record<string, Json>): string {
  const secret = new Set<string>(workflow.secretFields ?? []);
  const parts: string[] = [];
  const walk = (value: Json): void => {
    if (value === null) return;
    if (typeof value === 'object') {
      for (const inner of Array.isArray(value) ? value : Object.values(value)) walk(inner);
    } else parts.push(String(value));
  };
  for (const [name, value] of Object.entries(fields)) if (!secret.has(name)) walk(value);
  return parts.join(' ').slice(0, 10_000);
}

/**
 * Entry `i` of a batch: a refusal of it names the entry (`jobs.2.fields.tasks`, not
 * `fields.tasks`), so that a caller of a bulk submit knows which job to mend.
 */
async function entryOf<T>(i: number, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof SwitchyardError)) throw error;
    const fields = (error.fields ?? [{ path: '', message: error.message }]).map((field) => ({
      ...field,
      path: field.path ? `jobs.${i}.${field.path}` : `jobs.${i}`,
    }));
    throw new SwitchyardError(error.code, `jobs.${i}: ${error.message}`, fields);
  }
}
