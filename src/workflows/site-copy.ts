import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { joinSitePath, resolveInSite, type SiteEntry, SitePathError, showPathBytes, type TaskContext, walkSite, z } from '../index.js';
import { checkSitePath } from '../sdk/site-paths.js';
import { isTransferPartial, type TransferBlob } from '../sdk/transfer.js';

/**
 * What the workflows that copy files between sites (send-to-site, sync) share: listings of a
 * tree as blobs, copy batches, and the `read` (upload at the source) and `write` (download at
 * the target) halves of a copy.
 */

// biome-ignore lint/suspicious/noExplicitAny: the copying workflows' handlers take any fields
type Ctx = TaskContext<any, any>;

/** Most files in one copy batch (a `read` task and its `write` task), and most bytes (a larger file goes alone). */
export const BATCH_FILES = 1000;
export const BATCH_BYTES = 256 * 1024 * 1024;

/** One entry of a listing as it travels (NDJSON lines of the listing blob, and task inputs). */
export type Listed = {
  /** Path relative to the walked directory, shown as text. */
  p: string;
  /** Its bytes, base64, when they are not UTF-8. */
  r?: string;
  /** file / directory / symlink / other. */
  k: SiteEntry['kind'];
  s: number;
  m: number;
};

/** A file a write task gets: where it goes (relative to the target path), its blob and modification time. */
export type Arriving = Listed & { sha256: string };

/** A field holding a path relative to a site's root. */
export const sitePath = z
  .string()
  .max(4096)
  .refine((path) => {
    try {
      checkSitePath(path);
      return true;
    } catch {
      return false;
    }
  }, 'a path relative to the site root, without ".."')
  .describe('A path relative to the site root ("" for the whole site)');

/** A listed entry as it travels: its path (and bytes when not UTF-8), kind, size and modification time. */
export function listed(entry: SiteEntry): Listed {
  return { p: entry.path, ...(entry.raw ? { r: entry.raw } : {}), k: entry.kind, s: entry.size, m: entry.mtimeMs };
}

/** What an item is called: `entry` under `base` (a site path), or `base` itself ("." for the root). */
export function itemPath(base: string, entry: { path: string }): string {
  if (!entry.path) return base || '.';
  return base ? `${base.replace(/\/+$/, '')}/${entry.path}` : entry.path;
}

function parentOf(path: string | Buffer): string | Buffer {
  if (typeof path === 'string') return dirname(path);
  return path.subarray(0, Math.max(1, path.lastIndexOf(0x2f)));
}

export function fileError(error: unknown): string {
  if (error instanceof SitePathError) return error.message;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'vanished: no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way of a directory';
  if (code === 'SWY_ERR_TRANSFER_NOT_FOUND') return 'the hub no longer holds this file (its job ended before it was written): send it again';
  return (error as Error)?.message ?? String(error);
}

/** The entries under `root` (a directory), or the one file `root` is (path ""); nothing when it does not exist. */
export async function* sourceEntries(ctx: Ctx, root: string): AsyncGenerator<SiteEntry> {
  const info = await lstat(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!info) return;
  if (!info.isDirectory()) {
    const kind = info.isSymbolicLink() ? 'symlink' : info.isFile() ? 'file' : 'other';
    yield { path: '', kind, size: kind === 'file' ? info.size : 0, mtimeMs: Math.floor(info.mtimeMs) };
    return;
  }
  for await (const entry of walkSite(root, { signal: ctx.signal, root: ctx.site.root })) {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    if (entry.kind === 'file' && isTransferPartial(name)) continue;
    yield entry;
  }
}

