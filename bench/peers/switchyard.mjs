// Switchyard adapter for the side-by-side peers harness (../shared/peers), on the public API only.
//
//   P=$(mktemp -d) && cp -r ../shared/peers/. "$P" && cp bench/peers/switchyard.mjs "$P/adapters/switchyard.mjs"
//   cd "$P" && npm ci && SWITCHYARD_DIR=<this checkout, built> BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/bench \
//     node run.mjs --peers "graphile,switchyard,switchyard:store=postgres" --workloads process,multiproc,latency --reps 1
//
// What runs, per process: `createHub({ db, workflows: [bench-noop], console: false })` — the
// hub `switchyard start` runs, minus its HTTP server — and `hub.startWorker({ concurrency: C,
// isolation: 'in-process' })`, the hub's own local worker (the harness's handler is a function
// of this process, so it cannot run in a worker thread). One workflow `bench-noop`: one task
// that calls the harness's handler with the job's fields as read back from the store. Every job
// keeps its full history (job and task rows, events, counters), as in production.
//  - enqueue = hub.submit(); bulk = hub.engine.submitMany() (one transaction per call);
//  - completion signal: hub.on('job:finished') — fired once the job's end is in the store;
//  - pending() = hub.openJobs();
//  - reset() = close the hub; SQLite: delete the file; PostgreSQL: DROP SCHEMA … CASCADE.
//  - SQLite multiproc: every process opens the same file (SWITCHYARD_PEERS_SQLITE_DIR), which
//    relies on SQLite's own locking (not a documented setup); PostgreSQL: several hubs on one
//    schema, the documented scale-out.
// Options: :store=postgres (schema switchyard_bench, :schema=NAME), :prefetch=N, :pollWaitMs=N.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const name = 'switchyard';
export const backend = 'sqlite';

const DIR_ENV = 'SWITCHYARD_PEERS_SQLITE_DIR';
const WORKFLOW = 'bench-noop';

export async function create(opts = {}) {
  const dir = path.resolve(process.env.SWITCHYARD_DIR || '.');
  const req = createRequire(path.join(dir, 'package.json'));
  const sy = await import(pathToFileURL(req.resolve('switchyard')).href);
  const pg = req('pg');
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const kind = opts.store === 'postgres' || opts.store === 'pg' ? 'postgres' : 'sqlite';
  const pgUrl = opts.url || process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/bench';
  const schema = opts.schema || 'switchyard_bench';
  let dataDir = null;
  let ownsDir = false;
  if (kind === 'sqlite') {
    dataDir = process.env[DIR_ENV] || fs.mkdtempSync(path.join(os.tmpdir(), 'swy-peers-'));
    ownsDir = !process.env[DIR_ENV];
    process.env[DIR_ENV] = dataDir;
  }
  const db = kind === 'sqlite' ? path.join(dataDir, 'switchyard.db') : `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${encodeURIComponent(schema)}`;

  let run = null; // the harness's handler, once a worker starts in this process
  const workflow = sy.defineWorkflow({
    name: WORKFLOW,
    fields: sy.z.looseObject({ i: sy.z.number(), t: sy.z.number() }),
    plan: () => [{ type: 'noop' }],
    tasks: {
      noop: async (ctx) => {
        if (!run) throw new Error('this process runs no worker');
        await run(ctx.job.id, ctx.job.fields);
      },
    },
  });
  let hub = null;
  const open = async () => {
    hub = await sy.createHub({ db, dataDir: dataDir ?? os.tmpdir(), workflows: [workflow], console: false });
  };
  const shut = async () => {
    if (hub) await hub.close({ graceMs: 2000 }).catch(() => {});
    hub = null;
  };
  await open();

  return {
    name,
    version: `switchyard ${pkg.version} (${kind})`,
    settings: {
      embedding: 'public API: createHub, hub.startWorker, hub.on(job:finished), hub.openJobs',
      store: kind === 'sqlite' ? 'SQLite file in a temp folder (product defaults)' : `PostgreSQL schema ${schema} (product defaults)`,
      job: `workflow ${WORKFLOW}: one no-op task per job, full history kept`,
      worker: `hub.startWorker({ concurrency: C, isolation: 'in-process'${opts.prefetch !== undefined ? `, prefetch: ${opts.prefetch}` : ''} })`,
    },
    async reset() {
      await shut();
      if (kind === 'sqlite') {
        for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
      } else {
        const client = new pg.Client({ connectionString: pgUrl });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await client.query('CHECKPOINT');
        } finally {
          await client.end();
        }
      }
      await open();
    },
    async enqueue(payload) {
      await hub.submit({ workflow: WORKFLOW, fields: payload });
    },
    async enqueueBulk(payloads) {
      await hub.engine.submitMany(
        payloads.map((fields) => ({ workflow: WORKFLOW, fields })),
        { name: 'bench', role: 'operator', sites: null },
      );
    },
    async startWorker({ concurrency, handler, onCompleted }) {
      // The harness's payload (the job's fields, as read back from the store) by job, from its
      // start to its end.
      const fieldsOf = new Map();
      run = async (jobId, fields) => {
        fieldsOf.set(jobId, fields);
        await handler(fields);
      };
      const off = hub.on('job:finished', (event) => {
        const payload = fieldsOf.get(event.jobId);
        if (payload === undefined) return;
        fieldsOf.delete(event.jobId);
        if (event.state === 'success') onCompleted(payload);
      });
      const worker = await hub.startWorker({
        concurrency,
        isolation: 'in-process',
        ...(opts.prefetch !== undefined ? { prefetch: Number(opts.prefetch) } : {}),
        ...(opts.pollWaitMs !== undefined ? { pollWaitMs: Number(opts.pollWaitMs) } : {}),
      });
      return {
        stop: async () => {
          off();
          await worker.stop({ graceMs: 5000 });
        },
      };
    },
    pending: () => hub.openJobs(),
    async close() {
      await shut();
      if (ownsDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
