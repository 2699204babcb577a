import { afterEach, describe, expect, it } from 'vitest';
import type { Isolation } from '../../src/worker/worker.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';
import { mirror, wrongOutcome } from './fixtures/change-workflows.js';

let hub: TestHub | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

const source = {
  'docs/readme.txt': 'one\ntwo\nthree\n',
  'docs/new.txt': 'brand new\n',
  'big.txt': 'x'.repeat(70_000),
  'ok.txt': 'same',
};
const target = { 'docs/readme.txt': 'one\n2\nthree\n', 'old.txt': 'gone\n', 'ok.txt': 'same', 'big.txt': 'y' };

/**
 * ctx.change and ctx.task.retryPaths in both execution modes: a change set with texts reaches
 * the store (a text over 64 KiB dropped and flagged), queued items are settled by the copy,
 * item statistics count each operation, and a retry of the failed items hands the re-run task
 * exactly those paths.
 */
describe.each(['thread', 'in-process'] as Isolation[])('change sets and failed-item retry (%s)', (isolation) => {
  it('records the change set, settles queued items, and retries only the failed paths', async () => {
    hub = await createTestHub({ workflows: [mirror], worker: { isolation, concurrency: 4 } });
    const { job } = await hub.engine.submit({ workflow: 'mirror', fields: { source, target, failFirst: ['docs/new.txt', 'old.txt'] } }, hub.actor);
    const done = await hub.waitForJob(job.id);
    expect(done).toMatchObject({ state: 'error', itemCounts: { queued: 0, completed: 2, failed: 2 } });

    const changes = await hub.engine.reads.changes(job.id, { cursor: null, limit: 50 }, hub.actor);
    expect(changes.counts).toEqual({ added: 1, changed: 2, removed: 1 });
    const byPath = new Map(changes.items.map((c) => [c.path, c]));
    expect(byPath.get('docs/readme.txt')).toMatchObject({ change: 'changed', sizeBefore: 12, sizeAfter: 14, hasText: true, textOmitted: false });
    expect(byPath.get('big.txt')).toMatchObject({ change: 'changed', sizeAfter: 70_000, hasText: false, textOmitted: true });
    expect(byPath.get('old.txt')).toMatchObject({ change: 'removed', sizeBefore: 5, sizeAfter: null, hasText: true });
    const detail = await hub.engine.reads.change(job.id, byPath.get('docs/readme.txt')?.id ?? 0, hub.actor);
    expect(detail).toMatchObject({ textBefore: 'one\n2\nthree\n', textAfter: 'one\ntwo\nthree\n' });

    expect(await hub.engine.reads.itemStats(job.id, hub.actor)).toEqual([
      { operation: 'copy', outcome: 'completed', count: 2, bytes: 70_014 },
      { operation: 'copy', outcome: 'failed', count: 1, bytes: 0 },
      { operation: 'delete', outcome: 'failed', count: 1, bytes: 0 },
    ]);

    await hub.engine.retry(job.id, hub.actor, { items: 'failed' });
    const retried = await hub.waitForJob(job.id, (j) => j.state === 'success');
    // The retried paths' new records replace their failures: each path counts once.
    expect(retried.itemCounts).toMatchObject({ queued: 0, completed: 4, failed: 0 });
    const copy = (await hub.store.listTasks(job.id, { types: ['copy'], limit: 5 })).items[0];
    expect(copy.result).toEqual({ acted: ['docs/new.txt', 'old.txt'], retryPaths: ['docs/new.txt', 'old.txt'] });
    // The scan did not run again: its changes were not recorded twice.
    expect((await hub.engine.reads.changes(job.id, { cursor: null, limit: 50 }, hub.actor)).counts).toEqual({ added: 1, changed: 2, removed: 1 });
  });
});

describe.each(['thread', 'in-process'] as Isolation[])('an item outcome that is not one (%s)', (isolation) => {
  it('throws to the handler, and the job records only the good item', async () => {
    hub = await createTestHub({ workflows: [wrongOutcome], worker: { isolation, concurrency: 1 } });
    const { job } = await hub.engine.submit({ workflow: 'wrong-outcome', fields: {} }, hub.actor);
    const done = await hub.waitForJob(job.id);
    expect(done).toMatchObject({ state: 'success', itemCounts: { completed: 1 } });
    const task = (await hub.store.listTasks(job.id, { limit: 5 })).items[0];
    expect(task.result).toEqual({ threw: expect.stringMatching(/^TypeError: item: outcome must be one of queued, completed, failed, skipped, not "done"$/) });
    expect((await hub.store.listItems(job.id, { limit: 10 })).items.map((item) => item.path)).toEqual(['good.txt']);
  });
});
