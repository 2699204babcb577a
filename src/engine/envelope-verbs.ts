import {
  type Actor,
  authorize,
  chainProblem,
  compensationOrder,
  compensationType,
  DEFAULT_RETRY_POLICY,
  type EnvelopeProblem,
  type EnvelopeRecord,
  type EnvelopeStatus,
  type EventRecord,
  envelopeRollbackProblem,
  type JobRecord,
  type Json,
  normalizeLocks,
  type ResourceLock,
  requireEverySite,
  requireSite,
  SwitchyardError,
  scopeSites,
  siteAllowed,
} from '../model/index.js';
import { type EnvelopeEntry, type EnvelopeInput, EnvelopeInputError } from '../sdk/define-envelope.js';
import type { WorkflowRegistry } from '../sdk/workflow-registry.js';
import type { EnvelopeMember, EnvelopeMemberSpec, NewJob, NewTaskSpec, Page, RollbackSource } from '../store/store.js';
import type { SubmitRequest } from './engine.js';
import type { EngineCore } from './engine-core.js';

/** At most this many jobs in one envelope. */
export const MAX_ENVELOPE_JOBS = 10_000;
/** A compensation receives at most this many of the original task's items. */
export const COMPENSATION_ITEMS = 10_000;
/** An envelope's history answers at most this many events (the newest). */
export const ENVELOPE_EVENTS = 500;

/** A submission as the API, client and CLI hand it over. */
export interface EnvelopeSubmission {
  type: string;
  /** For the built-in `jobs` type: the list of job submissions. */
  jobs?: Json[];
  /** What the type's `parse` receives as JSON. */
  data?: Json;
  /** An uploaded file (multipart), as text. */
  file?: { name: string | null; contentType: string; text: string };
  /** Where the envelope is listed; its members go here unless an entry names another site. */
  site?: string;
  queue?: string;
  idempotencyKey?: string | null;
}

export interface EnvelopeListQuery {
  sites?: string[] | null;
  statuses?: EnvelopeStatus[];
  types?: string[];
  creators?: string[];
  createdFrom?: number;
  createdTo?: number;
  cursor?: string | null;
  limit: number;
}

/** Validates and plans one job as any submission (engine.prepare). */
export type JobPreparer = (request: SubmitRequest, actor: Actor) => Promise<NewJob>;

/**
 * Envelopes, scoped by site like jobs (reading needs a viewer, submitting and controls an
 * operator), each change audited. A submission is read by its type's `parse`, every entry is
 * validated and planned, and then the envelope and all its jobs are written in one
 * transaction; anything wrong with the content records the envelope `corrupt`, with the entry,
 * line and field at fault, and creates no job.
 */
export class EnvelopeVerbs {
  constructor(
    private readonly core: EngineCore,
    private readonly workflows: WorkflowRegistry,
    private readonly prepare: JobPreparer,
    private readonly defaultSite: string,
  ) {}

  async submit(request: EnvelopeSubmission, actor: Actor): Promise<{ envelope: EnvelopeRecord; created: boolean }> {
    authorize(actor, 'jobs.submit');
    const type = this.workflows.envelopeType(request.type);
    const site = request.site ?? this.defaultSite;
    requireSite(actor, site);
    if (request.file && !accepts(type.accepts, request.file.contentType)) {
      throw new SwitchyardError('SWY_ERR_VALIDATION', `file: envelope type "${type.name}" reads ${type.accepts.join(', ')}, not ${request.file.contentType}`, [
        { path: 'file', message: `expected ${type.accepts.join(' or ')}` },
      ]);
    }
    const input: EnvelopeInput = request.file
      ? { kind: 'file', ...request.file }
      : { kind: 'json', data: (request.jobs as Json | undefined) ?? request.data ?? null };
    let members: EnvelopeMemberSpec[] = [];
    let corrupt: EnvelopeProblem | undefined;
    try {
      members = await this.plan(await parseEntries(type.parse, input), site, request.queue, actor);
    } catch (error) {
      if (error instanceof SwitchyardError && (error.code.startsWith('SWY_ERR_AUTH') || error.code === 'SWY_ERR_SHUTTING_DOWN')) throw error;
      corrupt = problemOf(error);
    }
    const outcome = await this.core.store.submitEnvelope(
      {
        type: type.name,
        site,
        queue: request.queue ?? 'default',
        creator: actor.name,
        idempotencyKey: request.idempotencyKey ?? null,
        fileName: request.file?.name ?? null,
        onError: type.onError ?? 'stop',
        ...(corrupt ? { corrupt } : {}),
      },
      members,
      this.core.clock(),
    );
    if (outcome.created) {
      const { envelope } = outcome;
      await this.core.audit(actor, 'envelope.submit', `envelope:${envelope.id}`, site, {
        type: type.name,
        jobs: envelope.totalJobs,
        status: envelope.status,
        ...(envelope.fileName ? { file: envelope.fileName } : {}),
      });
    }
    return outcome;
  }

