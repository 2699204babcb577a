import { type EventRecord, type NamedEvent, namedEventsOf } from '../../model/index.js';
import { QUEUE_COUNTS_TABLE, type QueueDelta, ROLLUP_TABLE, RollupBook, type RollupDelta } from '../dashboard-rollup.js';
import type { JobAudit, LedgerTx, NewEvent, NewJobRow, NewTaskRow } from '../ledger/ledger-tx.js';
import { type SubmittedIds, submitJobs } from '../ledger/submit.js';
import type { NewJob } from '../store.js';
import { type Column, EVENT_INSERT, JOB_INSERT, names, TASK_INSERT, unnestParams, unnestRows } from './postgres-ledger-tx.js';
import { pgJson } from './postgres-pool.js';

/**
 * A submission in one statement (autocommit): the jobs, their tasks, their `job:created`
 * events, their audit entries, the dashboard roll-up and the NOTIFY, as data-modifying CTEs.
 * A submission in a transaction costs six round trips (BEGIN, jobs, tasks, events, audit,
 * COMMIT), and on these machines a round trip costs more CPU than the writes themselves.
 *
 * The ledger's own `submitJobs` decides what to write, against a recording stand-in for the
 * transaction that hands out placeholder ids (-1, -2, … by the job's place in the batch);
 * the statement maps them to the ids the jobs get. Only plain submissions take this way (see
 * `submitsInOneStatement`): no idempotency key, no locks, no concurrency limits, no task at
 * another site and no task that waits for another. The rest go through a transaction.
 */

/** Whether `jobs` can be written in one statement. */
export function submitsInOneStatement(jobs: readonly NewJob[]): boolean {
  return jobs.every(
    (job) =>
      job.idempotencyKey === null &&
      (job.locks?.length ?? 0) === 0 &&
      (job.concurrency ?? null) === null &&
      job.tasks.every((task) => (task.site ?? job.site) === job.site && (task.after?.length ?? 0) === 0),
  );
}

/** The ledger asked for something the one statement does not do: the submission goes through a transaction. */
export class NotInOneStatement extends Error {}

const AUDIT_INSERT: Column<JobAudit>[] = [
  ['job_id', 'bigint', (a) => a.jobId],
  ['actor', 'text', (a) => a.actor],
  ['action', 'text', (a) => a.action],
  ['site', 'text', (a) => a.site],
  ['data', 'jsonb', (a) => pgJson(a.data)],
];
const ROLLUP_INSERT: Column<RollupDelta>[] = [
  ['kind', 'integer', (r) => r.kind],
  ['minute', 'bigint', (r) => r.minute],
  ['site', 'text', (r) => r.site],
  ['workflow', 'text', (r) => r.workflow],
  ['state', 'text', (r) => r.state],
  ['bin', 'bigint', (r) => r.bin],
  ['n', 'bigint', (r) => r.n],
];
const QUEUE_INSERT: Column<QueueDelta>[] = [
  ['queue', 'text', (r) => r.queue],
  ['site', 'text', (r) => r.site],
  ['state', 'text', (r) => r.state],
  ['started', 'integer', (r) => r.started],
  ['n', 'bigint', (r) => r.n],
];

/** `columns` selected from `v`, the job's placeholder id replaced by its real one (`jn.id`). */
const withJobId = <R>(columns: readonly Column<R>[]) => columns.map(([name]) => (name === 'job_id' ? 'jn.id' : `v.${name}`)).join(', ');

function buildStatement(): string {
  let next = 0;
  const rowsOf = <R>(columns: readonly Column<R>[]) => {
    const text = unnestRows(columns, next);
    next += columns.length;
    return text;
  };
  const jobs = rowsOf(JOB_INSERT);
  const tasks = rowsOf(TASK_INSERT);
  const events = rowsOf(EVENT_INSERT);
  const audit = rowsOf(AUDIT_INSERT);
  const auditAt = ++next;
  const rollup = rowsOf(ROLLUP_INSERT);
  const queues = rowsOf(QUEUE_INSERT);
  const channel = ++next;
  const payload = ++next;
  // Ids come from the sequence in insertion order: the jobs' places in the batch, by id. Every
  // data-modifying CTE runs whether read or not; the queue counts are written after the
  // roll-up (q reads r), the order every transaction locks the two tables' rows in.
  return `WITH j AS (INSERT INTO jobs (${names(JOB_INSERT)}) SELECT ${names(JOB_INSERT, 'v.')} FROM ${jobs} ORDER BY v.ord RETURNING id),
  jn AS (SELECT id, row_number() OVER (ORDER BY id) AS ord FROM j),
  t AS (INSERT INTO tasks (${names(TASK_INSERT)}) SELECT ${withJobId(TASK_INSERT)} FROM ${tasks} JOIN jn ON jn.ord = -v.job_id ORDER BY v.ord),
  e AS (INSERT INTO events (${names(EVENT_INSERT)}) SELECT ${withJobId(EVENT_INSERT)} FROM ${events} JOIN jn ON jn.ord = -v.job_id ORDER BY v.ord
    RETURNING id),
  a AS (INSERT INTO audit (at, actor, action, target, site, data) SELECT $${auditAt}::bigint, v.actor, v.action, 'job:' || jn.id, v.site, v.data
    FROM ${audit} JOIN jn ON jn.ord = -v.job_id ORDER BY v.ord),
  r AS (INSERT INTO ${ROLLUP_TABLE} AS r (${names(ROLLUP_INSERT)}) SELECT ${names(ROLLUP_INSERT, 'v.')} FROM ${rollup} ORDER BY v.ord
    ON CONFLICT (kind, minute, site, workflow, state, bin) DO UPDATE SET n = r.n + excluded.n RETURNING 1),
  q AS (INSERT INTO ${QUEUE_COUNTS_TABLE} AS c (${names(QUEUE_INSERT)}) SELECT ${names(QUEUE_INSERT, 'v.')} FROM ${queues}
    WHERE (SELECT count(*) FROM r) >= 0 ORDER BY v.ord
    ON CONFLICT (queue, site, state, started) DO UPDATE SET n = c.n + excluded.n)
  SELECT (SELECT array_agg(id ORDER BY ord) FROM jn) AS ids, (SELECT array_agg(id ORDER BY id) FROM e) AS event_ids,
    pg_notify($${channel}, $${payload}) AS notified`;
}

