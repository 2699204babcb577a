import { type ResourceLock, SwitchyardError } from '../../model/index.js';
import { afterLockFreed } from './concurrency.js';
import type { LedgerTx } from './ledger-tx.js';

/**
 * Resource locks in the ledger (the rules are in model/resource-locks.ts). A job's locks are
 * recorded at submission and held until it ends; a retry holds them again. Each holding takes
 * the next admission number, and a job whose locks conflict with those of an unfinished job
 * admitted before it waits on it (`jobs.lock_wait_on`; its tasks are held out of leasing):
 * first come, first served, and since a job waits only on earlier ones, waits never form a
 * cycle — a retried job queues behind the jobs already in line rather than cutting in by its
 * older id. When a job ends its locks are released and every job that waited on it looks
 * again. Admission and release are serialised across hubs.
 */

/**
 * A waiting job points at the latest earlier job it conflicts with, not the first: jobs on a
 * busy resource then form a chain, and a job's end re-examines only the few jobs right behind
 * it instead of every job in the line.
 */
function latest(ids: number[]): number | undefined {
  return ids.length > 0 ? ids[ids.length - 1] : undefined;
}

/** At submission: holds each new job's locks and makes it wait on an earlier conflicting job. Answers job → the job it waits on. */
export async function admitLocks(tx: LedgerTx, jobs: { id: number; locks: ResourceLock[] }[]): Promise<Map<number, number>> {
  const waits = new Map<number, number>();
  const locking = jobs.filter((job) => job.locks.length > 0).sort((a, b) => a.id - b.id);
  if (locking.length === 0) return waits;
  await tx.lockResourceAdmission();
  for (const job of locking) await tx.holdLocks(job.id, job.locks);
  for (const job of locking) {
    const holder = latest(await tx.lockHolders(job.id, job.locks));
    if (holder !== undefined) {
      await tx.setLockWait(job.id, holder);
      waits.set(job.id, holder);
    }
  }
  return waits;
}

/**
 * When jobs end: releases their locks, then every job that waited on one of them waits on the
 * next earlier conflicting job or, with none left, may start. Answers the sites to wake.
 * Costs one statement for jobs that declared no locks.
 */
export async function releaseLocks(tx: LedgerTx, endedJobIds: number[], now: number): Promise<string[]> {
  if (endedJobIds.length === 0) return [];
  if ((await tx.releaseLocks(endedJobIds, now)) === 0) return [];
  // Under the admission lock, so that a job admitted meanwhile on another hub is seen waiting.
  await tx.lockResourceAdmission();
  const waiters = await tx.lockWaiters(endedJobIds);
  if (waiters.length === 0) return [];
  const locks = await tx.locksOf(waiters.map((w) => w.id));
  const wake = new Set<string>();
  for (const waiter of waiters) {
    const holder = latest(await tx.lockHolders(waiter.id, locks.get(waiter.id) ?? []));
    await tx.setLockWait(waiter.id, holder ?? null);
    if (holder !== undefined) continue;
    // Free of locks: it may start, unless its workflow's concurrency line still holds it.
    const line = await afterLockFreed(tx, waiter.id);
    for (const site of line.wake) wake.add(site);
    if (!line.waiting) {
      await tx.holdTasks([waiter.id], false);
      for (const site of waiter.sites) wake.add(site);
    }
  }
  return [...wake];
}

/**
 * Before finished jobs run again, in ascending id order: each is refused (SWY_ERR_RETRY_SUPERSEDED,
 * naming the later job) when a job that started after it ended acted on a conflicting
 * resource, unless forced. Then it holds its locks again, waiting on any other job that holds
 * a conflicting one. Answers the jobs that wait and those refused; costs one statement for
 * jobs that declared no locks.
 */
export async function relockForRetry(
  tx: LedgerTx,
  jobs: { id: number; endedAt: number | null }[],
  force: boolean,
): Promise<{ waiting: Set<number>; refused: Map<number, SwitchyardError> }> {
  const waiting = new Set<number>();
  const refused = new Map<number, SwitchyardError>();
  if (jobs.length === 0) return { waiting, refused };
  const declared = await tx.locksOf(jobs.map((job) => job.id));
  if (declared.size === 0) return { waiting, refused };
  await tx.lockResourceAdmission();
  for (const job of [...jobs].sort((a, b) => a.id - b.id)) {
    const locks = declared.get(job.id) ?? [];
    if (locks.length === 0) continue;
    if (!force && job.endedAt !== null) {
      const [later] = await tx.laterLockHolders(job.id, locks, job.endedAt);
      if (later !== undefined) {
        refused.set(
          job.id,
          new SwitchyardError(
            'SWY_ERR_RETRY_SUPERSEDED',
            `Job ${later} ran against the same resources after job ${job.id} ended; retrying would undo its work (an admin may force it)`,
          ),
        );
        continue;
      }
    }
    await tx.holdLocks(job.id, locks);
    const holder = latest(await tx.lockHolders(job.id, locks));
    await tx.setLockWait(job.id, holder ?? null);
    if (holder !== undefined) waiting.add(job.id);
  }
  return { waiting, refused };
}
