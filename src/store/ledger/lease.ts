import { MAX_RETRY_PATHS, transitionTask } from '../../model/index.js';
import type { LeasedTask, LeaseRequest } from '../store.js';
import { failedItemPaths } from './change-rows.js';
import { JobBook } from './job-book.js';
import type { ClaimedTask, LedgerTx, QueueState } from './ledger-tx.js';

/**
 * Leases ready tasks to a worker in one transaction. A task whose job has not started yet
 * starts it, and so takes a slot in the job's queue: paused queues start no job, and a queue
 * with a concurrency limit starts only as many as it has free slots (1 = strictly sequential).
 * Running jobs keep leasing their tasks whatever their queue's state.
 */
export async function leaseTasks(tx: LedgerTx, request: LeaseRequest, newToken: () => string): Promise<LeasedTask[]> {
  const { now } = request;
  // Queues that may not start another job (paused or full) give only tasks of started jobs.
  const { queues, claimed } = await tx.claimTasks({ site: request.site, workflows: request.workflows, now, limit: request.limit }, (states) => [
    ...states.filter((q) => q.paused).map((q) => q.name),
    ...fullQueuesOf(states),
  ]);
  const byName = new Map(queues.map((queue) => [queue.name, queue]));
  noteFullQueues(tx, fullQueuesOf(queues));
  if (claimed.length === 0) return [];

  const admitted = await admit(tx, claimed, byName);
  const book = new JobBook(now);
  const leased: LeasedTask[] = [];
  for (const candidate of admitted) {
    const { row } = candidate;
    const leaseToken = newToken();
    row.state = transitionTask(row.state, { type: 'lease' }) ?? row.state;
    row.attempts += 1;
    row.leaseToken = leaseToken;
    row.leaseExpiresAt = now + request.leaseMs;
    row.workerId = request.workerId;
    row.startedAt = now;
    row.updatedAt = now;
    book.moveTask(row, 'queued', 'running');
    leased.push(toLeasedTask(candidate, leaseToken));
  }
  await tx.updateTasks(admitted.map(({ row }) => ({ row, fromState: 'queued' as const })));
  await book.settle(tx);
  // Only tasks re-run for their failed items cost a read here.
  for (const [i, candidate] of admitted.entries()) {
    if (candidate.retryItems) leased[i].retryPaths = await failedItemPaths(tx.sql, candidate.row.jobId, candidate.row.id, MAX_RETRY_PATHS);
  }
  return leased;
}

function fullQueuesOf(queues: QueueState[]): string[] {
  return queues.filter((q) => q.concurrency !== null && q.activeJobs >= q.concurrency).map((q) => q.name);
}

/** What the store remembers of the queues at their limit: the queues found so, replacing the last lease's. */
function noteFullQueues(tx: LedgerTx, names: string[]): void {
  tx.fullQueues.clear();
  for (const name of names) tx.fullQueues.add(name);
}

/** Keeps the claimed tasks whose job is running, or whose queue has room to start the job (a queue this fills joins LedgerTx.fullQueues). */
async function admit(tx: LedgerTx, claimed: ClaimedTask[], queues: Map<string, { paused: boolean; concurrency: number | null }>): Promise<ClaimedTask[]> {
  const limited = [...new Set(claimed.filter((c) => c.jobUnstarted && queues.get(c.job.queue)?.concurrency != null).map((c) => c.job.queue))].sort();
  const slotsTaken = limited.length > 0 ? await tx.lockQueueAdmission(limited) : new Map<string, number>();
  const startedNow = new Set<number>();
  return claimed.filter((candidate) => {
    if (!candidate.jobUnstarted || startedNow.has(candidate.row.jobId)) return true;
    const name = candidate.job.queue;
    const queue = queues.get(name);
    if (queue?.paused) return false;
    if (queue && queue.concurrency !== null) {
      const taken = slotsTaken.get(name) ?? 0;
      if (taken >= queue.concurrency) return false;
      slotsTaken.set(name, taken + 1);
      if (taken + 1 >= queue.concurrency) tx.fullQueues.add(name);
    }
    startedNow.add(candidate.row.jobId);
    return true;
  });
}

function toLeasedTask(claimed: ClaimedTask, leaseToken: string): LeasedTask {
  const { row } = claimed;
  return {
    leaseToken,
    job: claimed.job,
    task: {
      id: row.id,
      jobId: row.jobId,
      workflow: row.workflow,
      type: row.type,
      key: claimed.key,
      site: row.site,
      state: row.state,
      input: claimed.input,
      attempts: row.attempts,
      maxAttempts: row.maxAttempts,
      availableAt: row.availableAt,
      workerId: row.workerId,
      leaseExpiresAt: row.leaseExpiresAt,
      progress: { done: row.progressDone, total: row.progressTotal },
      changed: row.changed,
      result: row.result,
      error: row.error,
      reason: row.reason,
      itemsFailed: row.itemsFailed,
      dependsOn: [],
      createdAt: claimed.createdAt,
      startedAt: row.startedAt,
      endedAt: row.endedAt,
      updatedAt: row.updatedAt,
    },
  };
}
