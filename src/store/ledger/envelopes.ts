import {
  chainStep,
  type EnvelopeRecord,
  envelopeRollbackProblem,
  isTerminalJobState,
  type JobRecord,
  type JobState,
  type Json,
  rollupEnvelopeStatus,
  SwitchyardError,
  stopsEnvelope,
  type TaskState,
  transitionTask,
  UNFINISHED_TASK_STATES,
} from '../../model/index.js';
import type { EnvelopeMemberSpec, NewEnvelope, NewJob } from '../store.js';
import { retryJob } from './control.js';
import { lockEnvelopes, placeholders, readEnvelope, type SqlExecutor, writeEnvelope } from './envelope-rows.js';
import { JobBook } from './job-book.js';
import type { JobRow, LedgerTx, TaskRow } from './ledger-tx.js';
import { type SubmittedIds, submitJobs } from './submit.js';

/**
 * Envelopes in the ledger (rules in model/envelope-status.ts and envelope-chain.ts). Members
 * are ordinary jobs tagged with `envelope_id`; a member that runs after others carries
 * `envelope_wait_on` (the predecessor in the way), which keeps its tasks from being leased.
 * Every transaction that moves a member's state calls `settleEnvelopes` (from JobBook.settle):
 * it moves the envelope's counts, lets successors go or stops them, and re-derives the status.
 * Locking order: tasks, jobs, then envelopes (ascending).
 */

/** A job whose state changed in a transaction, as JobBook.settle saw it. */
export interface JobChange {
  job: JobRow;
  from: JobState;
}

