import {
  type Actor,
  type AuditRecord,
  authorize,
  type ChangeCounts,
  type ChangeDetail,
  type ChangeRecord,
  type ComparisonKind,
  compareItemStates,
  type EventRecord,
  type ItemDifference,
  type ItemRecord,
  type ItemStat,
  type JobRecord,
  jobWaitReason,
  locksConflict,
  type ResourceLock,
  SwitchyardError,
  scopeSites,
  seesJob,
  siteAllowed,
  type TaskLogLine,
  type TaskRecord,
  taskWaitReason,
  type WaitReason,
} from '../model/index.js';
import type {
  ChangeQuery,
  ItemQuery,
  JobCount,
  JobQuery,
  OpenJobCount,
  Page,
  SiteRecord,
  AuditQuery as StoreAuditQuery,
  TaskPlacement,
  TaskQuery,
  WorkerRecord,
} from '../store/store.js';
import type { EngineCore } from './engine-core.js';

export type { JobSortKey, OpenJobCount, TaskPlacement } from '../store/store.js';

/** A job-list query as callers give it: `sites` is what they asked for, before scoping. */
export type JobListQuery = Omit<JobQuery, 'sites'> & { sites?: string[] | null };

/** An audit query as callers give it: the engine adds the actor's sites. */
export type AuditQuery = Omit<StoreAuditQuery, 'sites'>;

/** The most paths of each run `compare` reads. */
export const COMPARE_MAX_PATHS = 200_000;

/**
 * A worker counts as online while it has leased or heartbeated within this long. An idle remote
 * worker long-polls for 20 s at a time and a lease request marks it seen at most every 15 s, so
 * a live one is never more than ~35 s unseen; a killed one reads offline within a minute.
 */
export const WORKER_ONLINE_MS = 60_000;

export interface SiteView extends SiteRecord {
  workers: number;
  workersOnline: number;
  lastSeenAt: number | null;
}

/**
 * Every read, scoped to what the actor may see: a job, task or item at a site outside the
 * actor's answers "not found" (no leak of other sites' ids), and lists, events and audit
 * entries are narrowed to the actor's sites inside the store query.
 */
export class ReadVerbs {
  constructor(private readonly core: EngineCore) {}

  /** The job if it exists and the actor may see one of its sites (see seesJob); otherwise SWY_ERR_JOB_NOT_FOUND. */
  async job(id: number, actor: Actor): Promise<JobRecord> {
    authorize(actor, 'jobs.read');
    const job = await this.core.store.getJob(id);
    if (!job || !seesJob(actor, job.sites)) throw new SwitchyardError('SWY_ERR_JOB_NOT_FOUND', `No job with id ${id}`);
    return job;
  }

  async listJobs(query: JobListQuery, actor: Actor): Promise<Page<JobRecord>> {
    authorize(actor, 'jobs.read');
    if (query.createdFrom !== undefined && query.createdTo !== undefined && query.createdFrom > query.createdTo) {
      throw new SwitchyardError('SWY_ERR_VALIDATION', 'query.createdFrom: must not be after createdTo', [
        { path: 'query.createdFrom', message: 'must not be after createdTo' },
      ]);
    }
    const sites = scopeSites(actor, query.sites);
    // Asked only for sites the actor may not see: nothing, rather than everything.
    if (sites !== null && sites.length === 0) return { items: [], nextCursor: null };
    return this.core.store.listJobs({ ...query, sites });
  }

  /** How many jobs the list shows for `query` (see Store.jobTotal): exact under `cap`, estimated above. */
  async jobTotal(query: JobListQuery, actor: Actor, cap: number): Promise<JobCount> {
    authorize(actor, 'jobs.read');
    const sites = scopeSites(actor, query.sites);
    if (sites !== null && sites.length === 0) return { count: 0, exact: true };
    return this.core.store.jobTotal({ ...query, sites }, cap);
  }

  /** Unfinished jobs at the actor's sites, counted by state, site and queue (see Store.countOpenJobs). */
  async openJobs(actor: Actor): Promise<OpenJobCount[]> {
    authorize(actor, 'jobs.read');
    return (await this.core.store.countOpenJobs()).filter((row) => siteAllowed(actor.sites, row.site));
  }

