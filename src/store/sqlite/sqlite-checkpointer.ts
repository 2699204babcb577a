import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the background thread copies the WAL back into the database file. */
const INTERVAL_MS = 500;

/**
 * Checkpoints the WAL from a worker thread with its own connection. A checkpoint inside a
 * COMMIT on the main thread (SQLite's automatic one) stalls every request for several
 * milliseconds; a PASSIVE checkpoint elsewhere never blocks writers, so the main connection
 * keeps automatic checkpoints only as a far-off safety net (see SqliteStore).
 *
 * The thread is evaluated from source text so it runs the same from src/ and dist/; it is
 * given the resolved path of better-sqlite3 because an evaluated thread resolves modules from
 * the working directory, which may be anywhere.
 */
export class SqliteCheckpointer {
  private readonly thread: Worker;

  constructor(path: string) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      const Database = require(workerData.driver);
      const db = new Database(workerData.path);
      db.pragma('busy_timeout = 1000');
      const timer = setInterval(() => {
        try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: next round */ }
      }, workerData.interval);
      parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
    `;
    this.thread = new Worker(source, { eval: true, workerData: { driver, path, interval: INTERVAL_MS } });
    this.thread.unref();
    this.thread.on('error', () => {
      // The main connection's automatic checkpoint still bounds the WAL.
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.thread.once('exit', resolve));
    this.thread.postMessage('stop');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
    await this.thread.terminate();
  }
}
