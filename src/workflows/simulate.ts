import { setTimeout as sleep } from 'node:timers/promises';
import { defineWorkflow, z } from '../index.js';

/**
 * Simulated work for trying Switchyard out: a few tasks that each "process" some items with a
 * pause between them, report progress and log lines, and fail a share of items on request.
 * Deterministic: item N of task T fails when (T * 31 + N) % 100 < failPercent. The failures are
 * transient: "retry failed items" processes the failed items alone (`ctx.task.retryPaths`), and
 * they succeed.
 */
export const simulate = defineWorkflow({
  name: 'simulate',
  module: import.meta.url,
  label: 'Simulated work',
  description: 'Runs pretend tasks that record items, progress and output — useful to see the console at work.',
  fields: z.object({
    tasks: z.number().int().min(1).max(1000).default(4).describe('How many tasks'),
    items: z.number().int().min(0).max(100_000).default(25).describe('Items each task processes'),
    delayMs: z.number().int().min(0).max(60_000).default(100).describe('Pause per item, in milliseconds'),
    failPercent: z.number().int().min(0).max(100).default(0).describe('Share of items that fail, in percent'),
  }),
  plan: (fields) => Array.from({ length: fields.tasks }, (_, task) => ({ type: 'process', input: { task } })),
  tasks: {
    async process(ctx) {
      const { task } = ctx.task.input as { task: number };
      const { items, delayMs, failPercent } = ctx.job.fields;
      const pathOf = (n: number) => `/simulated/task-${task}/item-${n}`;
      const retried = Array.isArray(ctx.task.retryPaths) ? new Set(ctx.task.retryPaths) : null;
      const numbers = Array.from({ length: items }, (_, n) => n).filter((n) => retried === null || retried.has(pathOf(n)));
      ctx.log(`task ${task}: processing ${numbers.length} items${retried === null ? '' : ' that failed before'}`);
      for (const [index, n] of numbers.entries()) {
        if (delayMs > 0) await sleep(delayMs, undefined, { signal: ctx.signal });
        const failed = retried === null && (task * 31 + n) % 100 < failPercent;
        ctx.item(pathOf(n), {
          operation: 'process',
          outcome: failed ? 'failed' : 'completed',
          bytes: 1024 * (n + 1),
          error: failed ? 'simulated failure' : undefined,
        });
        ctx.progress(index + 1, numbers.length);
        if ((index + 1) % 10 === 0) ctx.log(`task ${task}: ${index + 1}/${numbers.length} items`);
      }
      return { changed: numbers.length > 0, result: { items: numbers.length } };
    },
  },
  // Rolling a simulate job (or its envelope) back "reverts" each item the task processed.
  rollback: {
    async process(ctx, original) {
      const delayMs = Number(original.fields.delayMs ?? 0);
      ctx.log(`undoing task ${original.taskId} of job ${original.jobId}: ${original.items.length} items`);
      for (const [n, item] of original.items.entries()) {
        if (item.outcome !== 'completed') continue;
        if (delayMs > 0) await sleep(Math.min(delayMs, 50), undefined, { signal: ctx.signal });
        ctx.item(item.path, { operation: 'revert', outcome: 'completed', bytes: item.bytes ?? undefined });
        ctx.progress(n + 1, original.items.length);
      }
      return { changed: original.items.length > 0, result: { reverted: original.items.length } };
    },
  },
});
