import {
  classifyJobOutcome,
  type ItemCounts,
  isLeasedTaskState,
  isTerminalJobState,
  isTerminalTaskState,
  type JobIntent,
  type JobState,
  type Json,
  ranToEnd,
  rollupJobState,
  TASK_PROGRESS_UNITS,
  type TaskState,
  TIMEABLE_JOB_STATES,
  taskProgressUnits,
  totalTasks,
} from '../../model/index.js';
import { releaseConcurrency } from './concurrency.js';
import { type JobChange, settleEnvelopes } from './envelopes.js';
import type { JobRow, LedgerTx, NewEvent, TaskRow } from './ledger-tx.js';
import { releaseLocks } from './resource-locks.js';

interface Entry {
  counts: Partial<Record<TaskState, number>>;
  items: ItemCounts;
  progressDone: number;
  progressTotal: number;
  changed: boolean;
  activity: boolean;
  /** A task of the job was leased: the job has started. */
  started: boolean;
  intent?: JobIntent;
  reason?: string | null;
  resetForRetry?: boolean;
  failureReason?: string;
  /** Sites of tasks added to the job in this transaction (spawned): recorded in job_sites unless the job's own. */
  newSites?: Set<string>;
}

/** The most units a task may report (PostgreSQL bigint and SQLite integer both hold it exactly). */
const MAX_PROGRESS_UNITS = 1e15;

/**
 * The job-side bookkeeping of one transaction. Every task move, item and progress report in
 * a verb goes through the book; `settle` then locks the jobs touched, applies the deltas to
 * their counters, derives each job's state with the model's roll-up, and appends the events.
 * Job rows are written once per transaction however many of their tasks moved.
 */
export class JobBook {
  private readonly entries = new Map<number, Entry>();
  private readonly events: NewEvent[] = [];
  private readonly readySites = new Set<string>();
  /** Jobs that reached a terminal state in this transaction: their resource locks and concurrency slots are released. */
  private readonly ended: JobRow[] = [];

  constructor(private readonly now: number) {}

  /**
   * A new task (`from` null) or a task moving between states. Its share of the job's progress
   * follows the model (progress.ts): full once it ran to its end, the fraction it reached if it
   * ended otherwise, zero again when a retry re-runs it.
   */
  moveTask(task: TaskRow, from: TaskState | null, to: TaskState, reason?: string | null): void {
    const entry = this.entry(task.jobId);
    if (from === null) {
      // A task born failed (at a site that does not exist, see new-tasks.ts) takes the job nowhere.
      if (to !== 'failure') {
        entry.newSites ??= new Set();
        entry.newSites.add(task.site);
      }
      entry.progressTotal += TASK_PROGRESS_UNITS;
      entry.progressDone += units(to, task);
    } else {
      entry.counts[from] = (entry.counts[from] ?? 0) - 1;
      entry.activity = true;
      const before = units(from, task);
      if (isTerminalTaskState(from) && !isTerminalTaskState(to)) task.progressDone = 0;
      else if (ranToEnd(to)) task.progressDone = task.progressTotal;
      entry.progressDone += units(to, task) - before;
    }
    entry.counts[to] = (entry.counts[to] ?? 0) + 1;
    if (to === 'queued') this.readySites.add(task.site);
    if (to === 'running' && from === 'queued') entry.started = true;
    if (to === 'failure' && entry.failureReason === undefined) {
      entry.failureReason = `task ${task.id} (${task.type}) failed${reason ? `: ${reason}` : ''}`;
    }
    if (from !== null) {
      const data: Record<string, Json> = { from, to, type: task.type, workflow: task.workflow };
      if (reason) data.reason = reason;
      if (task.workerId) data.worker = task.workerId;
      // Durations for the metrics' histograms, measured where the times are known (any hub may
      // count them from the events): how long a leased task waited since it became ready, and
      // how long an attempt ran from its lease to its end.
      if (from === 'queued' && to === 'running') data.waitMs = Math.max(0, this.now - task.availableAt);
      else if (isLeasedTaskState(from) && !isLeasedTaskState(to) && task.startedAt !== null) data.runMs = Math.max(0, this.now - task.startedAt);
      this.events.push({ at: this.now, type: 'task:state:changed', jobId: task.jobId, taskId: task.id, site: task.site, data });
    }
  }