  /** Entries to members: validated and planned like single submissions, chained in order unless they say `after`. */
  private async plan(entries: EnvelopeEntry[], site: string, queue: string | undefined, actor: Actor): Promise<EnvelopeMemberSpec[]> {
    if (!Array.isArray(entries) || entries.length === 0) throw new EnvelopeInputError('the submission holds no jobs');
    if (entries.length > MAX_ENVELOPE_JOBS) throw new EnvelopeInputError(`too many jobs: ${entries.length} (at most ${MAX_ENVELOPE_JOBS})`);
    const explicit = entries.some((entry) => entry.after !== undefined);
    const afters = entries.map((entry, i) => (explicit ? (entry.after ?? []) : i === 0 ? [] : [i - 1]));
    const bad = chainProblem(afters);
    if (bad) throw new EntryError(bad.index, entries[bad.index]?.line, bad.message, 'after');
    const members: EnvelopeMemberSpec[] = [];
    for (const [i, entry] of entries.entries()) {
      try {
        const job = await this.prepare(
          { workflow: entry.workflow, fields: entry.fields ?? {}, site: entry.site ?? site, queue: entry.queue ?? queue, idempotencyKey: null },
          actor,
        );
        members.push({ job, after: afters[i] });
      } catch (error) {
        if (error instanceof SwitchyardError && error.code.startsWith('SWY_ERR_AUTH')) throw error;
        const field = error instanceof SwitchyardError ? error.fields?.[0]?.path : undefined;
        throw new EntryError(i, entry.line, (error as Error).message, field);
      }
    }
    return members;
  }

  async list(query: EnvelopeListQuery, actor: Actor): Promise<Page<EnvelopeRecord>> {
    authorize(actor, 'jobs.read');
    return this.core.store.listEnvelopes({ ...query, sites: scopeSites(actor, query.sites ?? null) });
  }

  /** The envelope if it exists and the actor may see its site; otherwise SWY_ERR_ENVELOPE_NOT_FOUND. */
  async get(id: number, actor: Actor): Promise<EnvelopeRecord> {
    authorize(actor, 'jobs.read');
    const envelope = await this.core.store.getEnvelope(id);
    if (!envelope || !siteAllowed(actor.sites, envelope.site)) throw new SwitchyardError('SWY_ERR_ENVELOPE_NOT_FOUND', `No envelope with id ${id}`);
    return envelope;
  }

  /** Its member jobs in order with their chain; members at sites the actor may not see are left out. */
  async members(id: number, actor: Actor): Promise<EnvelopeMember[]> {
    await this.get(id, actor);
    return (await this.core.store.envelopeMembers(id)).filter((m) => siteAllowed(actor.sites, m.job.site));
  }

  /** Its history, oldest first: its own events and its jobs' state changes; events at sites the actor may not see are left out. */
  async events(id: number, actor: Actor): Promise<EventRecord[]> {
    await this.get(id, actor);
    return (await this.core.store.envelopeEvents(id, ENVELOPE_EVENTS)).filter((e) => e.site === null || siteAllowed(actor.sites, e.site));
  }

  async cancel(id: number, actor: Actor): Promise<EnvelopeRecord> {
    authorize(actor, 'jobs.control');
    const before = await this.get(id, actor);
    const envelope = await this.core.store.cancelEnvelope(id, this.core.clock());
    await this.core.audit(actor, 'envelope.cancel', `envelope:${id}`, envelope.site, { from: before.status });
    return envelope;
  }

  /** Runs the members that did not succeed again (a stop's cancellations included), chained as before. */
  async retry(id: number, actor: Actor): Promise<EnvelopeRecord> {
    authorize(actor, 'jobs.control');
    const before = await this.get(id, actor);
    const envelope = await this.core.store.retryEnvelope(id, this.core.clock());
    await this.core.audit(actor, 'envelope.retry', `envelope:${id}`, envelope.site, { from: before.status });
    return envelope;
  }

  /**
   * Deletes an envelope that is through with its member jobs and rollback job, as job delete
   * does (an admin's control, like it); needs every site its jobs reach.
   */
  async delete(id: number, actor: Actor): Promise<void> {
    authorize(actor, 'jobs.delete');
    const before = await this.get(id, actor);
    const members = (await this.core.store.envelopeMembers(id)).map((m) => m.job);
    requireEverySite(actor, [...new Set([before.site, ...members.flatMap((job) => job.sites)])]);
    const { jobs } = await this.core.store.deleteEnvelope(id, this.core.clock());
    await this.core.audit(actor, 'envelope.delete', `envelope:${id}`, before.site, {
      type: before.type,
      status: before.status,
      jobs,
      ...(before.fileName ? { file: before.fileName } : {}),
    });
  }

