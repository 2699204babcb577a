import { fail, resolveInSite, SitePathError, type TaskContext } from '../index.js';
import { checkSitePath } from '../sdk/site-paths.js';
import {
  byteProgress,
  differences,
  entryResolver,
  itemError,
  type Manifest,
  type ManifestEntry,
  manifestEntry,
  retryPathsOf,
  retryTarget,
  scanTree,
  type TreeEntry,
  within,
} from './site-tree.js';

// biome-ignore lint/suspicious/noExplicitAny: the data workflows' handlers take any fields
type Ctx = TaskContext<any, any>;

/** Files looked at once by one task. */
const PARALLEL_FILES = 8;

export interface Inventory {
  /** The tree as it is now (entries outside a retry's paths carried over from the previous manifest). */
  entries: ManifestEntry[];
  /** What differs from the previous manifest, within the paths looked at. */
  differences: ReturnType<typeof differences>;
  files: number;
  bytes: number;
  failed: number;
}

/**
 * Looks at every file, directory and symlink under `path` (or, on a retry of failed items,
 * under those items' paths only) and compares them with `previous`. Every entry is recorded
 * as a `queued` item first, then as completed or failed with `operation`. `digest` reads a
 * file and answers its sha256, reporting bytes as it goes. A file that cannot be read keeps
 * its previous entry (no difference is claimed); one that vanished is gone from the result.
 */
export async function takeInventory(
  ctx: Ctx,
  options: {
    root: string;
    path: string;
    previous: Manifest | null;
    operation: string;
    digest(absolute: Buffer, entry: TreeEntry, onBytes: (bytes: number) => void): Promise<string>;
  },
): Promise<Inventory> {
  const { root, previous, operation } = options;
  let top: string;
  try {
    top = checkSitePath(options.path).split('\\').join('/');
  } catch (error) {
    fail(`path "${options.path}": ${(error as Error).message}`);
  }
  const retry = retryPathsOf(ctx);
  const scopes = retry ?? [top];
  const before = previous?.entries ?? [];
  const scanned: TreeEntry[] = [];
  const refused: { path: string; error: string }[] = [];
  for (const scope of scopes) {
    try {
      // The path asked for must lead inside the root even through symlinks (what is under it is never followed).
      if (scope === top) await resolveInSite(root, top);
      const found = await scanTree(root, retryTarget(scope, before), ctx.signal, scope !== top);
      if (found.length === 0 && scope === top && top !== '') fail(`"${top}" does not exist at site "${ctx.site.name}"`);
      scanned.push(...found);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      if (scope === top && error instanceof SitePathError) fail(`path "${options.path}": ${error.message}`);
      // The path itself cannot be read (permission denied…): no retry will change that.
      if (scope === top && (error as NodeJS.ErrnoException)?.code) fail(`path "${options.path}": ${itemError(error)}`);
      if (scope === top) throw error;
      refused.push({ path: scope, error: itemError(error) });
    }
  }
  for (const entry of scanned) ctx.item(entry.path, { operation, outcome: 'queued', bytes: entry.size });
  const total = scanned.reduce((sum, entry) => sum + entry.size, 0);
  const progress = byteProgress(ctx, total);
  ctx.progress(0, total);

  const old = new Map(before.map((entry) => [entry.path, entry]));
  const fresh: ManifestEntry[] = [];
  let failed = 0;
  let files = 0;
  // Paths not looked into (refused, or a directory that could not be listed): what was known under them stays.
  const blind: string[] = [];
  for (const { path, error } of refused) {
    blind.push(path);
    ctx.item(path, { operation, outcome: 'failed', error });
    failed++;
  }
  const resolve = entryResolver(root);
  const results: (ManifestEntry | undefined)[] = new Array(scanned.length);
  const look = async (index: number): Promise<void> => {
    const entry = scanned[index];
    try {
      if (entry.error) throw new Error(entry.error);
      const absolute = await resolve(entry.bytes);
      const described = await manifestEntry(entry, absolute);
      if (!described) {
        ctx.item(entry.path, { operation, outcome: 'skipped', error: 'not a file, directory or symlink' });
        return;
      }
      if (described.kind === 'file') {
        let read = 0;
        described.sha256 = await options.digest(absolute, entry, (bytes) => {
          read += bytes;
          progress.add(bytes);
        });
        described.size = read;
        files++;
      }
      results[index] = described;
      ctx.item(entry.path, { operation, outcome: 'completed', bytes: described.size });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      ctx.item(entry.path, { operation, outcome: 'failed', bytes: entry.size, error: itemError(error) });
      failed++;
      // Unreadable is not changed: keep what was known. Vanished is removed.
      const code = (error as NodeJS.ErrnoException)?.code;
      const known = old.get(entry.path);
      if (known && code !== 'ENOENT') results[index] = known;
      if (entry.kind === 'directory' && code !== 'ENOENT') {
        if (!known) results[index] = { path: entry.path, kind: 'directory', size: 0 };
        blind.push(entry.path);
      }
    }
  };
  // A few files at once: small files are bound by file system round trips, not by bytes.
  let next = 0;
  const lane = async () => {
    while (next < scanned.length) {
      ctx.signal.throwIfAborted();
      await look(next++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FILES, scanned.length) }, lane));
  for (const described of results) if (described) fresh.push(described);
  ctx.progress(total, total);
  const inScope = (entry: ManifestEntry) => scopes.some((scope) => within(entry.path, scope));
  const outside = before.filter((entry) => !inScope(entry) && within(entry.path, top));
  const entries = [...outside, ...fresh].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const present = new Set(entries.map((entry) => entry.path));
  for (const entry of before) {
    if (!present.has(entry.path) && inScope(entry) && blind.some((path) => within(entry.path, path) && entry.path !== path)) entries.push(entry);
  }
  return {
    entries,
    differences: differences(
      before.filter((entry) => within(entry.path, top)),
      entries,
    ),
    files,
    bytes: progress.done(),
    failed,
  };
}