  /** A running task reported progress: `done` of `total` of its own units; the job gains its share. */
  progress(task: TaskRow, done: number, total: number): void {
    const entry = this.entry(task.jobId);
    const before = units(task.state, task);
    // Whole units within what every store keeps (the HTTP route rounds the same way; an
    // in-process handler's report does not pass through it).
    const bound = (n: number) => (Number.isFinite(n) ? Math.min(Math.max(n, 0), MAX_PROGRESS_UNITS) : 0);
    const safeTotal = Math.ceil(bound(total));
    task.progressDone = Math.min(Math.floor(bound(done)), safeTotal);
    task.progressTotal = safeTotal;
    entry.progressDone += units(task.state, task) - before;
    entry.activity = true;
  }

  items(jobId: number, counts: ItemCounts): void {
    const entry = this.entry(jobId);
    for (const [outcome, n] of Object.entries(counts) as [keyof ItemCounts, number][]) {
      entry.items[outcome] = (entry.items[outcome] ?? 0) + n;
    }
    entry.activity = true;
  }

  changed(jobId: number): void {
    this.entry(jobId).changed = true;
  }

  /** Something happened in the job (log lines, a heartbeat with news): its inactivity deadline moves. */
  touch(jobId: number): void {
    this.entry(jobId).activity = true;
  }

  setIntent(jobId: number, intent: JobIntent, reason?: string | null): void {
    const entry = this.entry(jobId);
    entry.intent = intent;
    if (reason !== undefined) entry.reason = reason;
  }

  /** A retry: the job runs again, so its end, outcome and reason are cleared. */
  resetForRetry(jobId: number): void {
    const entry = this.entry(jobId);
    entry.resetForRetry = true;
    entry.intent = 'run';
    entry.reason = null;
  }

  hasJob(jobId: number): boolean {
    return this.entries.has(jobId);
  }

  /** Locks the jobs touched, applies every delta, rolls their state up and appends the events. */
  async settle(tx: LedgerTx): Promise<JobRow[]> {
    const ids = [...this.entries.keys()].sort((a, b) => a - b);
    const jobs = ids.length > 0 ? await tx.lockJobs(ids) : [];
    const failedQueues = new Set<string>();
    const envelopeChanges: JobChange[] = [];
    for (const job of jobs) {
      const entry = this.entries.get(job.id) as Entry;
      const from = job.state;
      this.apply(job, entry);
      if (job.state !== from) {
        if (job.envelopeId !== null) envelopeChanges.push({ job, from });
        const data: Record<string, Json> = { from, to: job.state, workflow: job.workflow, queue: job.queue };
        if (job.reason) data.reason = job.reason;
        this.events.push({ at: this.now, type: 'job:state:changed', jobId: job.id, taskId: null, site: job.site, data });
        if (job.state === 'failure') failedQueues.add(job.queue);
      }
    }
    if (jobs.length > 0) await tx.updateJobs(jobs);
    const reached = jobs.flatMap((job) =>
      [...(this.entries.get(job.id)?.newSites ?? [])].filter((site) => site !== job.site).map((site) => ({ jobId: job.id, site })),
    );
    if (reached.length > 0) await tx.addJobSites(reached);
    // Locks before concurrency slots: a job whose lock comes free is back in its line before
    // the freed slots are given out, so the earliest job in line gets them.
    // Only jobs that may hold some: a job read without locks or a place in a line costs no statement here.
    const holdingLocks = this.ended.filter((job) => job.holdsLocks !== false).map((job) => job.id);
    const inLine = this.ended.filter((job) => job.concurrencySlot !== null).map((job) => job.id);
    for (const site of await releaseLocks(tx, holdingLocks, this.now)) this.readySites.add(site);
    for (const site of await releaseConcurrency(tx, inLine)) this.readySites.add(site);
    if (failedQueues.size > 0) await tx.pauseQueuesOnFailure([...failedQueues]);
    if (this.events.length > 0) await tx.insertEvents(this.events);
    this.scheduleWakeUps(tx);
    // After this book's events, so that a member's end precedes what it causes (successors let
    // go, the rest of a stopped envelope cancelled in a book of its own).
    if (envelopeChanges.length > 0) await settleEnvelopes(tx, envelopeChanges, this.now);
    return jobs;
  }

