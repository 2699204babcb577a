/**
 * Switchyard benchmarks (not tests): throughput and latency of the engine on one store.
 *
 *   npm run bench                      # embedded SQLite
 *   npm run bench -- --store postgres  # PostgreSQL (SWITCHYARD_TEST_PG_URL or the local test database)
 *   npm run bench -- --only processing --jobs 50000
 *
 * Each measurement gets a fresh store. Figures are printed as a table; `--json` prints them
 * as JSON too. Every job keeps its full history (job, task, events), as in production.
 */
import { parseArgs } from 'node:util';
import type { StoreKind } from './bench-store.js';
import { type Measurement, measurements } from './measurements.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    only: { type: 'string' },
    jobs: { type: 'string', default: '20000' },
    items: { type: 'string', default: '200000' },
    seconds: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const kind = values.store as StoreKind;
if (kind !== 'sqlite' && kind !== 'postgres') throw new Error('--store is sqlite or postgres');

const options = { kind, jobs: Number(values.jobs), items: Number(values.items), seconds: Number(values.seconds) };
const chosen = values.only ? measurements.filter((m) => values.only?.split(',').includes(m.name)) : measurements;
const results: { name: string; figure: string; detail: string }[] = [];
console.log(`Switchyard bench on ${kind}, Node ${process.version}, ${new Date().toISOString()}`);
for (const measurement of chosen as Measurement[]) {
  process.stdout.write(`  ${measurement.label} … `);
  const result = await measurement.run(options);
  console.log(`${result.figure}  (${result.detail})`);
  results.push({ name: measurement.name, ...result });
}
if (values.json) console.log(JSON.stringify({ store: kind, results }, null, 2));
