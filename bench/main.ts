/**
 * Switchyard benchmarks (not tests): throughput and latency of the engine on one store.
 *
 *   npm run bench                      # embedded SQLite
 *   npm run bench -- --store postgres  # PostgreSQL (SWITCHYARD_TEST_PG_URL or the local test database)
 *   npm run bench -- --only processing --jobs 50000 --repeat 5
 *   npm run bench -- --only prune --prune-jobs 1000000 --repeat 1   # retention at a million jobs
 *   npm run bench -- --only scale --repeat 1                         # lists, items, export at 1,000,000 jobs
 *   npm run bench -- --only scale --scale-jobs 100000 --scale-items 100000 --repeat 1   # a quicker run
 *   npm run bench -- --only export-scale --repeat 1                  # CSV and XLSX export memory at 1,000,000 jobs
 *   npm run bench -- --only console-list --repeat 1                  # the jobs list's Load more in Chromium (npm run build:web first)
 *   npm run bench -- --only transfer --transfer-files 100000 --transfer-mb 2048 --repeat 1   # send-to-site at full size
 *
 * Processing is measured at worker concurrency 1, 10 and 50, handlers in-process and in threads.
 * `--only bulk` measures a bulk cancel of 100,000 jobs and the dashboard over 1,000,000;
 * `--only bulk-cancel --bulk-jobs 10000` the cancel alone, over fewer jobs.
 *
 * Each run of each measurement gets a fresh store. Shared machines are noisy, so every
 * measurement runs --repeat times (default 3) and the median is reported with the range.
 * Every job keeps its full history (job, task, events), as in production.
 */
import { parseArgs } from 'node:util';
import type { StoreKind } from './bench-store.js';
import { bulkMeasurements } from './bulk.js';
import { changeMeasurements } from './changes.js';
import { concurrencyMeasurements } from './concurrency.js';
import { consoleListMeasurements } from './console-list.js';
import { dataWorkflowMeasurements } from './data-workflows.js';
import { envelopeMeasurements } from './envelopes.js';
import { exportScaleMeasurements } from './export-scale.js';
import { lockMeasurements } from './locks.js';
import { type Measurement, measurements } from './measurements.js';
import { notifyMeasurements } from './notify.js';
import { processingMeasurements } from './processing.js';
import { pruneMeasurements } from './prune.js';
import { scaleMeasurements } from './scale.js';
import { transferMeasurements } from './transfer.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    only: { type: 'string' },
    jobs: { type: 'string', default: '20000' },
    items: { type: 'string', default: '200000' },
    seconds: { type: 'string', default: '10' },
    'prune-jobs': { type: 'string', default: '100000' },
    'scale-jobs': { type: 'string', default: '1000000' },
    'scale-items': { type: 'string', default: '1000000' },
    'bulk-jobs': { type: 'string', default: '100000' },
    'bulk-batch': { type: 'string' },
    'transfer-files': { type: 'string', default: '10000' },
    'transfer-mb': { type: 'string', default: '200' },
    repeat: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const kind = values.store as StoreKind;
if (kind !== 'sqlite' && kind !== 'postgres') {
  console.error(`--store ${kind}: sqlite or postgres`);
  process.exit(2);
}

const options = {
  kind,
  jobs: Number(values.jobs),
  items: Number(values.items),
  seconds: Number(values.seconds),
  pruneJobs: Number(values['prune-jobs']),
  scaleJobs: Number(values['scale-jobs']),
  scaleItems: Number(values['scale-items']),
  bulkJobs: Number(values['bulk-jobs']),
  bulkBatch: values['bulk-batch'] === undefined ? undefined : Number(values['bulk-batch']),
  transferFiles: Number(values['transfer-files']),
  transferMb: Number(values['transfer-mb']),
};
const repeat = Math.max(1, Number(values.repeat));
const all = [
  ...measurements.slice(0, 3),
  ...processingMeasurements,
  ...measurements.slice(3),
  ...lockMeasurements,
  ...concurrencyMeasurements,
  ...notifyMeasurements,
  ...pruneMeasurements,
  ...bulkMeasurements,
  ...envelopeMeasurements,
  ...changeMeasurements,
  ...scaleMeasurements,
  ...exportScaleMeasurements,
  ...dataWorkflowMeasurements,
  ...transferMeasurements,
  ...consoleListMeasurements,
];
if (values.help) {
  console.log(`npm run bench -- [--store sqlite|postgres] [--only NAME,…] [--repeat N] [--jobs N] [--json]
  (more sizes: --items --seconds --prune-jobs --scale-jobs --scale-items --bulk-jobs --bulk-batch --transfer-files --transfer-mb)
Measurements (--only takes a name or the start of names: \`--only processing\`):
${all.map((m) => `  ${m.name.padEnd(34)} ${m.label}`).join('\n')}`);
  process.exit(0);
}
// --only takes names or their prefixes: `--only processing` runs every processing-* measurement.
const wanted = values.only?.split(',');
const chosen = wanted ? all.filter((m) => wanted.some((w) => m.name === w || m.name.startsWith(`${w}-`))) : all;
if (chosen.length === 0) {
  console.error(`--only ${values.only}: no such measurement (npm run bench -- --help lists them)`);
  process.exit(2);
}
const results: { name: string; median: number; unit: string; runs: number[]; detail: string }[] = [];
console.log(`Switchyard bench on ${kind}, Node ${process.version}, ${new Date().toISOString()}, median of ${repeat}`);
for (const measurement of chosen as Measurement[]) {
  process.stdout.write(`  ${measurement.label} … `);
  const runs: { value: number; detail: string }[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await measurement.run(options));
  const sorted = [...runs].sort((a, b) => a.value - b.value);
  const median = sorted[Math.floor(sorted.length / 2)];
  const show = (v: number) => `${Math.round(v * 100) / 100}`.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  console.log(`${show(median.value)} ${measurement.unit}  [${sorted.map((r) => show(r.value)).join(', ')}]  (${median.detail})`);
  results.push({ name: measurement.name, median: median.value, unit: measurement.unit, runs: runs.map((r) => r.value), detail: median.detail });
}
if (values.json) console.log(JSON.stringify({ store: kind, results }, null, 2));
