import { z } from 'zod';
import {
  DEFAULT_RETRY_POLICY,
  type FieldProblem,
  type JobConcurrency,
  type Json,
  type LockSpec,
  normalizeConcurrencyKey,
  normalizeLocks,
  type ResourceLock,
  type RetryPolicy,
  SwitchyardError,
} from '../model/index.js';
import type { TaskSpec, Workflow } from './define-workflow.js';

/** What the API and console learn of a workflow: no code, just its shape. */
export interface WorkflowInfo {
  name: string;
  label: string;
  description: string | null;
  taskTypes: string[];
  /** JSON Schema of the fields, for the console's form. */
  fieldsSchema: Record<string, unknown>;
  secretFields: string[];
  /** Which controls the workflow supports; the console hides the others. */
  controls: { pause: boolean; cancel: boolean; retry: boolean };
  /** Whether its jobs declare resource locks. */
  locks: boolean;
  /** Its concurrency limits (null: none); `keyed` when its jobs have a concurrency key. */
  concurrency: { limit: number | null; perKey: number | null; keyed: boolean } | null;
  queue: string | null;
  timeoutMs: number | null;
  retry: RetryPolicy;
}

/** The workflows a hub or worker knows, by name. */
export class WorkflowRegistry {
  private readonly byName = new Map<string, Workflow>();

  constructor(workflows: Iterable<Workflow> = []) {
    for (const workflow of workflows) this.add(workflow);
  }

  add(workflow: Workflow): void {
    if (this.byName.has(workflow.name)) throw new Error(`two workflows are named "${workflow.name}"`);
    this.byName.set(workflow.name, workflow);
  }

  get(name: string): Workflow | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  list(): Workflow[] {
    return this.names().map((name) => this.byName.get(name) as Workflow);
  }

  /** Throws SWY_ERR_WORKFLOW_UNKNOWN naming the workflows there are. */
  require(name: string): Workflow {
    const workflow = this.byName.get(name);
    if (!workflow) {
      const known = this.names();
      throw new SwitchyardError('SWY_ERR_WORKFLOW_UNKNOWN', `No workflow named "${name}"${known.length > 0 ? `; known workflows: ${known.join(', ')}` : ''}`, [
        { path: 'workflow', message: 'unknown workflow' },
      ]);
    }
    return workflow;
  }

