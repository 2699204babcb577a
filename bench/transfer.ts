import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHub } from '../src/hub/index.js';
import type { BenchOptions, Measurement } from './measurements.js';

/**
 * send-to-site between two sites served by one process (a hub with a worker per site, handlers
 * in threads, blobs through the hub's local store on SQLite): N small files
 * (`--transfer-files`, default 10,000) and one large file (`--transfer-mb`, default 200).
 * Reports files/s or MB/s of the whole job (listing, planning, reading, writing), and the
 * process's peak RSS sampled every 50 ms while it runs: memory stays bounded whatever the
 * sizes, since no file is held whole.
 */
async function sendToSite(prepare: (source: string) => void): Promise<{ ms: number; peakRssMb: number; state: string; files: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'swy-bench-transfer-'));
  try {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    mkdirSync(join(a, 'src'), { recursive: true });
    mkdirSync(b);
    prepare(join(a, 'src'));
    const hub = await createHub({ dataDir: join(dir, 'hub'), console: false, defaultSite: 'a' });
    try {
      await hub.startWorker({ site: 'a', root: a, pollWaitMs: 100, concurrency: 8 });
      await hub.startWorker({ site: 'b', root: b, pollWaitMs: 100, concurrency: 8 });
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 50);
      const started = performance.now();
      const job = await hub.submit({
        workflow: 'send-to-site',
        site: 'a',
        fields: { sourceSite: 'a', sourcePath: 'src', targetSite: 'b', targetPath: 'copy' },
      });
      const done = await hub.waitForJob(job.id, { timeoutMs: 60 * 60_000 });
      const ms = performance.now() - started;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      if (done.state !== 'success') throw new Error(`send-to-site ended ${done.state}`);
      return { ms, peakRssMb: peak / 1024 / 1024, state: done.state, files: done.itemCounts.completed };
    } finally {
      await hub.close({ graceMs: 1000 });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const transferMeasurements: Measurement[] = [
  {
    name: 'transfer-files',
    label: 'send-to-site, small files',
    unit: 'files/s',
    async run(options: BenchOptions) {
      const count = options.transferFiles ?? 10_000;
      const result = await sendToSite((source) => {
        for (let i = 0; i < count; i++) {
          const sub = join(source, `d${Math.floor(i / 1000)}`);
          if (i % 1000 === 0) mkdirSync(sub, { recursive: true });
          writeFileSync(join(sub, `f${i}.txt`), randomBytes(64 + (i % 4096)));
        }
      });
      if (result.files !== count) throw new Error(`copied ${result.files} of ${count} files`);
      return {
        value: (count * 1000) / result.ms,
        detail: `${count} files of 64 B–4 KiB in ${Math.round(result.ms)} ms, peak RSS ${Math.round(result.peakRssMb)} MB`,
      };
    },
  },
  {
    name: 'transfer-large',
    label: 'send-to-site, one large file',
    unit: 'MB/s',
    async run(options: BenchOptions) {
      const mb = options.transferMb ?? 200;
      const result = await sendToSite((source) => {
        const file = join(source, 'large.bin');
        writeFileSync(file, '');
        // Real random bytes, written out (no sparse file), 8 MiB at a time.
        for (let at = 0; at < mb; at += 8) appendFileSync(file, randomBytes(Math.min(8, mb - at) * 1024 * 1024));
      });
      return {
        value: (mb * 1000) / result.ms,
        detail: `${mb} MiB in ${Math.round(result.ms)} ms (hashed at the source, at the hub and at the target), peak RSS ${Math.round(result.peakRssMb)} MB`,
      };
    },
  },
];
