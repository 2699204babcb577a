import { defineWorkflow, skip, z } from 'switchyard';
import { runWorkflow } from 'switchyard/testing';
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
});