  /** Validates and normalises fields; throws SWY_ERR_WORKFLOW_FIELDS naming each bad field. */
  parseFields(workflow: Workflow, fields: unknown): Record<string, Json> {
    const parsed = workflow.fields.safeParse(fields ?? {});
    const problems: FieldProblem[] = parsed.success
      ? []
      : parsed.error.issues.map((issue: z.core.$ZodIssue) => ({ path: ['fields', ...issue.path.map(String)].join('.'), message: issue.message }));
    problems.push(...unknownFields(workflow, fields));
    if (parsed.success && problems.length === 0) return parsed.data as Record<string, Json>;
    throw new SwitchyardError('SWY_ERR_WORKFLOW_FIELDS', problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
  }

  /** Runs the workflow's plan and checks every task type has a handler. */
  async plan(workflow: Workflow, fields: Record<string, Json>, ctx: { site: string; creator: string }): Promise<TaskSpec[]> {
    let specs: TaskSpec[];
    try {
      specs = await workflow.plan(fields, ctx);
    } catch (error) {
      throw new SwitchyardError('SWY_ERR_WORKFLOW_PLAN', `Workflow "${workflow.name}" could not plan the job: ${(error as Error).message}`);
    }
    if (!Array.isArray(specs)) throw new SwitchyardError('SWY_ERR_WORKFLOW_PLAN', `Workflow "${workflow.name}": plan must return an array of tasks`);
    for (const spec of specs) assertKnownTaskType(workflow, spec);
    return specs;
  }

  /** The job's resource locks from its fields, normalized; SWY_ERR_WORKFLOW_PLAN when the workflow's `locks` fails. */
  locksOf(workflow: Workflow, fields: Record<string, Json>): ResourceLock[] {
    if (!workflow.locks) return [];
    let specs: LockSpec[];
    try {
      specs = workflow.locks(fields);
    } catch (error) {
      throw new SwitchyardError('SWY_ERR_WORKFLOW_PLAN', `Workflow "${workflow.name}" could not name its locks: ${(error as Error).message}`);
    }
    return normalizeLocks(specs);
  }

  /** The job's concurrency limits and key, or null when the workflow declares none; SWY_ERR_WORKFLOW_PLAN when `key` fails. */
  concurrencyOf(workflow: Workflow, fields: Record<string, Json>): JobConcurrency | null {
    if (!workflow.concurrency) return null;
    const { limit = null, perKey = null, key } = workflow.concurrency;
    if (!key) return { limit, perKey, key: null };
    let value: unknown;
    try {
      value = key(fields);
    } catch (error) {
      throw new SwitchyardError('SWY_ERR_WORKFLOW_PLAN', `Workflow "${workflow.name}" could not compute its concurrency key: ${(error as Error).message}`);
    }
    return { limit, perKey, key: normalizeConcurrencyKey(value) };
  }

  /** Whether the workflow supports a control (all do unless `controls` says `false`). */
  supports(workflow: Workflow, control: 'pause' | 'cancel' | 'retry'): boolean {
    return workflow.controls?.[control] !== false;
  }

  retryPolicy(workflow: Workflow): RetryPolicy {
    return { ...DEFAULT_RETRY_POLICY, ...workflow.retry };
  }

  info(workflow: Workflow): WorkflowInfo {
    return {
      name: workflow.name,
      label: workflow.label ?? workflow.name,
      description: workflow.description ?? null,
      taskTypes: Object.keys(workflow.tasks).sort(),
      fieldsSchema: z.toJSONSchema(workflow.fields, { unrepresentable: 'any' }) as Record<string, unknown>,
      secretFields: workflow.secretFields ?? [],
      queue: workflow.queue ?? null,
      timeoutMs: workflow.timeoutMs ?? null,
      retry: this.retryPolicy(workflow),
      controls: { pause: this.supports(workflow, 'pause'), cancel: this.supports(workflow, 'cancel'), retry: this.supports(workflow, 'retry') },
      locks: workflow.locks !== undefined,
      concurrency: workflow.concurrency
        ? { limit: workflow.concurrency.limit ?? null, perKey: workflow.concurrency.perKey ?? null, keyed: workflow.concurrency.key !== undefined }
        : null,
    };
  }
}

/**
 * A zod object drops keys it does not declare; for a submission that would turn a typo into a
 * job run silently with the default. Unless the workflow's schema accepts other keys
 * (`z.looseObject`, `.passthrough()`, `.catchall()`), each unknown field is refused by name.
 */
function unknownFields(workflow: Workflow, fields: unknown): FieldProblem[] {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return [];
  const schema = workflow.fields as z.ZodObject & { _zod: { def: { catchall?: unknown } } };
  if (schema._zod.def.catchall !== undefined) return [];
  const known = new Set(Object.keys(schema.shape));
  return Object.keys(fields)
    .filter((key) => !known.has(key))
    .map((key) => ({ path: `fields.${key}`, message: `not a field of workflow "${workflow.name}" (its fields: ${[...known].join(', ') || 'none'})` }));
}

export function assertKnownTaskType(workflow: Workflow, spec: TaskSpec): void {
  if (!spec || typeof spec.type !== 'string' || !(spec.type in workflow.tasks)) {
    throw new SwitchyardError(
      'SWY_ERR_WORKFLOW_PLAN',
      `Workflow "${workflow.name}" asked for a task of type "${spec?.type}", which has no handler (known: ${Object.keys(workflow.tasks).join(', ')})`,
    );
  }
}
