import {
  type Actor,
  authorize,
  type BulkAction,
  bulkPermission,
  bulkStates,
  type OperationFilter,
  type OperationRecord,
  SwitchyardError,
  scopeSites,
  sitesWithin,
} from '../model/index.js';
import type { WorkflowRegistry } from '../sdk/workflow-registry.js';
import type { EngineCore } from './engine-core.js';
import type { JobListQuery } from './read-verbs.js';

/** The jobs list's filters as a bulk request gives them (sites before scoping). */
export type BulkFilter = Omit<JobListQuery, 'ids' | 'sort' | 'cursor' | 'limit'>;

/** A bulk action: jobs by `ids` or by `filter` (exactly one of the two); `preview` counts and does nothing. */
export interface BulkRequest {
  action: BulkAction;
  ids?: number[];
  filter?: BulkFilter;
  /** Subscribe: `channel` (console or email), `address` (email), `on` (end or failure). */
  options?: Record<string, string>;
}

/** What a bulk action would do: jobs matching the selection, and how many of them the action applies to now. */
export interface BulkPreview {
  action: BulkAction;
  matching: number;
  eligible: number;
}

/** Most ids one request may name; larger selections go by filter. */
export const MAX_BULK_IDS = 10_000;

/**
 * Bulk actions (R7, R59): the verbs that preview, start, read and cancel an operation. The
 * work itself is done by the operation runner (operation-runner.ts), in batches, on one hub
 * at a time. The selection is scoped to the actor's sites when the operation is created and
 * every job is checked again as the single-job control checks it when its batch runs.
 */
export class BulkVerbs {
  constructor(
    private readonly core: EngineCore,
    private readonly workflows: WorkflowRegistry,
  ) {}

  async preview(request: BulkRequest, actor: Actor): Promise<BulkPreview> {
    authorize(actor, bulkPermission(request.action));
    const { filter, ids } = this.selection(request, actor);
    if (filter.sites !== null && filter.sites.length === 0) return { action: request.action, matching: 0, eligible: 0 };
    const matching = await this.core.store.countJobs({ ...filter, ids });
    const states = bulkStates(request.action).filter((state) => !filter.states || filter.states.includes(state));
    let eligible = states.length === 0 ? 0 : await this.core.store.countJobs({ ...filter, ids, states });
    const unsupported = this.unsupportedWorkflows(request.action).filter((name) => !filter.workflows || filter.workflows.includes(name));
    if (eligible > 0 && unsupported.length > 0) eligible -= await this.core.store.countJobs({ ...filter, ids, states, workflows: unsupported });
    return { action: request.action, matching, eligible };
  }

  /** Records the operation (the runner picks it up within a moment) and audits it once. */
  async start(request: BulkRequest, actor: Actor): Promise<OperationRecord> {
    authorize(actor, bulkPermission(request.action));
    const { filter, ids } = this.selection(request, actor);
    const operation = await this.core.store.createOperation(
      {
        action: request.action,
        filter: ids ? null : filter,
        jobIds: ids ?? null,
        options: this.options(request),
        actor: actor.name,
        actorRole: actor.role,
        actorSites: actor.sites,
      },
      this.core.clock(),
    );
    await this.core.audit(actor, `job.bulk.${request.action}`, `operation:${operation.id}`, singleSite(operationSites(operation)), {
      operationId: operation.id,
      total: operation.total,
      ...(ids ? { ids: ids.length } : { filter: JSON.parse(JSON.stringify(filter)) }),
    });
    return operation;
  }

  /** One operation the actor may see (its sites within the actor's); otherwise SWY_ERR_OPERATION_NOT_FOUND. */
  async get(id: number, actor: Actor): Promise<OperationRecord> {
    authorize(actor, 'jobs.read');
    const operation = await this.core.store.getOperation(id);
    if (!operation || !this.visible(operation, actor)) throw new SwitchyardError('SWY_ERR_OPERATION_NOT_FOUND', `No operation with id ${id}`);
    return operation;
  }

  /** The newest operations the actor may see. */
  async list(actor: Actor, limit = 50): Promise<OperationRecord[]> {
    authorize(actor, 'jobs.read');
    const operations = await this.core.store.listOperations({ limit: actor.sites === null ? limit : limit * 4 });
    return operations.filter((operation) => this.visible(operation, actor)).slice(0, limit);
  }

  /** Stops a running operation between batches; what was done stays done. */
  async cancel(id: number, actor: Actor): Promise<OperationRecord> {
    const operation = await this.get(id, actor);
    authorize(actor, bulkPermission(operation.action));
    const ended = await this.core.store.endOperation(id, 'cancelled', null, this.core.clock());
    if (!ended) throw new SwitchyardError('SWY_ERR_OPERATION_STATE', `Operation ${id} is ${operation.state}: only a running operation can be cancelled`);
    await this.core.audit(actor, 'operation.cancel', `operation:${id}`, singleSite(operationSites(ended)), { done: ended.done, total: ended.total });
    return ended;
  }

  private visible(operation: OperationRecord, actor: Actor): boolean {
    return sitesWithin(actor, operationSites(operation));
  }

  private selection(request: BulkRequest, actor: Actor): { filter: OperationFilter; ids: number[] | undefined } {
    if ((request.ids === undefined) === (request.filter === undefined)) {
      throw new SwitchyardError('SWY_ERR_VALIDATION', 'ids: name the jobs by ids or by a filter, not both and not neither', [
        { path: 'ids', message: 'give ids or filter' },
      ]);
    }
    const ids = request.ids ? [...new Set(request.ids)].sort((a, b) => a - b) : undefined;
    if (ids && (ids.length === 0 || ids.length > MAX_BULK_IDS)) {
      throw new SwitchyardError('SWY_ERR_VALIDATION', `ids: between 1 and ${MAX_BULK_IDS}`, [{ path: 'ids', message: `between 1 and ${MAX_BULK_IDS}` }]);
    }
    const { sites: asked, ...rest } = request.filter ?? {};
    return { filter: { ...stripUndefined(rest), sites: scopeSites(actor, asked ?? null) }, ids };
  }

  private options(request: BulkRequest): Record<string, string> {
    if (request.action !== 'subscribe') return {};
    const channel = request.options?.channel ?? 'console';
    const on = request.options?.on ?? 'end';
    if (channel !== 'console' && channel !== 'email') throw invalid('options.channel', 'console or email (webhooks are subscribed one job at a time)');
    if (on !== 'end' && on !== 'failure') throw invalid('options.on', 'end or failure');
    if (channel === 'email' && !request.options?.address) throw invalid('options.address', 'an e-mail address is needed for the email channel');
    return { channel, on, ...(channel === 'email' ? { address: request.options?.address as string } : {}) };
  }

  /** Workflows whose code says they do not support the control (their jobs are skipped). */
  unsupportedWorkflows(action: BulkAction): string[] {
    if (action !== 'pause' && action !== 'cancel' && action !== 'retry') return [];
    return this.workflows
      .list()
      .filter((workflow) => !this.workflows.supports(workflow, action))
      .map((workflow) => workflow.name);
  }
}

/** The sites an operation covers: its filter's scoped sites, or its actor's for an id list (null: every site). */
export function operationSites(operation: OperationRecord): string[] | null {
  return operation.filter ? operation.filter.sites : operation.actorSites;
}

function singleSite(sites: string[] | null): string | null {
  return sites !== null && sites.length === 1 ? sites[0] : null;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function invalid(path: string, message: string): SwitchyardError {
  return new SwitchyardError('SWY_ERR_VALIDATION', `${path}: ${message}`, [{ path, message }]);
}
