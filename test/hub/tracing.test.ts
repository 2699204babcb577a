import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, context, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createHub, defineWorkflow, type Hub, z } from 'switchyard';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * What a host application does to see Switchyard's spans: register an SDK. The context manager
 * is the few lines of @opentelemetry/context-async-hooks' AsyncLocalStorage one (not a
 * dependency of ours), so that active spans follow async calls as they do in a real host.
 */
class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]) => this.with(ctx, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

const traced = defineWorkflow({
  name: 'traced',
  fields: z.object({ words: z.array(z.string()) }),
  plan: (fields) => fields.words.map((word) => ({ type: 'say', input: { word } })),
  tasks: {
    say: async (ctx) => {
      const { word } = ctx.task.input as { word: string };
      // The handler's own span, as an instrumented library inside it would make.
      await trace.getTracer('handler').startActiveSpan('handler.work', async (span) => {
        span.end();
      });
      if (word === 'boom') throw new Error('no shouting boom');
      return { changed: true };
    },
  },
  retry: { maxAttempts: 1 },
});

const byName = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('OpenTelemetry spans', () => {
  let hub: Hub | null = null;
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalContextManager());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });
  afterEach(async () => {
    await hub?.close();
    hub = null;
    exporter.reset();
  });

  it('trace a submission in its caller, and each task attempt from lease through run to completion', async () => {
    hub = await createHub({ db: ':memory:', workflows: [traced] });
    const outer = trace.getTracer('host');
    const job = await outer.startActiveSpan('POST /reports', async (span) => {
      try {
        return await hub?.submit({ workflow: 'traced', fields: { words: ['hello', 'boom'] } });
      } finally {
        span.end();
      }
    });
    if (!job) throw new Error('no job');
    await hub.startWorker({ isolation: 'in-process', pollWaitMs: 100 });
    expect((await hub.waitForJob(job.id)).state).toBe('failure');
    // A task's span ends once the hub has answered its completion, which may be just after the job ended.
    await vi.waitFor(() => expect(byName('switchyard.task')).toHaveLength(2), { timeout: 10_000 });

    const [request] = byName('POST /reports');
    const [submit] = byName('switchyard.submit');
    expect(parentOf(submit)).toBe(request.spanContext().spanId);
    expect(submit.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(submit.attributes).toMatchObject({
      'switchyard.workflow': 'traced',
      'switchyard.job.id': job.id,
      'switchyard.site': 'local',
      'switchyard.queue': 'default',
      'switchyard.job.created': true,
    });

    const leases = byName('switchyard.lease');
    expect(leases.length).toBeGreaterThan(0);
    expect(leases.reduce((sum, lease) => sum + Number(lease.attributes['switchyard.lease.tasks']), 0)).toBe(2);
    const leaseIds = new Set(leases.map((lease) => lease.spanContext().spanId));

    const tasks = byName('switchyard.task');
    const outcomes: Record<string, ReadableSpan> = Object.fromEntries(tasks.map((task) => [task.attributes['switchyard.task.outcome'], task]));
    expect(Object.keys(outcomes).sort()).toEqual(['failed', 'succeeded']);
    for (const task of tasks) {
      expect(task.attributes).toMatchObject({
        'switchyard.task.type': 'say',
        'switchyard.job.id': job.id,
        'switchyard.workflow': 'traced',
        'switchyard.site': 'local',
        'switchyard.task.attempt': 1,
      });
      expect(parentOf(task)).toBeUndefined();
      expect(task.links.map((link) => link.context.spanId).every((id) => leaseIds.has(id))).toBe(true);
      expect(task.links).toHaveLength(1);

      // run and complete are the task's children, in its trace; the handler's own span is the run's.
      const id = task.spanContext().spanId;
      const run = byName('switchyard.task.run').find((span) => parentOf(span) === id);
      const complete = byName('switchyard.task.complete').find((span) => parentOf(span) === id);
      if (!run || !complete) throw new Error(`task span ${id} lacks its run or complete span`);
      expect(run.spanContext().traceId).toBe(task.spanContext().traceId);
      expect(complete.attributes['switchyard.task.accepted']).toBe(true);
      expect(byName('handler.work').filter((span) => parentOf(span) === run.spanContext().spanId)).toHaveLength(1);
      expect(run.attributes['switchyard.task.outcome']).toBe(task.attributes['switchyard.task.outcome']);
    }

    const failed = outcomes.failed;
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.events.find((event) => event.name === 'exception')?.attributes?.['exception.message']).toBe('no shouting boom');
    expect(outcomes.succeeded.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records a refused submission as an error on its span', async () => {
    hub = await createHub({ db: ':memory:', workflows: [traced] });
    await expect(hub.submit({ workflow: 'traced', fields: { words: 'nope' } })).rejects.toMatchObject({ code: 'SWY_ERR_WORKFLOW_FIELDS' });
    const [submit] = byName('switchyard.submit');
    expect(submit.status.code).toBe(SpanStatusCode.ERROR);
    expect(submit.events[0].name).toBe('exception');
  });
});
