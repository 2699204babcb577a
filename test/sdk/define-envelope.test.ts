import { describe, expect, it } from 'vitest';
import { defineEnvelope, defineWorkflow, EnvelopeInputError, z } from '../../src/index.js';
import { jobsEnvelope } from '../../src/sdk/define-envelope.js';
import { taskHandler } from '../../src/sdk/define-workflow.js';
import { WorkflowRegistry } from '../../src/sdk/workflow-registry.js';

const file = (text: string) => ({ kind: 'file' as const, name: 'x.json', contentType: 'application/json', text });

describe('the built-in jobs envelope type', () => {
  it('reads a JSON list of submissions, with the line each entry starts on', async () => {
    const entries = await jobsEnvelope.parse(file('[\n  {"workflow": "a", "fields": {"n": 1}},\n  {"workflow": "b", "site": "east"}\n]'));
    expect(entries).toEqual([
      { workflow: 'a', fields: { n: 1 }, line: 2 },
      { workflow: 'b', site: 'east', line: 3 },
    ]);
  });

  it('names the line of a JSON syntax error and the field of a bad entry', async () => {
    await expect(async () => jobsEnvelope.parse(file('[\n{"workflow": "a"},\n{oops}\n]'))).rejects.toMatchObject({ name: 'EnvelopeInputError', line: 3 });
    await expect(async () => jobsEnvelope.parse(file('[\n{"workflow": "a"},\n{"workflow": 5}\n]'))).rejects.toMatchObject({ line: 3, field: '1.workflow' });
    await expect(async () => jobsEnvelope.parse({ kind: 'json', data: [{ workflow: 'a', extra: 1 }] })).rejects.toThrow(/unknown key "extra"/);
    await expect(async () => jobsEnvelope.parse({ kind: 'json', data: [] })).rejects.toThrow(/empty/);
    await expect(async () => jobsEnvelope.parse({ kind: 'json', data: { workflow: 'a' } })).rejects.toThrow(/JSON list/);
  });
});

describe('defineEnvelope and the registry', () => {
  const custom = defineEnvelope({ name: 'lines', accepts: ['text/plain'], parse: () => [{ workflow: 'a' }] });

  it('registers envelope types alongside workflows; unknown types are named', () => {
    const registry = new WorkflowRegistry([custom]);
    expect(registry.envelopeType('lines')).toBe(custom);
    expect(registry.envelopeType('jobs')).toBe(jobsEnvelope);
    expect(registry.envelopeTypeInfos().map((t) => t.name)).toEqual(['jobs', 'lines']);
    expect(() => registry.envelopeType('nope')).toThrow(/No envelope type named "nope"; known types: jobs, lines/);
    expect(() => new WorkflowRegistry([custom, custom])).toThrow(/two envelope types/);
  });

  it('refuses bad names and keeps EnvelopeInputError details', () => {
    expect(() => defineEnvelope({ name: 'Bad Name', accepts: [], parse: () => [] })).toThrow(/lowercase/);
    expect(new EnvelopeInputError('x', { line: 4, field: 'f' })).toMatchObject({ line: 4, field: 'f' });
  });
});

describe('workflow rollback handlers', () => {
  const wf = defineWorkflow({
    name: 'w',
    fields: z.object({}),
    plan: () => [{ type: 'write' }],
    tasks: { write: () => ({ changed: true }) },
    rollback: { write: (_ctx, original) => ({ changed: true, result: { undid: original.taskId } }) },
  });

  it('resolves rollback:<type> to the compensation, handed the original from the task input', async () => {
    const handler = taskHandler(wf, 'rollback:write');
    expect(handler).toBeDefined();
    const ctx = { task: { input: { taskId: 7 } } } as unknown as Parameters<NonNullable<typeof handler>>[0];
    expect(await handler?.(ctx)).toEqual({ changed: true, result: { undid: 7 } });
    expect(taskHandler(wf, 'write')).toBe(wf.tasks.write);
    expect(taskHandler(wf, 'rollback:other')).toBeUndefined();
  });

  it('refuses a compensation for a task type the workflow does not have', () => {
    expect(() => defineWorkflow({ name: 'v', fields: z.object({}), plan: () => [], tasks: { a: () => {} }, rollback: { b: () => {} } })).toThrow(
      /rollback names task type "b"/,
    );
  });
});
