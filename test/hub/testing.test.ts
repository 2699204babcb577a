import { defineWorkflow, skip, z } from 'switchyard';
import { createTestClock, runWorkflow } from 'switchyard/testing';
import { describe, expect, it } from 'vitest';

/** The README's example ("Testing a workflow"), kept the same here. */
const countWords = defineWorkflow({
  name: 'count-words',
  fields: z.object({ texts: z.array(z.string()) }),
  plan: (fields) => fields.texts.map((text, i) => ({ type: 'count', input: { text }, key: `text-${i}` })),
  tasks: {
    count: (ctx) => {
      const { text } = ctx.task.input as { text: string };
      if (text.trim() === '') skip('nothing to count');
      const words = text.split(/\s+/).filter(Boolean).length;
      ctx.log(`${words} words`);
      ctx.item(ctx.task.key ?? 'text', { operation: 'count', outcome: 'completed' });
      return { changed: true, result: { words } };
    },
  },
});

describe('runWorkflow (switchyard/testing)', () => {
  it('runs a job to its end and answers its tasks, items, logs and results', async () => {
    const run = await runWorkflow(countWords, { texts: ['one two three', 'four five'] });
    expect(run.job.state).toBe('success');
    expect(run.tasks).toHaveLength(2);
    expect(run.items.map((item) => [item.path, item.outcome])).toEqual([
      ['text-0', 'completed'],
      ['text-1', 'completed'],
    ]);
    expect(Object.values(run.results)).toEqual([{ words: 3 }, { words: 2 }]);
    expect(Object.values(run.logs)).toEqual([['3 words'], ['2 words']]);
  });

  it('answers the job’s change set with its texts', async () => {
    const differ = defineWorkflow({
      name: 'differ',
      fields: z.object({}),
      plan: () => [{ type: 'diff' }],
      tasks: {
        diff: (ctx) => {
          ctx.change('a.txt', { change: 'changed', sizeBefore: 2, sizeAfter: 3, textBefore: 'a\n', textAfter: 'ab\n' });
          ctx.change('b.bin', { change: 'removed', sizeBefore: 9 });
          return { changed: true };
        },
      },
    });
    const run = await runWorkflow(differ, {});
    expect(run.changes.map((c) => [c.path, c.change, c.textBefore, c.textAfter])).toEqual([
      ['a.txt', 'changed', 'a\n', 'ab\n'],
      ['b.bin', 'removed', null, null],
    ]);
  });

  it('answers failed and skipped runs as they ended', async () => {
    const skipped = await runWorkflow(countWords, { texts: [' '] });
    expect(skipped.job.state).toBe('skipped');
    const failing = defineWorkflow({
      name: 'always-fails',
      fields: z.object({}),
      plan: () => [{ type: 'fail' }],
      tasks: {
        fail: () => {
          throw new Error('broken on purpose');
        },
      },
      retry: { maxAttempts: 2, backoffMs: 1 },
    });
    const failed = await runWorkflow(failing, {});
    expect(failed.job.state).toBe('failure');
    expect(failed.tasks[0].attempts).toBe(2);
    expect(failed.tasks[0].error?.message).toContain('broken on purpose');
  });

  it('runs a job that spans sites with a worker at each of the sites named', async () => {
    const transfer = defineWorkflow({
      name: 'transfer',
      fields: z.object({ to: z.string() }),
      plan: (fields) => [
        { type: 'step', key: 'export' },
        { type: 'step', key: 'import', after: ['export'], site: fields.to },
      ],
      tasks: { step: (ctx) => ({ changed: true, result: { site: ctx.task.site } }) },
    });
    const run = await runWorkflow(transfer, { to: 'branch' }, { sites: ['branch'] });
    expect(run.job).toMatchObject({ state: 'success', site: 'local', sites: ['local', 'branch'] });
    expect(run.tasks.map((task) => [task.key, task.site])).toEqual([
      ['export', 'local'],
      ['import', 'branch'],
    ]);
    expect(Object.values(run.results)).toEqual([{ site: 'local' }, { site: 'branch' }]);
  });

  it('refuses invalid fields with the field named', async () => {
    await expect(runWorkflow(countWords, { texts: 'not a list' })).rejects.toMatchObject({ code: 'SWY_ERR_WORKFLOW_FIELDS' });
  });

  describe('on a test clock', () => {
    const start = Date.UTC(2030, 0, 1);
    const minutes = (n: number) => n * 60_000;

    it('jumps over a retry backoff instead of waiting for it', async () => {
      const flaky = defineWorkflow({
        name: 'flaky',
        fields: z.object({}),
        plan: () => [{ type: 'call' }],
        tasks: {
          call: (ctx) => {
            if (ctx.task.attempt < 3) throw new Error(`attempt ${ctx.task.attempt} failed`);
            return { changed: true };
          },
        },
        retry: { maxAttempts: 3, backoffMs: minutes(10), maxBackoffMs: minutes(60) },
      });
      const clock = createTestClock({ startAt: start });
      const began = Date.now();
      const run = await runWorkflow(flaky, {}, { clock });
      expect(run.job.state).toBe('success');
      expect(run.tasks[0].attempts).toBe(3);
      // Backoffs of 10 then 20 minutes, each with jitter down to half: at least 15 minutes passed on the clock…
      expect(clock.now() - start).toBeGreaterThanOrEqual(minutes(15));
      expect(run.job.endedAt).toBe(clock.now());
      // …and far less than that in the test.
      expect(Date.now() - began).toBeLessThan(20_000);
    });

    it('starts a delayed job when its time comes on the clock', async () => {
      const clock = createTestClock({ startAt: start });
      const run = await runWorkflow(countWords, { texts: ['a b'] }, { clock, runAt: start + minutes(60) });
      expect(run.job.state).toBe('success');
      expect(run.job.startedAt).toBe(start + minutes(60));
    });

    it('times a job out when a handler moves the clock past its timeout', async () => {
      const clock = createTestClock({ startAt: start });
      const slow = defineWorkflow({
        name: 'slow',
        fields: z.object({}),
        timeoutMs: minutes(15),
        plan: () => [{ type: 'wait' }],
        tasks: {
          wait: async (ctx) => {
            // 16 minutes pass without activity; the hub's watchdog times the job out and the handler is told to stop.
            await clock.advance(minutes(16));
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
          },
        },
      });
      const run = await runWorkflow(slow, {}, { clock });
      expect(run.job.state).toBe('failure');
      expect(run.job.reason).toMatch(/timed out/);
      expect(run.job.endedAt).toBe(start + minutes(16));
    });

    it('moves only when told, with autoAdvance off', async () => {
      const clock = createTestClock({ startAt: start, autoAdvance: false });
      const running = runWorkflow(countWords, { texts: ['x'] }, { clock, runAt: start + minutes(5), timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(clock.now()).toBe(start);
      await clock.advance(minutes(5));
      const run = await running;
      expect(run.job.state).toBe('success');
      expect(run.job.startedAt).toBe(start + minutes(5));
      await expect(clock.advance(-1)).rejects.toThrow(RangeError);
    });
  });
});