  async tasks(jobId: number, query: TaskQuery, actor: Actor): Promise<Page<TaskRecord> & { types: string[] }> {
    const job = await this.job(jobId, actor);
    const page = await this.core.store.listTasks(job.id, query);
    return { ...page, types: await this.core.store.taskTypes(job.id) };
  }

  /** A task of a job the actor may see: a job that spans sites is shown whole, its other sites' tasks included. */
  /** Where a visible job's tasks ran: task counts by state per site and worker (see Store.taskPlacement). */
  async placement(jobId: number, actor: Actor): Promise<TaskPlacement[]> {
    const job = await this.job(jobId, actor);
    return this.core.store.taskPlacement(job.id);
  }

  async task(id: number, actor: Actor): Promise<TaskRecord> {
    authorize(actor, 'jobs.read');
    const task = await this.core.store.getTask(id);
    if (task && siteAllowed(actor.sites, task.site)) return task;
    const job = task ? await this.core.store.getJob(task.jobId) : null;
    if (!task || !job || !seesJob(actor, job.sites)) throw new SwitchyardError('SWY_ERR_TASK_NOT_FOUND', `No task with id ${id}`);
    return task;
  }

  /** Output lines of a task the actor may see, after `afterSeq`. */
  async taskOutput(task: TaskRecord, afterSeq: number, limit: number): Promise<TaskLogLine[]> {
    return this.core.store.taskOutput(task.id, afterSeq, limit);
  }

  /**
   * The seqs of a task's lines after `afterSeq` whose visible text (escape codes left out)
   * contains `needle` (ASCII letters in either case), at most `limit`, reading at most `scanLines` seqs: `next` is where to go on from
   * (null when the stored output after `afterSeq` has been read to its end).
   */
  async searchTaskOutput(
    task: TaskRecord,
    needle: string,
    afterSeq: number,
    limit: number,
    scanLines: number,
  ): Promise<{ matches: number[]; next: number | null }> {
    const through = Math.min(afterSeq + scanLines, 2 ** 31 - 1);
    const matches = await this.core.store.searchTaskOutput(task.id, needle, afterSeq, through, limit);
    if (matches.length === limit) return { matches, next: matches[matches.length - 1] };
    const more = through < 2 ** 31 - 1 && (await this.core.store.taskOutput(task.id, through, 1)).length > 0;
    return { matches, next: more ? through : null };
  }

  async items(jobId: number, query: ItemQuery, actor: Actor): Promise<Page<ItemRecord>> {
    const job = await this.job(jobId, actor);
    return this.core.store.listItems(job.id, query);
  }

  async itemHistory(jobId: number, path: string, actor: Actor): Promise<ItemRecord[]> {
    const job = await this.job(jobId, actor);
    return this.core.store.itemHistory(job.id, path);
  }

  /** A visible job's changes (see Store.listChanges), with the counts per kind under the same path filter. */
  async changes(jobId: number, query: ChangeQuery, actor: Actor): Promise<Page<ChangeRecord> & { counts: ChangeCounts }> {
    const job = await this.job(jobId, actor);
    const [page, counts] = await Promise.all([this.core.store.listChanges(job.id, query), this.core.store.changeCounts(job.id, query.path)]);
    return { ...page, counts };
  }

  /** One change of a visible job, with its texts; SWY_ERR_VALIDATION-free 404 (SWY_ERR_JOB_NOT_FOUND) when absent. */
  async change(jobId: number, changeId: number, actor: Actor): Promise<ChangeDetail> {
    const job = await this.job(jobId, actor);
    const change = await this.core.store.getChange(job.id, changeId);
    if (!change) throw new SwitchyardError('SWY_ERR_CHANGE_NOT_FOUND', `Job ${jobId} has no change with id ${changeId}`);
    return change;
  }

