import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { newJob } from '../helpers/store-harness.js';

const mode = (path: string) => statSync(path).mode & 0o777;

/**
 * The SQLite database holds password and token hashes and every job's fields: its files are
 * owner-only whatever the process umask, and so is a directory the store creates for them.
 */
describe('sqlite store file modes', () => {
  let root: string;
  let store: SqliteStore | null = null;
  let umask: number;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'swy-modes-'));
    // The most permissive umask: whatever is owner-only below is the store's doing.
    umask = process.umask(0);
  });
  afterEach(async () => {
    process.umask(umask);
    await store?.close();
    store = null;
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the directories 0700 and the database, -wal and -shm files 0600', async () => {
    const path = join(root, 'data', 'hub', 'switchyard.db');
    store = new SqliteStore({ path });
    await store.migrate();
    await store.submitJobs([newJob()], 1);
    expect(mode(join(root, 'data'))).toBe(0o700);
    expect(mode(join(root, 'data', 'hub'))).toBe(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      expect(existsSync(file)).toBe(true);
      expect(mode(file).toString(8)).toBe('600');
    }
    expect(process.umask()).toBe(0);
  });

  it('narrows existing files to 0600 at open, leaving an existing directory as it is', async () => {
    const path = join(root, 'old.db');
    new BetterSqlite3(path).close();
    writeFileSync(`${path}-wal`, '');
    chmodSync(path, 0o644);
    chmodSync(`${path}-wal`, 0o666);
    chmodSync(root, 0o755);
    store = new SqliteStore({ path });
    await store.migrate();
    expect(mode(path).toString(8)).toBe('600');
    expect(mode(`${path}-wal`).toString(8)).toBe('600');
    expect(mode(root).toString(8)).toBe('755');
  });
});