/** Walks `root` and puts its listing (NDJSON of Listed) as a blob, written through a temporary file: never held whole in memory. */
export async function listTree(ctx: Ctx, root: string): Promise<{ blob: TransferBlob; entries: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-listing-'));
  try {
    const file = join(dir, 'listing.ndjson');
    const out = createWriteStream(file);
    let entries = 0;
    for await (const entry of sourceEntries(ctx, root)) {
      if (!out.write(`${JSON.stringify(listed(entry))}\n`)) await once(out, 'drain');
      entries += 1;
    }
    out.end();
    await once(out, 'close');
    return { blob: await ctx.transfer.put(file), entries };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Gets a listing blob and reads it into a map from path (its bytes' base64 when not UTF-8) to entry. */
export async function readListing(ctx: Ctx, blob: TransferBlob): Promise<Map<string, Listed>> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-listing-'));
  try {
    const file = join(dir, 'listing.ndjson');
    await ctx.transfer.get(blob, file);
    const map = new Map<string, Listed>();
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
      if (!line) continue;
      const entry = JSON.parse(line) as Listed;
      map.set(entry.r ?? entry.p, entry);
    }
    return map;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Cuts files into copy batches (at most BATCH_FILES files or BATCH_BYTES, a larger file alone); `flush` gets each full batch. */
export function batcher(flush: (files: Listed[]) => void): { add(file: Listed): void; end(): void; batches(): number } {
  let batch: Listed[] = [];
  let bytes = 0;
  let count = 0;
  const cut = () => {
    if (batch.length === 0) return;
    flush(batch);
    count += 1;
    batch = [];
    bytes = 0;
  };
  return {
    add(file) {
      if (batch.length > 0 && (batch.length >= BATCH_FILES || bytes + file.s > BATCH_BYTES)) cut();
      batch.push(file);
      bytes += file.s;
    },
    end: cut,
    batches: () => count,
  };
}

/**
 * The source half of a copy: puts each file of `files` (relative to `base`, a site path at
 * this task's site) to the hub, answering what the target must get. A file that vanished,
 * cannot be read or became a symlink is recorded failed (named by `shown`) and left out.
 */
export async function uploadFiles(ctx: Ctx, files: Listed[], base: string, shown: (file: Listed) => string): Promise<Arriving[]> {
  const total = files.reduce((sum, file) => sum + file.s, 0);
  const arriving: Arriving[] = [];
  let done = 0;
  for (const file of files) {
    ctx.signal.throwIfAborted();
    const name = shown(file);
    if (file.k === 'directory') {
      arriving.push({ ...file, sha256: '' });
      continue;
    }
    try {
      const path = await resolveInSite(ctx.site.root, joinSitePath(base, { path: file.p, raw: file.r }));
      const info = await lstat(path);
      if (info.isSymbolicLink()) throw new SitePathError('it became a symlink since it was listed: not followed', name);
      if (!info.isFile()) throw new Error('no longer a regular file');
      const start = done;
      const blob = await ctx.transfer.put(path, { onProgress: (bytes) => ctx.progress(start + bytes, total) });
      arriving.push({ ...file, s: blob.size, m: Math.floor(info.mtimeMs), sha256: blob.sha256 });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      ctx.item(name, { operation: 'copy', outcome: 'failed', error: fileError(error) });
    }
    done += file.s;
    ctx.progress(done, total);
  }
  return arriving;
}

/**
 * The target half of a copy: gets each file of `files` into place under `base` (a site path
 * at this task's site), with its modification time, and makes each directory. Records one
 * item per entry (named by `shown`) and one change per file or directory added or changed
 * (named by `changePath` from its site path). Answers how many were written.
 */
export async function writeFiles(
  ctx: Ctx,
  files: Arriving[],
  base: string,
  shown: (file: Listed) => string,
  changePath: (sitePath: string) => string = (path) => path,
): Promise<number> {
  const total = files.reduce((sum, file) => sum + file.s, 0);
  let done = 0;
  let written = 0;
  for (const file of files) {
    ctx.signal.throwIfAborted();
    const name = shown(file);
    try {
      const relative = joinSitePath(base, { path: file.p, raw: file.r });
      const changed = changePath(typeof relative === 'string' ? relative : showPathBytes(relative));
      const destination = await resolveInSite(ctx.site.root, relative);
      if (file.k === 'directory') {
        const existed = await lstat(destination).then(
          () => true,
          () => false,
        );
        await mkdir(destination, { recursive: true });
        await resolveInSite(ctx.site.root, relative);
        ctx.item(name, { operation: 'mkdir', outcome: 'completed' });
        if (!existed) ctx.change(changed, { change: 'added' });
        written += 1;
        continue;
      }
      const existing = await lstat(destination).catch(() => null);
      if (existing?.isDirectory()) throw new Error('a directory is in the way at the target');
      await mkdir(parentOf(destination), { recursive: true });
      // The directories just made may not lead out of the site: check again now they exist.
      await resolveInSite(ctx.site.root, relative);
      const start = done;
      await ctx.transfer.get({ sha256: file.sha256, size: file.s }, destination, {
        mtimeMs: file.m,
        onProgress: (bytes) => ctx.progress(start + bytes, total),
      });
      ctx.item(name, { operation: 'copy', outcome: 'completed', bytes: file.s });
      ctx.change(changed, existing ? { change: 'changed', sizeBefore: existing.size, sizeAfter: file.s } : { change: 'added', sizeAfter: file.s });
      written += 1;
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      ctx.item(name, { operation: file.k === 'directory' ? 'mkdir' : 'copy', outcome: 'failed', error: fileError(error) });
    }
    done += file.s;
    ctx.progress(done, total);
  }
  return written;
}
