import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { type JobRecord, type Json, SwitchyardError, siteAllowed } from '../model/index.js';
import type { WorkflowRegistry } from '../sdk/workflow-registry.js';
import type { JobAction, LeasedTask, LeaseRef, NewJob, Store, SubmitOutcome, TaskActivity, TaskCompletion, WorkerInfo } from '../store/store.js';
import type { Actor } from './actor.js';
import { Coalescer } from './coalescer.js';
import { DutyLoop } from './duty-loop.js';
import type { PortLeaseRequest, WorkerPort } from './ports.js';
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
  /** Run the background duties (tests drive them with `duties.tick()` instead). */
  runDuties?: boolean;
}

/**
 * The hub's engine: validates and plans submissions, applies operator controls with an audit
 * entry each, serves workers through the WorkerPort, and runs the background duties. All
 * state lives in the store; the engine keeps none that a crash could lose.
 */
export class Engine implements WorkerPort {
  readonly store: Store;
  readonly workflows: WorkflowRegistry;
  readonly defaultSite: string;
  readonly leaseMs: number;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly duties: DutyLoop;
  readonly hubId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly wake = new WakeHub();
  private readonly submissions: Coalescer<NewJob, SubmitOutcome>;
  private readonly knownSites = new Set<string>();
  private readonly unsubscribe: () => void;
  private stopping = false;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.workflows = options.workflows;
    this.defaultSite = options.defaultSite ?? 'local';
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.leaseMs = options.leaseMs ?? 30_000;
    this.submissions = new Coalescer((jobs) => this.store.submitJobs(jobs, this.clock()), 1000);
    this.duties = new DutyLoop(this.store, [watchdogDuty(this.store, options.watchdogIntervalMs ?? 1000)], this.hubId, this.clock, this.logger);
    this.unsubscribe = this.store.onWake((signal) => {
      if (signal.kind === 'tasks') this.wake.notify(signal.site);
    });
    if (options.runDuties !== false) this.duties.start();
  }

  /** Creates the default site and queue. */
  async init(): Promise<void> {
    const now = this.clock();
    await this.store.ensureSites([this.defaultSite], now);
    await this.store.ensureQueues(['default'], now);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.duties.stop();
    this.unsubscribe();
    this.wake.releaseAll();
    await this.submissions.idle();
  }

  // ─── Submissions ───────────────────────────────────────────────────────────────────────

  /** Submits one job. Concurrent calls share one transaction (see Coalescer). */
  async submit(request: SubmitRequest, actor: Actor): Promise<SubmitOutcome> {
    const job = await this.prepare(request, actor, null);
    return this.submissions.add(job);
  }

  /** Submits many jobs in one transaction; all are validated and planned before any is written. */
  async submitMany(requests: SubmitRequest[], actor: Actor): Promise<SubmitOutcome[]> {
    const jobs: NewJob[] = [];
    for (const request of requests) jobs.push(await this.prepare(request, actor, null));
    return this.store.submitJobs(jobs, this.clock());
  }

  /** Launches an identical job (same workflow, fields, site, queue, priority). */
  async resubmit(jobId: number, actor: Actor): Promise<SubmitOutcome> {
    const original = await this.visibleJob(jobId, actor);
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
    if (!siteAllowed(actor.sites, site)) throw new SwitchyardError('SWY_ERR_AUTH_SITE', `You have no access to site "${site}"`);
    await this.requireSite(site);
    const fields = this.workflows.parseFields(workflow, request.fields);
    const tasks = await this.workflows.plan(workflow, fields, { site, creator: actor.name });
    return {
      workflow: workflow.name,
      site,
      queue: request.queue ?? workflow.queue ?? 'default',
      creator: actor.name,
      priority: request.priority ?? 0,
      fields,
      runAt: request.runAt ?? null,
      idempotencyKey: request.idempotencyKey ?? null,
      timeoutMs: workflow.timeoutMs ?? null,
      retry: this.workflows.retryPolicy(workflow),
      parentJobId,
      tasks: tasks.map((spec) => ({ type: spec.type, input: (spec.input ?? null) as Json, key: spec.key ?? null, after: spec.after })),
    };
  }

  private async requireSite(site: string): Promise<void> {
    if (this.knownSites.has(site)) return;
    const sites = (await this.store.listSites()).map((s) => s.name);
    for (const name of sites) this.knownSites.add(name);
    if (!this.knownSites.has(site)) {
      throw new SwitchyardError('SWY_ERR_SITE_UNKNOWN', `No site named "${site}"; known sites: ${sites.join(', ')}`, [
        { path: 'site', message: 'unknown site' },
      ]);
    }
  }

  // ─── Controls ──────────────────────────────────────────────────────────────────────────

  /** The job if it exists and the actor may see its site; otherwise SWY_ERR_JOB_NOT_FOUND (no leak of other sites' ids). */
  async visibleJob(jobId: number, actor: Actor): Promise<JobRecord> {
    const job = await this.store.getJob(jobId);
    if (!job || !siteAllowed(actor.sites, job.site)) throw new SwitchyardError('SWY_ERR_JOB_NOT_FOUND', `No job with id ${jobId}`);
    return job;
  }

  async control(jobId: number, action: JobAction, actor: Actor): Promise<JobRecord> {
    const job = await this.visibleJob(jobId, actor);
    const updated = await this.store.controlJob(jobId, action, this.clock());
    await this.audit(actor, `job.${action}`, `job:${jobId}`, job.site, { from: job.state, to: updated.state });
    return updated;
  }

  async retry(jobId: number, actor: Actor): Promise<JobRecord> {
    const job = await this.visibleJob(jobId, actor);
    const updated = await this.store.retryJob(jobId, this.clock());
    await this.audit(actor, 'job.retry', `job:${jobId}`, job.site, { from: job.state });
    return updated;
  }

  async delete(jobId: number, actor: Actor): Promise<void> {
    const job = await this.visibleJob(jobId, actor);
    await this.store.deleteJob(jobId, this.clock());
    await this.audit(actor, 'job.delete', `job:${jobId}`, job.site, { workflow: job.workflow, state: job.state });
  }

  /** Cancels every job of the queue that has not started (within the actor's sites); returns how many. */
  async clearQueue(queue: string, actor: Actor): Promise<number> {
    let cancelled = 0;
    for (;;) {
      const page = await this.store.listJobs({
        sites: actor.sites,
        queues: [queue],
        states: ['created', 'queued'],
        sort: { key: 'id', desc: false },
        limit: 200,
      });
      if (page.items.length === 0) break;
      for (const job of page.items) {
        try {
          await this.store.controlJob(job.id, 'cancel', this.clock());
          cancelled += 1;
        } catch (error) {
          // A job that started meanwhile keeps running: clearing only takes queued ones.
          if (!(error instanceof SwitchyardError && error.code === 'SWY_ERR_JOB_STATE')) throw error;
        }
      }
    }
    await this.audit(actor, 'queue.clear', `queue:${queue}`, null, { cancelled });
    return cancelled;
  }

  async audit(actor: Actor, action: string, target: string | null, site: string | null, data: Record<string, Json> = {}): Promise<void> {
    await this.store.appendAudit({ at: this.clock(), actor: actor.name, action, target, site, data });
  }

  // ─── Worker port ───────────────────────────────────────────────────────────────────────

  async register(info: WorkerInfo): Promise<void> {
    await this.store.registerWorker(info, this.clock());
    this.knownSites.add(info.site);
  }

  /** Leases ready tasks; with none ready, waits up to `waitMs` for a wake-up (long poll). */
  async lease(request: PortLeaseRequest): Promise<LeasedTask[]> {
    const deadline = this.clock() + request.waitMs;
    const { signal, ...lease } = request;
    for (;;) {
      const mark = this.wake.mark(lease.site);
      const leased = await this.store.leaseTasks({ ...lease, leaseMs: this.leaseMs, now: this.clock() });
      const remaining = deadline - this.clock();
      if (leased.length > 0 || remaining <= 0 || this.stopping || signal?.aborted) return leased;
      await this.wake.wait(lease.site, remaining, mark, signal);
    }
  }

  heartbeat(request: { workerId: string; leases: LeaseRef[] }) {
    return this.store.heartbeat({ ...request, leaseMs: this.leaseMs, now: this.clock() });
  }

  report(batch: TaskActivity[]) {
    return this.store.recordActivity(batch, this.clock());
  }

  complete(batch: TaskCompletion[]) {
    return this.store.completeTasks(batch, this.clock());
  }
}