  /**
   * Runs the compensations of what the envelope's jobs changed, newest first, as one rollback
   * job; after a failed rollback, runs that job's failed compensations again.
   */
  async rollback(id: number, actor: Actor): Promise<EnvelopeRecord> {
    authorize(actor, 'jobs.control');
    const before = await this.get(id, actor);
    const problem = envelopeRollbackProblem(before.status, before.rollback);
    if (problem) throw new SwitchyardError('SWY_ERR_ENVELOPE_STATE', `Envelope ${id} cannot be rolled back: ${problem}`);
    let job: NewJob | null = null;
    if (!(before.rollback === 'failed' && before.rollbackJobId !== null)) {
      const members = (await this.core.store.envelopeMembers(id)).map((m) => m.job);
      job = await this.rollbackJobFor(members, before.site, before.queue, actor, `rollback of envelope ${id}`);
    }
    const envelope = await this.core.store.rollbackEnvelope(id, job, this.core.clock());
    await this.core.audit(actor, job ? 'envelope.rollback' : 'envelope.rollback.retry', `envelope:${id}`, envelope.site, {
      from: before.status,
      rollbackJobId: envelope.rollbackJobId,
      compensations: job?.tasks.length ?? null,
    });
    return envelope;
  }

  /** Rolls one finished job back: its compensations run newest first as a rollback job linked to it. */
  async rollbackJob(original: JobRecord, actor: Actor): Promise<JobRecord> {
    authorize(actor, 'jobs.control');
    const job = await this.rollbackJobFor([original], original.site, original.queue, actor, `rollback of job ${original.id}`);
    const created = await this.core.store.rollbackJob(original.id, job, this.core.clock());
    await this.core.audit(actor, 'job.rollback', `job:${original.id}`, original.site, { rollbackJobId: created.id, compensations: job.tasks.length });
    return created;
  }

  /** The rollback job of `jobs`: one compensation per task that changed something and whose workflow declares one, chained newest first. */
  private async rollbackJobFor(jobs: JobRecord[], site: string, queue: string, actor: Actor, label: string): Promise<NewJob> {
    const sources = compensationOrder(
      await this.core.store.rollbackSources(
        jobs.map((j) => j.id),
        COMPENSATION_ITEMS,
      ),
    ).filter((source) => this.workflows.get(source.workflow)?.rollback?.[source.type] !== undefined);
    const tasks: NewTaskSpec[] = sources.map((source, i) => ({
      type: compensationType(source.type),
      workflow: source.workflow,
      key: `undo-${source.taskId}`,
      after: i === 0 ? [] : [`undo-${sources[i - 1].taskId}`],
      input: compensationInput(source),
    }));
    const workflowName = sources[0]?.workflow ?? jobs[jobs.length - 1]?.workflow ?? 'rollback';
    const workflow = this.workflows.get(workflowName);
    const locks = await this.core.store.jobLocks(jobs.map((j) => j.id));
    const held: ResourceLock[] = [...locks.values()].flat();
    return {
      workflow: workflowName,
      site,
      queue,
      creator: actor.name,
      priority: 0,
      fields: {},
      searchText: label,
      runAt: null,
      idempotencyKey: null,
      timeoutMs: workflow?.timeoutMs ?? null,
      retry: workflow ? this.workflows.retryPolicy(workflow) : DEFAULT_RETRY_POLICY,
      parentJobId: null,
      tasks,
      locks: normalizeLocks(held.map((l) => ({ key: l.key, mode: l.mode }))),
    };
  }
}

function compensationInput(source: RollbackSource): Json {
  return {
    taskId: source.taskId,
    jobId: source.jobId,
    type: source.type,
    input: source.input,
    result: source.result,
    fields: source.fields,
    items: source.items.map((i) => ({ path: i.path, operation: i.operation, outcome: i.outcome, bytes: i.bytes })),
    itemsTruncated: source.itemsTruncated,
  };
}

/** A file's media type matches one the type reads (parameters like `; charset=` aside); an unspecific one is let through. */
function accepts(types: string[], contentType: string): boolean {
  const bare = contentType.split(';')[0].trim().toLowerCase();
  if (bare === '' || bare === 'application/octet-stream') return true;
  return types.some((t) => t.toLowerCase() === bare);
}

async function parseEntries(parse: (input: EnvelopeInput) => EnvelopeEntry[] | Promise<EnvelopeEntry[]>, input: EnvelopeInput): Promise<EnvelopeEntry[]> {
  return parse(input);
}

/** A problem in one entry, with where it came from. */
class EntryError extends Error {
  constructor(
    readonly entry: number,
    readonly line: number | undefined,
    message: string,
    readonly field?: string,
  ) {
    super(`entry ${entry}${line ? ` (line ${line})` : ''}: ${message}`);
  }
}

function problemOf(error: unknown): EnvelopeProblem {
  const message = String((error as Error)?.message ?? error).slice(0, 2000);
  if (error instanceof EntryError) {
    return { message, entry: error.entry, ...(error.line ? { line: error.line } : {}), ...(error.field ? { field: error.field } : {}) };
  }
  if (error instanceof EnvelopeInputError) {
    const where = error.line ? `line ${error.line}: ` : '';
    return { message: `${where}${message}`, ...(error.line ? { line: error.line } : {}), ...(error.field ? { field: error.field } : {}) };
  }
  return { message: `could not read the submission: ${message}` };
}
