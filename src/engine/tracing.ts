import { type Attributes, type Context, context, type Link, type Span, SpanKind, SpanStatusCode, type TimeInput, trace } from '@opentelemetry/api';
import { errorInfo, type TaskErrorInfo } from '../model/index.js';

/**
 * OpenTelemetry spans of the hub and its workers, through `@opentelemetry/api` only: they are
 * no-ops (a shared non-recording span, no allocation of attributes' values beyond the call)
 * until the host application registers an SDK (a TracerProvider) — Switchyard never installs
 * one. The tracer is looked up through the API's proxy, so an SDK registered after the hub
 * started still receives the spans.
 *
 * Spans (attributes prefixed `switchyard.`):
 * - `switchyard.submit` (producer) — a submission, in the caller's active context: workflow,
 *   site, queue, job id, whether a job was created (false: an idempotency key matched).
 * - `switchyard.lease` (client) — a lease round trip that handed out tasks: site, task count.
 * - `switchyard.task` (consumer) — one attempt of one task on a worker, from lease to the
 *   hub's answer to its completion, linked to its lease: task id and type, job id, workflow,
 *   site, attempt, outcome (`succeeded`, `failed`, `skipped`, `stopped`, `released`, `lost`).
 *   Its children: `switchyard.task.run` (the handler; in-process handlers run with it active,
 *   so their own spans nest under it) and `switchyard.task.complete` (reporting the end).
 * Errors are recorded as exceptions on the span they ended, with status ERROR.
 */
export const tracer = trace.getTracer('switchyard');

export const ATTR = {
  jobId: 'switchyard.job.id',
  workflow: 'switchyard.workflow',
  site: 'switchyard.site',
  queue: 'switchyard.queue',
  created: 'switchyard.job.created',
  taskId: 'switchyard.task.id',
  taskType: 'switchyard.task.type',
  attempt: 'switchyard.task.attempt',
  outcome: 'switchyard.task.outcome',
  tasks: 'switchyard.lease.tasks',
  accepted: 'switchyard.task.accepted',
} as const;

/**
 * Runs `fn` inside a new active span that ends when it settles; a throw is recorded on the
 * span and rethrown.
 */
export function inSpan<T>(name: string, options: { kind?: SpanKind; attributes?: Attributes }, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Starts a span that is not made active (its end is elsewhere): a child of `parent` (default: the active context). */
export function startSpan(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; startTime?: TimeInput; root?: boolean },
  parent: Context = context.active(),
): Span {
  return tracer.startSpan(name, options, parent);
}

/** Marks a span failed with the error as its exception event (message and stack, bounded as the task reports are). */
export function recordError(span: Span, error: unknown): void {
  if (span.isRecording()) recordFailure(span, errorInfo(error));
}

/** Marks a span failed with a reported error (a task's, as the worker classified it). */
export function recordFailure(span: Span, info: TaskErrorInfo): void {
  span.recordException({ name: info.name ?? 'Error', message: info.message, stack: info.stack });
  span.setStatus({ code: SpanStatusCode.ERROR, message: info.message });
}

/** The context in which `span` is the active span, for children and for code run inside it. */
export function withSpan(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}

export { context, type Span, SpanKind };