  /**
   * A visible job's items compared with the previous run's (see Store.previousRun): paths added,
   * removed, and changed (bytes or outcome differ), each path by its last record, sorted by
   * path. The previous run counts only if the actor may see it too; otherwise, as when there is
   * none, `previousJobId` is null and every path is added. `kind` and `path` filter the list
   * (not the counts); `after` pages by path. Each run is read up to COMPARE_MAX_PATHS paths;
   * `truncated` says one had more.
   */
  async compare(
    jobId: number,
    query: { kind?: ComparisonKind; path?: string; after?: string; limit: number },
    actor: Actor,
  ): Promise<{
    jobId: number;
    previousJobId: number | null;
    counts: Record<ComparisonKind | 'unchanged', number>;
    items: ItemDifference[];
    nextAfter: string | null;
    truncated: boolean;
  }> {
    const job = await this.job(jobId, actor);
    const { store } = this.core;
    let previousJobId = await store.previousRun({ id: job.id, workflow: job.workflow, site: job.site, scheduleId: job.scheduleId ?? null });
    if (previousJobId !== null) {
      const previous = await store.getJob(previousJobId);
      if (!previous || !seesJob(actor, previous.sites)) previousJobId = null;
    }
    const [after, before] = await Promise.all([
      store.latestItems(job.id, COMPARE_MAX_PATHS + 1),
      previousJobId === null ? Promise.resolve([]) : store.latestItems(previousJobId, COMPARE_MAX_PATHS + 1),
    ]);
    const truncated = after.length > COMPARE_MAX_PATHS || before.length > COMPARE_MAX_PATHS;
    const { counts, differences } = compareItemStates(before.slice(0, COMPARE_MAX_PATHS), after.slice(0, COMPARE_MAX_PATHS));
    const needle = query.path?.toLowerCase();
    const wanted = differences.filter(
      (d) =>
        (!query.kind || d.kind === query.kind) && (!needle || d.path.toLowerCase().includes(needle)) && (query.after === undefined || d.path > query.after),
    );
    const items = wanted.slice(0, query.limit);
    return { jobId: job.id, previousJobId, counts, items, nextAfter: wanted.length > query.limit ? items[items.length - 1].path : null, truncated };
  }

  /** A visible job's item records counted per operation (copy, delete, verify…) and outcome. */
  async itemStats(jobId: number, actor: Actor): Promise<ItemStat[]> {
    const job = await this.job(jobId, actor);
    return this.core.store.itemStats(job.id);
  }

  /** Events after `afterId` at the actor's sites, oldest first. */
  async events(afterId: number, limit: number, actor: Actor): Promise<EventRecord[]> {
    authorize(actor, 'events.read');
    return this.core.store.listEvents(afterId, limit, actor.sites);
  }

  async lastEventId(actor: Actor): Promise<number> {
    authorize(actor, 'events.read');
    return this.core.store.lastEventId();
  }

  /** Audit entries, newest first; a site-limited actor sees only entries of its sites. */
  async audit(query: AuditQuery, actor: Actor): Promise<Page<AuditRecord>> {
    authorize(actor, 'audit.read');
    if (query.site !== undefined && !siteAllowed(actor.sites, query.site)) return { items: [], nextCursor: null };
    return this.core.store.listAudit({ ...query, sites: actor.sites });
  }

  /** Audit entries about one object; for a job, only if the actor may see it. */
  async auditOf(kind: 'job' | 'queue' | 'user' | 'token', id: string, actor: Actor): Promise<AuditRecord[]> {
    authorize(actor, 'audit.read');
    if (kind === 'job') {
      const jobId = Number(id);
      if (!Number.isSafeInteger(jobId) || jobId <= 0) throw new SwitchyardError('SWY_ERR_JOB_NOT_FOUND', `No job with id ${id}`);
      await this.job(jobId, actor);
    }
    // Whoever sees a job sees its whole trail, also entries at the other sites it spans.
    return (await this.core.store.listAudit({ sites: kind === 'job' ? null : actor.sites, target: `${kind}:${id}`, limit: 500 })).items;
  }

