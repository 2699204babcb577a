import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SYSTEM_ACTOR } from '../src/engine/actor.js';
import { Engine } from '../src/engine/engine.js';
import { defineWorkflow, z } from '../src/index.js';
import type { Actor } from '../src/model/index.js';
import { WorkflowRegistry } from '../src/sdk/workflow-registry.js';
import type { Store } from '../src/store/store.js';
import { Worker } from '../src/worker/worker.js';
import { startSmtp } from '../test/helpers/smtp.js';
import { benchStore, type StoreKind } from './bench-store.js';
import { allFinished, type Measurement } from './measurements.js';

const noop = defineWorkflow({ name: 'noop', fields: z.object({}), plan: () => [{ type: 'noop' }], tasks: { noop: () => ({ changed: false }) } });
const JOBS = 10_000;
const CONCURRENCY = 10;

/** Drains JOBS no-op jobs at concurrency 10; with `subscribers`, three users hear of every ending. */
async function drain(kind: StoreKind, subscribers: boolean): Promise<{ drainMs: number; deliverMs: number; delivered: number }> {
  const { store, dispose } = await benchStore(kind);
  const smtp = await startSmtp();
  let hooks = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hooks += 1;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const engine = new Engine({
    store,
    workflows: new WorkflowRegistry([noop]),
    runDuties: subscribers,
    notifier: { smtpUrl: smtp.url, intervalMs: 250 },
  });
  await engine.init();
  try {
    if (subscribers) await subscribe(engine, store, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
    const ids: number[] = [];
    for (let i = 0; i < JOBS; i += 1000) {
      const outcomes = await engine.submitMany(
        Array.from({ length: Math.min(1000, JOBS - i) }, () => ({ workflow: 'noop' })),
        SYSTEM_ACTOR,
      );
      ids.push(...outcomes.map((o) => o.job.id));
    }
    const worker = new Worker({ port: engine, workflows: engine.workflows, site: 'local', concurrency: CONCURRENCY, pollWaitMs: 200, heartbeatMs: 60_000 });
    const started = performance.now();
    await worker.start();
    await allFinished(store, ids);
    const drainMs = performance.now() - started;
    await worker.stop({ graceMs: 1000 });
    if (!subscribers) return { drainMs, deliverMs: 0, delivered: 0 };
    const expected = JOBS * 3;
    for (;;) {
      const sent = (await store.listDeliveries({ limit: expected + 10 })).filter((d) => d.status === 'sent').length;
      if (sent >= expected && smtp.mails.length >= JOBS && hooks >= JOBS) break;
      if (performance.now() - started > 600_000) throw new Error(`only ${sent} of ${expected} notifications went out in 10 minutes`);
      await sleep(1000);
    }
    return { drainMs, deliverMs: performance.now() - started, delivered: expected };
  } finally {
    await engine.stop();
    await dispose();
    await smtp.close();
    receiver.close();
  }
}

/** Three users with a site rule each: console, e-mail over SMTP, and a signed webhook. */
async function subscribe(engine: Engine, store: Store, hookUrl: string): Promise<void> {
  const now = Date.now();
  for (const [name, channel] of [
    ['ann', 'console'],
    ['bob', 'email'],
    ['cat', 'webhook'],
  ] as const) {
    await store.createUser({ username: name, passwordHash: 'x', role: 'viewer', sites: null, createdAt: now, email: `${name}@example.test` });
    const actor: Actor = { name, role: 'viewer', sites: null, ref: `user:${name}` };
    await engine.notify.subscribeSite({ channel, allSites: true, ...(channel === 'webhook' ? { url: hookUrl } : {}) }, actor);
  }
}

/**
 * Notifications at volume: 10,000 one-task jobs drained at concurrency 10, each ending heard by
 * three subscribers (console, e-mail to a loopback SMTP server, webhook to a loopback receiver).
 * Reports notifications delivered per second (from the first job's start to the last message
 * out), and the drain time against the same drain with no subscribers and no notifier.
 */
export const notifyMeasurements: Measurement[] = [
  {
    name: 'notify-endings',
    label: 'notifications of 10,000 job endings × 3 subscribers',
    unit: 'notifications/s',
    run: async ({ kind }) => {
      const quiet = await drain(kind, false);
      const heard = await drain(kind, true);
      const cost = ((heard.drainMs - quiet.drainMs) / quiet.drainMs) * 100;
      return {
        value: heard.delivered / (heard.deliverMs / 1000),
        detail: `${heard.delivered} sent ${(heard.deliverMs / 1000).toFixed(1)} s after the first job started; drain ${(heard.drainMs / 1000).toFixed(1)} s against ${(quiet.drainMs / 1000).toFixed(1)} s unheard (${cost >= 0 ? '+' : ''}${cost.toFixed(0)} %)`,
      };
    },
  },
];
