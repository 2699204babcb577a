import { defineWorkflow, type Hub, type HubEvents, SYSTEM_ACTOR, z } from 'switchyard';
import { describe, expect, it } from 'vitest';
import { useHubOn } from '../helpers/hub-on-store.js';
import { hubStores } from '../helpers/store-harness.js';

const noop = defineWorkflow({
  name: 'feed-noop',
  fields: z.object({ n: z.number() }),
  plan: () => [{ type: 'work' }],
  tasks: { work: () => ({ changed: false }) },
});

const JOBS = 20;

/**
 * The hub's event feed reads the store after a commit only when a prompt listener waits for
 * one of the events it appended (on PostgreSQL each read is a round trip, and most commits —
 * a submission, a lease — append events no one waits for). A listener that is not prompt
 * hears its events with a later read: the poll, or a flush. Either way every listener hears
 * every event once, in id order.
 */
describe.each(hubStores('the event feed'))('the event feed on $name', (store) => {
  const open = useHubOn(store, [noop]);

  /** Counts the feed's reads of the store (the real reads run). */
  function countReads(opened: Hub): { count: number } {
    const reads = opened.engine.reads;
    const original = reads.events.bind(reads);
    const counter = { count: 0 };
    reads.events = (...args: Parameters<typeof reads.events>) => {
      counter.count += 1;
      return original(...args);
    };
    return counter;
  }

  it('reads no more than its poll for a listener that is not prompt, which hears every event once and in order at a flush', async (context) => {
    const opened = await open(context);
    const heard: HubEvents['event'][] = [];
    opened.engine.events.on('event', (record) => heard.push(record), { prompt: false });
    await opened.engine.events.flush();
    const first = await opened.engine.reads.lastEventId(SYSTEM_ACTOR);
    const reads = countReads(opened);
    const started = performance.now();

    await opened.startWorker({ isolation: 'in-process', concurrency: 4 });
    const jobs = [];
    for (let n = 0; n < JOBS; n++) jobs.push(await opened.submit({ workflow: 'feed-noop', fields: { n } }));
    for (const job of jobs) expect((await opened.waitForJob(job.id, { timeoutMs: 60_000 })).state).toBe('success');

    // Some 80 commits appended events; the feed read at most once per second of its poll (and once more if one was under way).
    const polls = Math.ceil((performance.now() - started) / 1000) + 1;
    expect(reads.count).toBeLessThanOrEqual(polls);

    await opened.engine.events.flush();
    const stored = await opened.engine.reads.events(first, 10_000, SYSTEM_ACTOR);
    const ids = heard.filter((record) => record.id > first).map((record) => record.id);
    expect(ids).toEqual(stored.map((record) => record.id));
    expect(stored.filter((record) => record.type === 'job:created')).toHaveLength(JOBS);
  });

  it('hears a job finish without a flush when a prompt listener waits for it, and the lazy listener hears it in order with the rest', async (context) => {
    const opened = await open(context);
    const lazy: HubEvents['event'][] = [];
    opened.engine.events.on('event', (record) => lazy.push(record), { prompt: false });
    const finished = new Set<number>();
    opened.on('job:finished', (event) => finished.add(event.jobId));
    await opened.engine.events.flush();
    const first = await opened.engine.reads.lastEventId(SYSTEM_ACTOR);

    await opened.startWorker({ isolation: 'in-process', concurrency: 4 });
    const jobs = [];
    for (let n = 0; n < JOBS; n++) jobs.push(await opened.submit({ workflow: 'feed-noop', fields: { n } }));
    const deadline = Date.now() + 60_000;
    while (finished.size < JOBS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect([...finished].sort((a, b) => a - b)).toEqual(jobs.map((job) => job.id));

    // Whatever the prompt listener's reads took along, the lazy one heard in id order, none twice.
    const upTo = lazy.filter((record) => record.id > first).map((record) => record.id);
    expect(upTo).toEqual([...new Set(upTo)].sort((a, b) => a - b));
    const lastFinish = Math.max(
      ...lazy.filter((record) => record.type === 'job:state:changed' && record.data.to === 'success').map((record) => record.id),
      first,
    );
    const stored = await opened.engine.reads.events(first, 10_000, SYSTEM_ACTOR);
    // Everything up to the last finish it heard, it heard.
    expect(upTo.filter((id) => id <= lastFinish)).toEqual(stored.filter((record) => record.id <= lastFinish).map((record) => record.id));
  });

  it('takes the events its own commits appended as read: jobs run one after another cost no read of the store', async (context) => {
    const opened = await open(context);
    const finished: number[] = [];
    opened.on('job:finished', (event) => finished.push(event.jobId));
    await opened.engine.events.flush();
    await opened.startWorker({ isolation: 'in-process', concurrency: 1 });
    const reads = countReads(opened);
    const started = performance.now();
    const jobs = [];
    for (let n = 0; n < JOBS; n++) {
      const job = await opened.submit({ workflow: 'feed-noop', fields: { n } });
      jobs.push(job.id);
      const deadline = Date.now() + 60_000;
      while (!finished.includes(job.id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(finished).toEqual(jobs);
    // Each job's submission, lease and completion handed their events over with their ids; only
    // the poll read (and a read after another transaction's events left a gap, if one did).
    const polls = Math.ceil((performance.now() - started) / 1000) + 1;
    expect(reads.count).toBeLessThanOrEqual(polls + 2);
  });
});
