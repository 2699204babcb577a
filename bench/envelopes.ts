import { performance } from 'node:perf_hooks';
import { Engine } from '../src/engine/engine.js';
import { defineWorkflow, z } from '../src/index.js';
import { SYSTEM_ACTOR } from '../src/model/index.js';
import { WorkflowRegistry } from '../src/sdk/workflow-registry.js';
import type { Store } from '../src/store/store.js';
import { benchStore } from './bench-store.js';
import type { Measurement } from './measurements.js';

const ENVELOPE_JOBS = 1_000;

/** One task per job that "changes" something, and its compensation. Handlers never run here: the bench completes tasks itself. */
const step = defineWorkflow({
  name: 'bench-step',
  fields: z.object({ n: z.number().int() }),
  plan: (fields) => [{ type: 'write', input: { n: fields.n } }],
  tasks: { write: () => ({ changed: true }) },
  rollback: { write: () => ({ changed: true }) },
});

/** Leases and completes until nothing is leasable; answers how many tasks ran (one at a time, as a chain allows). */
async function drain(engine: Engine, store: Store): Promise<number> {
  let ran = 0;
  for (;;) {
    const leased = await store.leaseTasks({ workerId: 'bench', site: 'local', workflows: ['bench-step'], limit: 100, leaseMs: 60_000, now: Date.now() });
    if (leased.length === 0) return ran;
    await engine.complete(
      leased.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: true, result: { ok: true } } })),
    );
    ran += leased.length;
  }
}

/**
 * An envelope of 1,000 one-task jobs, chained: submitted through the engine (validated and
 * planned, written in one transaction), run to the end one job after the other (each member's
 * end lets the next go in the same transaction), then rolled back: one rollback job of 1,000
 * compensations, newest first. Reports the whole time; the detail splits it.
 */
export const envelopeMeasurements: Measurement[] = [
  {
    name: 'envelope-chain-rollback',
    label: `envelope of ${ENVELOPE_JOBS.toLocaleString('en')} chained jobs, run and rolled back`,
    unit: 's',
    run: async ({ kind }) => {
      const { store, dispose } = await benchStore(kind);
      const engine = new Engine({ store, workflows: new WorkflowRegistry([step]), runDuties: false });
      try {
        await engine.init();
        const t0 = performance.now();
        const { envelope } = await engine.envelopes.submit(
          { type: 'jobs', jobs: Array.from({ length: ENVELOPE_JOBS }, (_, n) => ({ workflow: 'bench-step', fields: { n } })) },
          SYSTEM_ACTOR,
        );
        const t1 = performance.now();
        const ran = await drain(engine, store);
        const chained = await store.getEnvelope(envelope.id);
        if (ran !== ENVELOPE_JOBS || chained?.status !== 'success') throw new Error(`chain ended ${chained?.status} after ${ran} tasks`);
        const t2 = performance.now();
        await engine.envelopes.rollback(envelope.id, SYSTEM_ACTOR);
        const t3 = performance.now();
        const undone = await drain(engine, store);
        const rolled = await store.getEnvelope(envelope.id);
        if (undone !== ENVELOPE_JOBS || rolled?.status !== 'rolled-back') throw new Error(`rollback ended ${rolled?.status} after ${undone} compensations`);
        const t4 = performance.now();
        const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
        return {
          value: (t4 - t0) / 1000,
          detail: `submit ${s(t1 - t0)}, chain ${s(t2 - t1)} (${Math.round(ENVELOPE_JOBS / ((t2 - t1) / 1000))} jobs/s), plan rollback ${s(t3 - t2)}, compensations ${s(t4 - t3)}`,
        };
      } finally {
        await engine.stop();
        await dispose();
      }
    },
  },
];
