import type { JobConcurrency } from '../../model/index.js';
import type { ConcurrencyCandidate, LedgerTx } from './ledger-tx.js';

/**
 * Concurrency per workflow and per key in the ledger (the rules are in model/concurrency.ts).
 * A job of a workflow with limits joins its workflow's line at submission (`waiting`, its
 * tasks held out of leasing) and is admitted (`held`) while the jobs admitted and not ended
 * stay under the limits; when a job ends its slot is released and the line moves on, first
 * come first served. A job waiting for a resource lock is passed over until its lock is free.
 * Admission and release take the same serialising lock as resource locks, so hubs sharing a
 * database never admit past a limit between them.
 */

/** A job that joined or may leave a line: its workflow and key. */
interface InLine {
  workflow: string;
  key: string | null;
}

/**
 * At submission: records the limits each workflow declares, puts every new job that has
 * limits in its workflow's line, and admits as many as the limits allow. Call after the jobs'
 * locks are admitted, so that a job waiting for a lock is not admitted. Answers the new jobs
 * left waiting, and the sites of any other job admitted meanwhile.
 */
export async function admitConcurrency(
  tx: LedgerTx,
  jobs: { id: number; workflow: string; concurrency: JobConcurrency | null }[],
): Promise<{ waiting: Set<number>; wake: string[] }> {
  const limited = jobs.filter((job) => job.concurrency !== null).sort((a, b) => a.id - b.id);
  if (limited.length === 0) return { waiting: new Set(), wake: [] };
  await tx.lockResourceAdmission();
  const declared = new Map(limited.map((job) => [job.workflow, job.concurrency as JobConcurrency]));
  for (const [workflow, { limit, perKey }] of declared) await tx.setConcurrencyLimits(workflow, { limit, perKey });
  await tx.enterConcurrencyLine(limited.map((job) => ({ id: job.id, key: job.concurrency?.key ?? null })));
  const admitted = await moveLines(
    tx,
    limited.map((job) => ({ workflow: job.workflow, key: job.concurrency?.key ?? null })),
  );
  const newIds = new Set(limited.map((job) => job.id));
  const waiting = new Set([...newIds].filter((id) => !admitted.some((a) => a.id === id)));
  return { waiting, wake: admitted.filter((a) => !newIds.has(a.id)).flatMap((a) => a.sites) };
}

/**
 * When jobs end: releases their slots (and their places in line), then admits the next jobs
 * of their workflows. Answers the sites to wake. Costs one statement for jobs without limits.
 */
export async function releaseConcurrency(tx: LedgerTx, endedJobIds: number[]): Promise<string[]> {
  if (endedJobIds.length === 0) return [];
  const standing = await tx.concurrencyOf(endedJobIds);
  if (standing.size === 0) return [];
  await tx.lockResourceAdmission();
  await tx.setConcurrencySlot([...standing.keys()], 'released');
  const freed = [...standing.values()].filter((job) => job.slot === 'held');
  return (await moveLines(tx, freed)).flatMap((a) => a.sites);
}

/**
 * A job whose lock came free: if it waits in a concurrency line, the line decides (answers
 * whether it is still waiting, and the sites of the jobs admitted); otherwise it may start.
 */
export async function afterLockFreed(tx: LedgerTx, jobId: number): Promise<{ waiting: boolean; wake: string[] }> {
  const standing = (await tx.concurrencyOf([jobId])).get(jobId);
  if (standing?.slot !== 'waiting') return { waiting: false, wake: [] };
  const admitted = await moveLines(tx, [standing]);
  return { waiting: !admitted.some((a) => a.id === jobId), wake: admitted.flatMap((a) => a.sites) };
}

/**
 * Before finished jobs run again: they join their workflows' lines anew, behind nobody they
 * were submitted before. Answers the jobs that wait (their tasks are then held) and the sites
 * of other jobs admitted meanwhile. Costs one statement for jobs without limits.
 */
export async function reenterConcurrency(tx: LedgerTx, jobIds: number[]): Promise<{ waiting: Set<number>; wake: string[] }> {
  if (jobIds.length === 0) return { waiting: new Set(), wake: [] };
  const standing = await tx.concurrencyOf(jobIds, true);
  if (standing.size === 0) return { waiting: new Set(), wake: [] };
  await tx.lockResourceAdmission();
  const ids = [...standing.keys()].sort((a, b) => a - b);
  await tx.enterConcurrencyLine(ids.map((id) => ({ id, key: (standing.get(id) as InLine).key })));
  const admitted = new Map((await moveLines(tx, [...standing.values()])).map((a) => [a.id, a]));
  return {
    waiting: new Set(ids.filter((id) => !admitted.has(id))),
    wake: [...admitted.values()].filter((a) => !standing.has(a.id)).flatMap((a) => a.sites),
  };
}

/** Admits what the lines of these workflows (and keys) allow now. */
async function moveLines(tx: LedgerTx, jobs: InLine[]): Promise<ConcurrencyCandidate[]> {
  const keysByWorkflow = new Map<string, Set<string | null>>();
  for (const job of jobs) keysByWorkflow.set(job.workflow, (keysByWorkflow.get(job.workflow) ?? new Set()).add(job.key));
  const admitted: ConcurrencyCandidate[] = [];
  for (const [workflow, keys] of [...keysByWorkflow].sort(([a], [b]) => (a < b ? -1 : 1))) {
    admitted.push(...(await fillLine(tx, workflow, [...keys])));
  }
  if (admitted.length > 0) {
    const ids = admitted.map((a) => a.id);
    await tx.setConcurrencySlot(ids, 'held');
    await tx.holdTasks(ids, false);
  }
  return admitted;
}

/** How many waiting jobs are read at a time while a line is walked. */
const PAGE = 64;

/**
 * Picks the jobs a workflow's line admits now, in submission order. With a workflow limit the
 * whole line is walked (passing over jobs whose key is at its own limit: other keys may go
 * ahead of them); with only a per-key limit, just the lines of `keys` can have moved.
 */
async function fillLine(tx: LedgerTx, workflow: string, keys: (string | null)[]): Promise<ConcurrencyCandidate[]> {
  const limits = await tx.concurrencyLimits(workflow);
  if (!limits) return [];
  const { limit, perKey } = limits;
  if (limit === null) {
    if (perKey === null) return [];
    const keyed = [...new Set(keys)].filter((key): key is string => key !== null);
    if (keyed.length === 0) return [];
    const held = await tx.heldConcurrency(workflow, keyed);
    const wants = keyed.map((key) => ({ key, limit: perKey - (held.get(key) ?? 0) })).filter((want) => want.limit > 0);
    return wants.length > 0 ? tx.concurrencyCandidatesOfKeys(workflow, wants) : [];
  }
  const picked: ConcurrencyCandidate[] = [];
  const held = await tx.heldConcurrency(workflow, null);
  let free = limit - [...held.values()].reduce((sum, n) => sum + n, 0);
  const keyFull = (key: string | null) => perKey !== null && key !== null && (held.get(key) ?? 0) >= perKey;
  let afterId = 0;
  while (free > 0) {
    const skipKeys = [...held.keys()].filter((key): key is string => key !== null && keyFull(key));
    const page = await tx.concurrencyCandidates({ workflow, skipKeys, afterId, limit: PAGE });
    for (const candidate of page) {
      afterId = candidate.id;
      if (keyFull(candidate.key)) continue;
      picked.push(candidate);
      held.set(candidate.key, (held.get(candidate.key) ?? 0) + 1);
      free -= 1;
      if (free === 0) break;
    }
    if (page.length < PAGE) break;
  }
  return picked;
}