/** Records the envelope and creates its members with their chain; a repeated idempotency key answers the earlier envelope. */
export async function submitEnvelope(
  tx: LedgerTx,
  envelope: NewEnvelope,
  members: EnvelopeMemberSpec[],
  now: number,
): Promise<{ id: number; created: boolean; jobs: SubmittedIds[] }> {
  const x = tx.sql;
  if (envelope.idempotencyKey !== null) {
    const [prior] = await x.all('SELECT id FROM envelopes WHERE idempotency_key = ?', [envelope.idempotencyKey]);
    if (prior) return { id: Number(prior.id), created: false, jobs: [] };
  }
  const corrupt = envelope.corrupt ?? null;
  const [inserted] = await x.all(
    `INSERT INTO envelopes (type, site, queue, creator, idempotency_key, file_name, on_error, corrupt, status, reason, problem, job_counts, total_jobs, created_at, updated_at, ended_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      envelope.type,
      envelope.site,
      envelope.queue,
      envelope.creator,
      envelope.idempotencyKey,
      envelope.fileName,
      envelope.onError,
      corrupt ? 1 : 0,
      corrupt ? 'corrupt' : 'active',
      corrupt ? corrupt.message : null,
      corrupt ? x.json(corrupt as unknown as Json) : null,
      x.json({}),
      corrupt ? 0 : members.length,
      now,
      now,
      corrupt ? now : null,
    ],
  );
  const id = Number(inserted.id);
  await tx.insertEvents([
    {
      at: now,
      type: 'envelope:created',
      jobId: null,
      taskId: null,
      site: envelope.site,
      data: { envelope: id, type: envelope.type, jobs: corrupt ? 0 : members.length },
    },
  ]);
  tx.wakeAfterCommit([], true);
  if (corrupt) return { id, created: true, jobs: [] };

  const jobs = await submitJobs(
    tx,
    members.map((m) => ({ ...m.job, idempotencyKey: null })),
    now,
  );
  const ids = jobs.map((j) => j.id);
  for (let at = 0; at < ids.length; at += 500) {
    const slice = ids.slice(at, at + 500);
    await x.run(`UPDATE jobs SET envelope_id = ? WHERE id IN (${placeholders(slice.length)})`, [id, ...slice]);
  }
  const counts: Partial<Record<JobState, number>> = {};
  const ended: JobChange[] = [];
  for (let i = 0; i < members.length; i++) {
    const record = jobs[i].record as JobRecord;
    counts[record.state] = (counts[record.state] ?? 0) + 1;
    for (const after of members[i].after) {
      await x.run('INSERT INTO envelope_edges (envelope_id, job_id, after_job_id) VALUES (?, ?, ?)', [id, ids[i], ids[after]]);
    }
    // Every predecessor is new, so none is through yet: wait on the first.
    if (members[i].after.length > 0) {
      await x.run('UPDATE jobs SET envelope_wait_on = ? WHERE id = ?', [Math.min(...members[i].after.map((a) => ids[a])), ids[i]]);
    }
    if (isTerminalJobState(record.state)) ended.push({ job: { ...jobRowOf(record), envelopeId: id }, from: 'created' });
  }
  const row = (await readEnvelope(x, id)) as EnvelopeRecord;
  row.jobCounts = counts;
  refresh(row, now);
  await writeEnvelope(x, row);
  // Members with nothing to do ended at submission: their successors go on now.
  if (ended.length > 0) await followUp(tx, ended, now);
  return { id, created: true, jobs };
}

/** The job row fields settleEnvelopes reads, from a freshly written record. */
function jobRowOf(record: JobRecord): JobRow {
  return {
    id: record.id,
    site: record.site,
    queue: record.queue,
    workflow: record.workflow,
    creator: record.creator,
    state: record.state,
    intent: record.intent,
    outcome: record.outcome,
    reason: record.reason,
    taskCounts: record.taskCounts,
    itemCounts: record.itemCounts,
    progressDone: record.progress.done,
    progressTotal: record.progress.total,
    changed: false,
    timeoutMs: record.timeoutMs,
    deadlineAt: null,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    updatedAt: record.updatedAt,
    envelopeId: null,
  };
}

/**
 * Called in the transaction that moved member (or rollback) jobs: moves the envelopes'
 * counts, tracks their rollback, re-derives their status, then lets successors of members
 * that ended go, or stops the rest (onError 'stop').
 */
export async function settleEnvelopes(tx: LedgerTx, changes: JobChange[], now: number): Promise<void> {
  const tagged = changes.filter((c) => c.job.envelopeId !== null);
  if (tagged.length === 0) return;
  const envelopes = await lockEnvelopes(tx.sql, [...new Set(tagged.map((c) => c.job.envelopeId as number))]);
  const byId = new Map(envelopes.map((e) => [e.id, e]));
  const memberEnds: JobChange[] = [];
  for (const change of tagged) {
    const envelope = byId.get(change.job.envelopeId as number);
    if (!envelope) continue;
    const { job, from } = change;
    if (envelope.rollbackJobId === job.id) {
      if (isTerminalJobState(job.state)) {
        const ok = job.state === 'success' || job.state === 'skipped';
        envelope.rollback = ok ? 'done' : 'failed';
        envelope.reason = ok ? null : `rollback job ${job.id} ended ${job.state}${job.reason ? `: ${job.reason}` : ''}; retry the rollback`;
      } else {
        envelope.rollback = 'running';
      }
      continue;
    }
    envelope.jobCounts[from] = (envelope.jobCounts[from] ?? 0) - 1;
    if (!envelope.jobCounts[from]) delete envelope.jobCounts[from];
    envelope.jobCounts[job.state] = (envelope.jobCounts[job.state] ?? 0) + 1;
    if (isTerminalJobState(job.state) && !isTerminalJobState(from)) memberEnds.push(change);
  }
  await writeAll(tx, envelopes, now);
  if (memberEnds.length > 0) await followUp(tx, memberEnds, now);
}

/**
 * Members removed (a job deleted, or pruned by retention): each leaves its envelope's counts,
 * so that the envelope counts the jobs it still has. A rollback job is not a member and is
 * left alone.
 */
export async function forgetEnvelopeMembers(
  tx: LedgerTx,
  removed: { jobId: number; envelopeId: number | null; state: JobState }[],
  now: number,
): Promise<void> {
  const members = removed.filter((m): m is { jobId: number; envelopeId: number; state: JobState } => m.envelopeId !== null);
  if (members.length === 0) return;
  const envelopes = await lockEnvelopes(tx.sql, [...new Set(members.map((m) => m.envelopeId))]);
  const byId = new Map(envelopes.map((e) => [e.id, e]));
  for (const member of members) {
    const envelope = byId.get(member.envelopeId);
    if (!envelope || envelope.rollbackJobId === member.jobId) continue;
    envelope.jobCounts[member.state] = (envelope.jobCounts[member.state] ?? 0) - 1;
    if (!(envelope.jobCounts[member.state] ?? 0)) delete envelope.jobCounts[member.state];
    envelope.totalJobs = Math.max(0, envelope.totalJobs - 1);
    await tx.sql.run('UPDATE envelopes SET total_jobs = ? WHERE id = ?', [envelope.totalJobs, envelope.id]);
  }
  await writeAll(tx, envelopes, now);
}

async function writeAll(tx: LedgerTx, envelopes: EnvelopeRecord[], now: number): Promise<void> {
  for (const envelope of envelopes) {
    const before = envelope.status;
    refresh(envelope, now);
    await writeEnvelope(tx.sql, envelope);
    if (envelope.status !== before) {
      await tx.insertEvents([
        {
          at: now,
          type: 'envelope:status:changed',
          jobId: null,
          taskId: null,
          site: envelope.site,
          data: { envelope: envelope.id, from: before, to: envelope.status, ...(envelope.reason ? { reason: envelope.reason } : {}) },
        },
      ]);
      tx.wakeAfterCommit([], true);
    }
  }
}

/** Re-derives status, its end instant and the reason the model's rules imply. */
function refresh(envelope: EnvelopeRecord, now: number): void {
  envelope.status = rollupEnvelopeStatus({
    jobCounts: envelope.jobCounts,
    corrupt: envelope.status === 'corrupt',
    intent: envelope.intent,
    rollback: envelope.rollback,
  });
  const open = envelope.status === 'active' || envelope.status === 'errors-active' || envelope.status === 'rolling-back';
  envelope.endedAt = open ? null : (envelope.endedAt ?? now);
  envelope.updatedAt = now;
  if (envelope.status === 'success' || envelope.status === 'active' || envelope.status === 'rolled-back') envelope.reason = null;
}

/** After members ended: stop the envelope (onError 'stop'), or let their successors go. */
async function followUp(tx: LedgerTx, ended: JobChange[], now: number): Promise<void> {
  const x = tx.sql;
  const envelopes = await lockEnvelopes(x, [...new Set(ended.map((c) => c.job.envelopeId as number))]);
  const toCancel = new Map<number, string>();
  const stopped = new Set<number>();
  for (const envelope of envelopes) {
    if (envelope.intent !== 'run') continue;
    const failed = ended.find((c) => c.job.envelopeId === envelope.id && stopsEnvelope(c.job.state, envelope.onError));
    if (!failed) continue;
    envelope.intent = 'stop';
    envelope.reason = `stopped: job ${failed.job.id} (${failed.job.workflow}) ended ${failed.job.state}${failed.job.reason ? `: ${failed.job.reason}` : ''}`;
    stopped.add(envelope.id);
    for (const id of await waitingMembers(x, envelope.id)) toCancel.set(id, `envelope ${envelope.id} stopped: job ${failed.job.id} ended ${failed.job.state}`);
  }
  if (stopped.size > 0)
    await writeAll(
      tx,
      envelopes.filter((e) => stopped.has(e.id)),
      now,
    );

  const endedIds = ended.filter((c) => !stopped.has(c.job.envelopeId as number)).map((c) => c.job.id);
  const onError = new Map(envelopes.map((e) => [e.id, e]));
  const wake = new Set<string>();
  if (endedIds.length > 0) {
    const successors = await x.all(
      `SELECT DISTINCT e.job_id, e.envelope_id, j.site, j.state FROM envelope_edges e JOIN jobs j ON j.id = e.job_id
        WHERE e.after_job_id IN (${placeholders(endedIds.length)}) ORDER BY e.job_id`,
      endedIds,
    );
    for (const s of successors) {
      const jobId = Number(s.job_id);
      const envelope = onError.get(Number(s.envelope_id));
      if (!envelope || isTerminalJobState(s.state as JobState)) continue;
      const preds = await x.all('SELECT j.id, j.state FROM envelope_edges e JOIN jobs j ON j.id = e.after_job_id WHERE e.job_id = ?', [jobId]);
      const step = chainStep(
        preds.map((p) => ({ id: Number(p.id), state: p.state as JobState })),
        envelope.onError,
      );
      if (step.kind === 'go') {
        await x.run('UPDATE jobs SET envelope_wait_on = NULL WHERE id = ?', [jobId]);
        wake.add(s.site as string);
      } else if (step.kind === 'wait') {
        await x.run('UPDATE jobs SET envelope_wait_on = ? WHERE id = ?', [step.on, jobId]);
      } else {
        toCancel.set(jobId, `job ${step.failed} it runs after did not succeed`);
      }
    }
  }
  if (wake.size > 0) tx.wakeAfterCommit([...wake], false);
  if (toCancel.size > 0) await cancelJobs(tx, toCancel, now);
}

/** Members of an envelope that have not started. */
async function waitingMembers(x: SqlExecutor, envelopeId: number): Promise<number[]> {
  const rows = await x.all(
    "SELECT id FROM jobs WHERE envelope_id = ? AND is_rollback = 0 AND state IN ('created', 'queued') AND started_at IS NULL ORDER BY id",
    [envelopeId],
  );
  return rows.map((r) => Number(r.id));
}

/** Cancels jobs with a reason each, in one book: their unfinished tasks end cancelled (running ones are told to stop). */
async function cancelJobs(tx: LedgerTx, reasons: Map<number, string>, now: number): Promise<void> {
  const book = new JobBook(now);
  const changes: { row: TaskRow; fromState: TaskState }[] = [];
  const ids = [...reasons.keys()].sort((a, b) => a - b);
  // Every job's tasks in one statement.
  for (const row of await tx.lockTasksOfJobs(ids, UNFINISHED_TASK_STATES)) {
    const next = transitionTask(row.state, { type: 'cancel' });
    if (next === null) continue;
    const from = row.state;
    row.state = next;
    row.updatedAt = now;
    if (next === 'cancelled') {
      row.endedAt = now;
      row.reason = reasons.get(row.jobId) as string;
    }
    changes.push({ row, fromState: from });
    book.moveTask(row, from, next, row.reason);
  }
  for (const jobId of ids) book.setIntent(jobId, 'cancel', reasons.get(jobId) as string);
  await tx.updateTasks(changes);
  await book.settle(tx);
}

/** An operator cancels the envelope: no member starts any more, running ones are told to stop. */
export async function cancelEnvelope(tx: LedgerTx, id: number, now: number): Promise<void> {
  const x = tx.sql;
  const envelope = await requireEnvelope(x, id);
  if (envelope.status !== 'active' && envelope.status !== 'errors-active') {
    throw new SwitchyardError('SWY_ERR_ENVELOPE_STATE', `Envelope ${id} is ${envelope.status}: only a running envelope can be cancelled`);
  }
  envelope.intent = 'cancel';
  envelope.reason = 'cancelled on request';
  await writeAll(tx, [envelope], now);
  const open = await x.all(
    `SELECT id FROM jobs WHERE envelope_id = ? AND is_rollback = 0 AND state NOT IN ('cancelled', 'success', 'error', 'failure', 'skipped', 'unknown') ORDER BY id`,
    [id],
  );
  await cancelJobs(tx, new Map(open.map((r) => [Number(r.id), `envelope ${id} cancelled on request`])), now);
}

/**
 * Runs the members that did not succeed again (failed, completed with errors, cancelled —
 * those a stop cancelled included), each with fresh attempts; the chain waits as at first.
 * Refused while it runs or rolls back, once rolled back, and when corrupt.
 */
export async function retryEnvelope(tx: LedgerTx, id: number, now: number): Promise<void> {
  const x = tx.sql;
  const envelope = await requireEnvelope(x, id);
  if (envelope.status !== 'errors' && envelope.status !== 'cancelled') {
    throw new SwitchyardError(
      'SWY_ERR_ENVELOPE_STATE',
      `Envelope ${id} is ${envelope.status}: only an envelope that ended with errors or was cancelled can be retried`,
    );
  }
  if (envelope.rollback !== 'none')
    throw new SwitchyardError('SWY_ERR_ENVELOPE_STATE', `Envelope ${id} was rolled back (or its rollback failed): roll back again instead`);
  const bad = (
    await x.all("SELECT id FROM jobs WHERE envelope_id = ? AND is_rollback = 0 AND state IN ('error', 'failure', 'cancelled', 'unknown') ORDER BY id", [id])
  ).map((r) => Number(r.id));
  envelope.intent = 'run';
  envelope.reason = null;
  await writeAll(tx, [envelope], now);
  for (const jobId of bad) await retryJob(tx, jobId, now, false);
  // Each retried member waits again for the members it runs after.
  for (const jobId of bad) {
    const preds = await x.all('SELECT j.id, j.state FROM envelope_edges e JOIN jobs j ON j.id = e.after_job_id WHERE e.job_id = ?', [jobId]);
    const step = chainStep(
      preds.map((p) => ({ id: Number(p.id), state: p.state as JobState })),
      envelope.onError,
    );
    await x.run('UPDATE jobs SET envelope_wait_on = ? WHERE id = ?', [step.kind === 'wait' ? step.on : null, jobId]);
  }
}

async function requireEnvelope(x: SqlExecutor, id: number): Promise<EnvelopeRecord> {
  const envelope = await readEnvelope(x, id, true);
  if (!envelope) throw new SwitchyardError('SWY_ERR_ENVELOPE_NOT_FOUND', `No envelope with id ${id}`);
  return envelope;
}

/**
 * Starts the envelope's rollback: a new rollback job, or (job null) its failed one again. The
 * rules are re-checked here, under the envelope's lock, whatever the caller saw.
 */
export async function rollbackEnvelope(tx: LedgerTx, id: number, job: NewJob | null, now: number): Promise<void> {
  const x = tx.sql;
  const envelope = await requireEnvelope(x, id);
  const problem = envelopeRollbackProblem(envelope.status, envelope.rollback);
  if (problem) throw new SwitchyardError('SWY_ERR_ENVELOPE_STATE', `Envelope ${id} cannot be rolled back: ${problem}`);
  const members = (await x.all('SELECT id FROM jobs WHERE envelope_id = ? AND is_rollback = 0 ORDER BY id', [id])).map((r) => Number(r.id));
  await refuseSuperseded(tx, members, envelope.rollbackJobId);
  if (job === null) {
    if (envelope.rollback !== 'failed' || envelope.rollbackJobId === null) {
      throw new SwitchyardError('SWY_ERR_ENVELOPE_STATE', `Envelope ${id} has no failed rollback to run again`);
    }
    // The compensations that succeeded are not run again: only the failed ones and those after them.
    await retryJob(tx, envelope.rollbackJobId, now, true);
    return;
  }
  const [submitted] = await submitJobs(tx, [{ ...job, idempotencyKey: null }], now);
  const record = submitted.record as JobRecord;
  await x.run('UPDATE jobs SET envelope_id = ?, is_rollback = 1 WHERE id = ?', [id, record.id]);
  const locked = (await requireEnvelope(x, id)) as EnvelopeRecord;
  locked.rollbackJobId = record.id;
  locked.rollback = 'running';
  locked.reason = null;
  await writeAll(tx, [locked], now);
  // A rollback with nothing to undo ended at submission.
  if (isTerminalJobState(record.state)) await settleEnvelopes(tx, [{ job: { ...jobRowOf(record), envelopeId: id }, from: 'created' }], now);
}

/** Starts the rollback job of one finished job. */
export async function rollbackJob(tx: LedgerTx, jobId: number, job: NewJob, now: number): Promise<number> {
  const x = tx.sql;
  const [original] = await tx.lockJobs([jobId]);
  if (!original) throw new SwitchyardError('SWY_ERR_JOB_NOT_FOUND', `No job with id ${jobId}`);
  if (!isTerminalJobState(original.state)) {
    throw new SwitchyardError('SWY_ERR_ROLLBACK_REFUSED', `Job ${jobId} is ${original.state}: only a finished job can be rolled back`);
  }
  const running = await x.all(`SELECT id FROM jobs WHERE rollback_of = ? AND state NOT IN ('cancelled', 'success', 'error', 'failure', 'skipped', 'unknown')`, [
    jobId,
  ]);
  if (running.length > 0) throw new SwitchyardError('SWY_ERR_ROLLBACK_REFUSED', `Job ${jobId} is being rolled back already (job ${Number(running[0].id)})`);
  await refuseSuperseded(tx, [jobId], null);
  const [submitted] = await submitJobs(tx, [{ ...job, idempotencyKey: null, parentJobId: jobId }], now);
  await x.run('UPDATE jobs SET rollback_of = ?, is_rollback = 1 WHERE id = ?', [jobId, submitted.id]);
  return submitted.id;
}

/**
 * The retry guard's rule, for a rollback: refused when a job outside `jobIds` (and not the
 * rollback job itself) started after one of them ended and acted on a conflicting resource —
 * undoing would then undo that job's work too.
 */
async function refuseSuperseded(tx: LedgerTx, jobIds: number[], rollbackJobId: number | null): Promise<void> {
  const locks = await tx.locksOf(jobIds);
  if (locks.size === 0) return;
  const own = new Set([...jobIds, ...(rollbackJobId === null ? [] : [rollbackJobId])]);
  const rows = new Map((await tx.lockJobs([...locks.keys()].sort((a, b) => a - b))).map((row) => [row.id, row]));
  for (const [jobId, held] of locks) {
    const endedAt = rows.get(jobId)?.endedAt;
    if (endedAt === null || endedAt === undefined || held.length === 0) continue;
    const later = (await tx.laterLockHolders(jobId, held, endedAt)).filter((id) => !own.has(id));
    if (later.length > 0) {
      throw new SwitchyardError(
        'SWY_ERR_RETRY_SUPERSEDED',
        `Job ${later[0]} ran against the same resources after job ${jobId} ended; rolling back would undo its work too`,
      );
    }
  }
}

/**
 * Deletes an envelope that is through, with its member jobs and its rollback job (as job
 * delete does, each with a `job:deleted` event), its chain and its row; appends an
 * `envelope:deleted` event. Refused (SWY_ERR_ENVELOPE_STATE) while it runs or rolls back, or
 * while any of its jobs has not ended. Locks tasks, jobs, then the envelope, as everywhere.
 */
export async function deleteEnvelope(tx: LedgerTx, id: number, now: number): Promise<{ jobs: number }> {
  const x = tx.sql;
  const ids = (await x.all('SELECT id FROM jobs WHERE envelope_id = ? ORDER BY id', [id])).map((r) => Number(r.id));
  await tx.lockTasksOfJobs(ids, null);
  const jobs = ids.length > 0 ? await tx.lockJobs(ids) : [];
  const envelope = await requireEnvelope(x, id);
  if (envelope.status === 'active' || envelope.status === 'errors-active' || envelope.status === 'rolling-back') {
    throw new SwitchyardError('SWY_ERR_ENVELOPE_STATE', `Envelope ${id} is ${envelope.status}: cancel it, or wait until it ends, before deleting it`);
  }
  const open = jobs.find((j) => !isTerminalJobState(j.state));
  if (open) throw new SwitchyardError('SWY_ERR_ENVELOPE_STATE', `Envelope ${id} cannot be deleted while its job ${open.id} is ${open.state}`);
  // A job that joined after the first read (a rollback started meanwhile) has not ended.
  const others = ids.length > 0 ? ` AND id NOT IN (${placeholders(ids.length)})` : '';
  const [late] = await x.all(`SELECT id FROM jobs WHERE envelope_id = ?${others}`, [id, ...ids]);
  if (late) throw new SwitchyardError('SWY_ERR_ENVELOPE_STATE', `Envelope ${id} cannot be deleted while its job ${Number(late.id)} runs`);
  for (let at = 0; at < jobs.length; at += 500) {
    const slice = jobs.slice(at, at + 500);
    await tx.deleteJobs(slice.map((j) => j.id));
    await tx.insertEvents(
      slice.map((job) => ({ at: now, type: 'job:deleted', jobId: job.id, taskId: null, site: job.site, data: { workflow: job.workflow, state: job.state } })),
    );
  }
  await x.run('DELETE FROM envelope_edges WHERE envelope_id = ?', [id]);
  await x.run('DELETE FROM envelopes WHERE id = ?', [id]);
  await tx.insertEvents([
    { at: now, type: 'envelope:deleted', jobId: null, taskId: null, site: envelope.site, data: { envelope: id, type: envelope.type, jobs: jobs.length } },
  ]);
  tx.wakeAfterCommit([], true);
  return { jobs: jobs.length };
}