  /** Appends an event that is not a state change (job created, deleted). */
  event(event: Omit<NewEvent, 'at'>): void {
    this.events.push({ ...event, at: this.now });
  }

  private apply(job: JobRow, entry: Entry): void {
    for (const [state, delta] of Object.entries(entry.counts) as [TaskState, number][]) {
      job.taskCounts[state] += delta;
    }
    for (const [outcome, n] of Object.entries(entry.items) as [keyof ItemCounts, number][]) {
      job.itemCounts[outcome] += n;
    }
    job.progressDone += entry.progressDone;
    job.progressTotal += entry.progressTotal;
    if (entry.changed) job.changed = true;
    if (entry.resetForRetry) {
      job.startedAt = null;
      job.endedAt = null;
      job.outcome = null;
      job.changed = false;
    }
    if (entry.intent !== undefined) job.intent = entry.intent;
    if (entry.reason !== undefined) job.reason = entry.reason;

    const wasTerminal = isTerminalJobState(job.state);
    if (job.startedAt === null && entry.started) job.startedAt = this.now;
    const state = rollupJobState(job.taskCounts, job.intent, job.startedAt !== null);
    job.state = state;
    if (isTerminalJobState(state)) {
      if (!wasTerminal) this.ended.push(job);
      if (!wasTerminal || job.endedAt === null) job.endedAt = this.now;
    } else {
      job.endedAt = null;
    }
    job.outcome = classifyJobOutcome(state, job.changed);
    job.reason = describeReason(job, state, entry);
    job.deadlineAt = deadline(job, state, entry.activity, this.now);
    job.updatedAt = this.now;
  }

  private scheduleWakeUps(tx: LedgerTx): void {
    // A started job that ends frees a slot of its queue. When the queue was at its limit, jobs
    // of any site may wait for that slot, and no task of theirs became ready to say so: every
    // site's idle workers look again (else a queue of concurrency 1 ran a job a second, at
    // the lease's recheck).
    if (this.ended.some((job) => job.startedAt !== null && tx.fullQueues.has(job.queue))) this.readySites.add('*');
    const sites = [...this.readySites];
    const hasEvents = this.events.length > 0;
    if (sites.length > 0 || hasEvents) tx.wakeAfterCommit(sites, hasEvents);
  }

  private entry(jobId: number): Entry {
    let entry = this.entries.get(jobId);
    if (!entry) {
      entry = { counts: {}, items: {}, progressDone: 0, progressTotal: 0, changed: false, activity: false, started: false };
      this.entries.set(jobId, entry);
    }
    return entry;
  }
}

function units(state: TaskState, task: TaskRow): number {
  return taskProgressUnits(state, { done: task.progressDone, total: task.progressTotal });
}

/** Says what a pausing or cancelling job waits for; recognised so that it is not kept once the job moves on. */
const WAITING = /^waiting for \d+ running tasks? to stop$/;

function describeReason(job: JobRow, state: JobState, entry: Entry): string | null {
  const kept = job.reason !== null && WAITING.test(job.reason) ? null : job.reason;
  switch (state) {
    case 'failure':
      if (job.intent === 'timeout') return kept;
      return kept ?? entry.failureReason ?? 'a task failed';
    case 'error': {
      const total = totalTasks(job.taskCounts);
      return `${job.taskCounts.error} of ${total} task${total === 1 ? '' : 's'} completed with errors`;
    }
    case 'pausing':
    case 'cancelling': {
      const active = job.taskCounts.running + job.taskCounts.pausing + job.taskCounts.cancelling;
      return `waiting for ${active} running task${active === 1 ? '' : 's'} to stop`;
    }
    case 'cancelled':
      return kept ?? 'cancelled on request';
    case 'success':
    case 'skipped':
      return null;
    default:
      return kept;
  }
}

function deadline(job: JobRow, state: JobState, activity: boolean, now: number): number | null {
  if (job.timeoutMs === null) return null;
  if (!TIMEABLE_JOB_STATES.includes(state)) return null;
  if (activity || job.deadlineAt === null) return now + job.timeoutMs;
  return job.deadlineAt;
}