/** The statement's text: fixed, so prepared once per connection. */
export const SUBMIT_STATEMENT = buildStatement();

/** What the ledger wrote, recorded; the ledger's answers carry placeholder ids until `resolve`. */
export interface RecordedSubmission {
  answers: SubmittedIds[];
  /** The statement's parameters but the NOTIFY's. */
  params: unknown[];
  sites: string[];
  events: boolean;
  /** The named events of its events (see WakeSignal.named). */
  named: Set<NamedEvent>;
  /** Puts the jobs' ids (in batch order) into the answers. */
  resolve(ids: number[]): SubmittedIds[];
  /** The events written, as records: with the jobs' ids and the ids the events drew (in order); null if they do not match. */
  committed(ids: number[], eventIds: number[]): EventRecord[] | null;
}

/** Runs the ledger's submitJobs against the recorder; throws NotInOneStatement when it needs more. */
export async function recordSubmission(jobs: NewJob[], now: number): Promise<RecordedSubmission> {
  const recorder = new SubmissionRecorder(now);
  const tx = new Proxy(recorder, {
    get(target, property, receiver) {
      if (property in target) return Reflect.get(target, property, receiver);
      // Anything else the ledger asks of a transaction (reads, locks) is not for one statement.
      if (property === 'then') return undefined;
      throw new NotInOneStatement(String(property));
    },
  }) as unknown as LedgerTx;
  const answers = await submitJobs(tx, jobs, now);
  const { rollup, queues } = recorder.rollup.drain();
  return {
    answers,
    params: [
      ...unnestParams(JOB_INSERT, recorder.jobs),
      ...unnestParams(TASK_INSERT, recorder.tasks),
      ...unnestParams(EVENT_INSERT, recorder.events),
      ...unnestParams(AUDIT_INSERT, recorder.audit),
      now,
      ...unnestParams(ROLLUP_INSERT, rollup),
      ...unnestParams(QUEUE_INSERT, queues),
    ],
    sites: [...recorder.wakeSites],
    events: recorder.wakeEvents,
    named: namedEventsOf(recorder.events, null),
    committed(ids, eventIds) {
      if (eventIds.length !== recorder.events.length) return null;
      return recorder.events.map((event, i) => ({
        id: eventIds[i],
        at: event.at,
        type: event.type,
        jobId: event.jobId === null ? null : ids[-event.jobId - 1],
        taskId: event.taskId,
        site: event.site,
        data: event.data,
      }));
    },
    resolve(ids) {
      if (ids.length !== recorder.jobs.length) throw new Error(`wrote ${ids.length} jobs of ${recorder.jobs.length}`);
      const real = (placeholder: number) => ids[-placeholder - 1];
      return answers.map((answer) => {
        const id = real(answer.id);
        if (answer.record) answer.record.id = id;
        return { ...answer, id };
      });
    },
  };
}

/** The part of a ledger transaction a plain submission uses, writing nothing: see recordSubmission. */
class SubmissionRecorder {
  readonly jobs: NewJobRow[] = [];
  readonly tasks: NewTaskRow[] = [];
  readonly events: NewEvent[] = [];
  readonly audit: JobAudit[] = [];
  readonly rollup = new RollupBook();
  readonly wakeSites = new Set<string>();
  wakeEvents = false;

  constructor(readonly now: number) {}

  async insertJobs(batch: NewJobRow[]): Promise<number[]> {
    return batch.map((job) => {
      this.jobs.push(job);
      const placeholder = -this.jobs.length;
      this.rollup.inserted(placeholder, job);
      return placeholder;
    });
  }

  async insertTasks(batch: NewTaskRow[]): Promise<number[]> {
    return batch.map((task) => {
      if (task.jobId >= 0) throw new NotInOneStatement('a task of an existing job');
      this.tasks.push(task);
      return -this.tasks.length;
    });
  }

  async insertEvents(events: NewEvent[]): Promise<void> {
    for (const event of events) {
      if (event.jobId === null || event.jobId >= 0 || event.taskId !== null) throw new NotInOneStatement('an event of another kind');
      this.events.push(event);
    }
  }

  async insertJobAudit(entries: JobAudit[]): Promise<void> {
    this.audit.push(...entries);
  }

  async addJobSites(pairs: unknown[]): Promise<void> {
    if (pairs.length > 0) throw new NotInOneStatement('tasks at other sites');
  }

  async holdTasks(jobIds: number[]): Promise<void> {
    if (jobIds.length > 0) throw new NotInOneStatement('held tasks');
  }

  wakeAfterCommit(sites: string[], events: boolean): void {
    for (const site of sites) this.wakeSites.add(site);
    if (events) this.wakeEvents = true;
  }
}