  /**
   * Why each job that is not running waits (null for the others): a lock held by an earlier
   * job (naming the resource), its workflow's or its key's concurrency limit, a delay, its queue paused or full, no worker online at its site
   * for its workflow, or the job paused, pausing or cancelling. Reads the queues, the workers
   * and the locks once for the whole page.
   */
  async explain(jobs: JobRecord[]): Promise<Map<number, WaitReason | null>> {
    const reasons = new Map<number, WaitReason | null>();
    const waiting = jobs.filter((job) => ['created', 'queued', 'paused', 'pausing', 'cancelling'].includes(job.state));
    for (const job of jobs) reasons.set(job.id, null);
    if (waiting.length === 0) return reasons;
    const { store, clock } = this.core;
    const now = clock();
    const [queues, workers] = await Promise.all([store.listQueues(null), store.listWorkers()]);
    const queueByName = new Map(queues.map((q) => [q.name, q]));
    const lockJobs = waiting.filter((job) => job.lockWaitOn != null);
    const locks = lockJobs.length > 0 ? await store.jobLocks([...new Set(lockJobs.flatMap((job) => [job.id, job.lockWaitOn as number]))]) : new Map();
    const inLine = waiting.filter((job) => job.concurrencySlot === 'waiting' && job.lockWaitOn == null);
    const use = inLine.length > 0 ? await store.concurrencyUse([...new Set(inLine.map((job) => job.workflow))]) : new Map();
    for (const job of waiting) {
      let lock: { jobId: number; resource: string | null } | null = null;
      if (job.lockWaitOn != null) {
        const mine: ResourceLock[] = locks.get(job.id) ?? [];
        const theirs: ResourceLock[] = locks.get(job.lockWaitOn) ?? [];
        const clash = mine.find((a) => theirs.some((b) => locksConflict(a, b)));
        lock = { jobId: job.lockWaitOn, resource: clash?.key ?? null };
      }
      const limits = job.concurrencySlot === 'waiting' ? use.get(job.workflow) : undefined;
      const key = job.concurrencyKey ?? null;
      const concurrency = limits
        ? { limit: limits.limit, perKey: limits.perKey, key, held: limits.held, keyHeld: key === null ? 0 : (limits.heldByKey.get(key) ?? 0) }
        : null;
      const online = workers.filter((w) => job.sites.includes(w.site) && now - w.lastSeenAt < WORKER_ONLINE_MS && w.workflows.includes(job.workflow)).length;
      const queue = queueByName.get(job.queue);
      reasons.set(
        job.id,
        jobWaitReason({
          state: job.state,
          startedAt: job.startedAt,
          runAt: job.runAt,
          queue: job.queue,
          site: job.site,
          sites: job.sites,
          workflow: job.workflow,
          runningTasks: job.taskCounts.running + job.taskCounts.pausing + job.taskCounts.cancelling,
          lock,
          concurrency,
          envelopeWait: job.envelopeWaitOn != null && job.envelopeId != null ? { envelopeId: job.envelopeId, jobId: job.envelopeWaitOn } : null,
          queueState: queue ? { paused: queue.paused, concurrency: queue.concurrency, activeJobs: queue.activeJobs } : null,
          workersOnline: online,
          now,
        }),
      );
    }
    return reasons;
  }

  /**
   * Why each of a job's tasks waits (null for the others): its job's wait, or — per task, as a
   * job's tasks may run at different sites — no online worker at the task's own site runs it.
   */
  async explainTasks(job: JobRecord, tasks: TaskRecord[]): Promise<Map<number, WaitReason | null>> {
    const jobWait = (await this.explain([job])).get(job.id) ?? null;
    const now = this.core.clock();
    const ready = tasks.some((task) => task.state === 'queued');
    const online = new Map<string, number>();
    if (ready) {
      for (const w of await this.core.store.listWorkers()) {
        if (now - w.lastSeenAt < WORKER_ONLINE_MS && w.workflows.includes(job.workflow)) online.set(w.site, (online.get(w.site) ?? 0) + 1);
      }
    }
    return new Map(tasks.map((task) => [task.id, taskWaitReason(task, jobWait, now, ready ? (online.get(task.site) ?? 0) : undefined)]));
  }

  async sites(actor: Actor): Promise<SiteView[]> {
    authorize(actor, 'catalog.read');
    const now = this.core.clock();
    const workers = await this.workers(actor);
    const sites = (await this.core.store.listSites()).filter((site) => siteAllowed(actor.sites, site.name));
    return sites.map((site) => {
      const here = workers.filter((w) => w.site === site.name);
      return {
        ...site,
        workers: here.length,
        workersOnline: here.filter((w) => now - w.lastSeenAt < WORKER_ONLINE_MS).length,
        lastSeenAt: here.length > 0 ? Math.max(...here.map((w) => w.lastSeenAt)) : null,
      };
    });
  }

  async workers(actor: Actor): Promise<WorkerRecord[]> {
    authorize(actor, 'catalog.read');
    return (await this.core.store.listWorkers()).filter((w) => siteAllowed(actor.sites, w.site));
  }
}
