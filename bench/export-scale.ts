import { performance } from 'node:perf_hooks';
import { Engine } from '../src/engine/engine.js';
import { benchStore } from './bench-store.js';
import type { Measurement } from './measurements.js';
import { exportCsv, jobSpec, workflows } from './scale.js';

/**
 * Export at scale, alone (`--only export-scale --scale-jobs N`, default 1,000,000): the jobs of
 * the scale measurement, then a CSV and an XLSX download of all of them over HTTP, RSS sampled.
 * The value is the larger RSS growth (MB); the goal is under 100 MB whatever N is. A quicker
 * way to look at export memory than `--only scale`, which also times every list and items read.
 */
export const exportScaleMeasurements: Measurement[] = [
  {
    name: 'export-scale',
    label: 'CSV and XLSX export of every job (worst RSS growth)',
    unit: 'MB',
    run: async ({ kind, scaleJobs }) => {
      const { store, dispose } = await benchStore(kind);
      try {
        const now = Date.now();
        const started = performance.now();
        for (let i = 0; i < scaleJobs; i += 1000) {
          const batch = Array.from({ length: Math.min(1000, scaleJobs - i) }, (_, k) => jobSpec(i + k));
          await store.submitJobs(batch, now - 30 * 86_400_000 + i);
        }
        const submitS = (performance.now() - started) / 1000;
        const engine = new Engine({ store, workflows, runDuties: false });
        await engine.init();
        try {
          const facts = [await exportCsv(engine, scaleJobs, 'csv'), await exportCsv(engine, scaleJobs, 'xlsx')];
          const growth = facts.map((f) => Number(/peak \+(-?\d+) MB/.exec(f)?.[1] ?? Number.NaN));
          for (const fact of facts) console.log(`\n    ${fact}`);
          return { value: Math.max(...growth), detail: `${scaleJobs.toLocaleString('en')} jobs submitted in ${submitS.toFixed(0)} s` };
        } finally {
          await engine.stop();
        }
      } finally {
        await dispose();
      }
    },
  },
];
