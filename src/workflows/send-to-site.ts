import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { defineWorkflow, joinSitePath, resolveInSite, type SiteEntry, SitePathError, showPathBytes, skip, type TaskContext, walkSite, z } from '../index.js';
import { checkSitePath } from '../sdk/site-paths.js';
import { isTransferPartial, type TransferBlob } from '../sdk/transfer.js';

/** Most files in one copy batch (a `read` task and its `write` task), and most bytes (a larger file goes alone). */
const BATCH_FILES = 1000;
const BATCH_BYTES = 256 * 1024 * 1024;

/** One entry of a listing as it travels (NDJSON lines of the listing blob, and task inputs). */
type Listed = {
  /** Path relative to the walked directory, shown as text. */
  p: string;
  /** Its bytes, base64, when they are not UTF-8. */
  r?: string;
  /** file / directory / symlink / other. */
  k: SiteEntry['kind'];
  s: number;
  m: number;
};

/** A file a write task gets: where it goes (relative to targetPath), its blob and modification time. */
type Arriving = Listed & { sha256: string };

const sitePath = z
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

/**
 * Sends a file or a directory tree from one site to another through the hub (see
 * `ctx.transfer`). `list-target` (at the target) lists what the target holds and hands the
 * listing to `plan` (at the source), which walks the source: a file whose size and
 * modification time match the target's is `skipped` ("up to date"); every other file is
 * recorded `queued` and goes into a copy batch (at most 1,000 files or 256 MiB), a `read` task
 * at the source that uploads the batch's files and spawns a `write` task at the target, which
 * downloads each, checks its sha256, sets its modification time to the source's and renames
 * it into place. A second identical run copies nothing and ends `skipped`. Symlinks are never
 * followed (recorded skipped); a file that vanished, cannot be read or lies outside the site
 * is recorded failed and the rest go on.
 */
export const sendToSite = defineWorkflow({
  name: 'send-to-site',
  module: import.meta.url,
  label: 'Send files to another site',
  description: 'Copies a file or directory tree from a source site to a target site through the hub, skipping files already up to date.',
  fields: z.object({
    sourceSite: z.string().min(1).max(64).describe('Site to copy from'),
    sourcePath: sitePath,
    targetSite: z.string().min(1).max(64).describe('Site to copy to'),
    targetPath: sitePath,
  }),
  timeoutMs: 6 * 60 * 60_000,
  stopGraceMs: 30_000,
  locks: (fields) => [
    { key: siteLock(fields.sourceSite, fields.sourcePath), mode: 'shared' },
    { key: siteLock(fields.targetSite, fields.targetPath), mode: 'exclusive' },
  ],
  plan: (fields) => [{ type: 'list-target', key: 'list-target', site: fields.targetSite }],
  tasks: {
    async 'list-target'(ctx) {
      const { targetPath, sourceSite } = ctx.job.fields;
      const target = await resolveInSite(ctx.site.root, targetPath);
      const listing = await listTree(ctx, target);
      ctx.spawn({ type: 'plan', key: 'plan', site: sourceSite, input: { listing: listing.blob } });
      ctx.log(`listed ${listing.entries} entries under "${targetPath || '.'}" at ${ctx.site.name}`);
      skip(`listed ${listing.entries} entries at the target`);
    },

    async plan(ctx) {
      const { sourcePath, targetSite } = ctx.job.fields;
      const { listing } = ctx.task.input as { listing: TransferBlob };
      const target = await readListing(ctx, listing);
      const source = await resolveInSite(ctx.site.root, sourcePath);
      let batch: Listed[] = [];
      let batchBytes = 0;
      let batches = 0;
      let queued = 0;
      let queuedBytes = 0;
      let upToDate = 0;
      const flush = () => {
        if (batch.length === 0) return;
        ctx.spawn({ type: 'read', input: { files: batch } });
        batches += 1;
        batch = [];
        batchBytes = 0;
      };
      for await (const entry of sourceEntries(ctx, source)) {
        const shown = itemPath(sourcePath, entry);
        if (entry.error) {
          ctx.item(shown, { operation: 'copy', outcome: 'failed', error: entry.error });
          continue;
        }
        if (entry.kind === 'directory') {
          const there = target.get(entry.raw ?? entry.path);
          if (there?.k === 'directory') {
            ctx.item(shown, { operation: 'mkdir', outcome: 'skipped', error: 'up to date' });
            upToDate += 1;
            continue;
          }
          ctx.item(shown, { operation: 'mkdir', outcome: 'queued' });
          queued += 1;
          if (batch.length >= BATCH_FILES) flush();
          batch.push({ p: entry.path, ...(entry.raw ? { r: entry.raw } : {}), k: 'directory', s: 0, m: entry.mtimeMs });
          continue;
        }
        if (entry.kind === 'symlink') {
          ctx.item(shown, { operation: 'copy', outcome: 'skipped', error: 'a symlink: not followed' });
          continue;
        }
        if (entry.kind !== 'file') {
          ctx.item(shown, { operation: 'copy', outcome: 'skipped', error: 'not a regular file' });
          continue;
        }
        const there = target.get(entry.raw ?? entry.path);
        if (there && there.k === 'file' && there.s === entry.size && there.m === entry.mtimeMs) {
          ctx.item(shown, { operation: 'copy', outcome: 'skipped', bytes: entry.size, error: 'up to date' });
          upToDate += 1;
          continue;
        }
        ctx.item(shown, { operation: 'copy', outcome: 'queued', bytes: entry.size });
        queued += 1;
        queuedBytes += entry.size;
        if (batch.length > 0 && (batch.length >= BATCH_FILES || batchBytes + entry.size > BATCH_BYTES)) flush();
        batch.push({ p: entry.path, ...(entry.raw ? { r: entry.raw } : {}), k: 'file', s: entry.size, m: entry.mtimeMs });
        batchBytes += entry.size;
      }
      flush();
      ctx.log(`${queued} files and directories (${queuedBytes} bytes) to copy to ${targetSite} in ${batches} batches; ${upToDate} up to date`);
      if (queued === 0) skip(upToDate > 0 ? 'up to date' : 'nothing to copy');
      return { changed: false, result: { queued, bytes: queuedBytes, upToDate, batches } };
    },

    async read(ctx) {
      const { sourcePath, targetSite } = ctx.job.fields;
      const { files } = ctx.task.input as { files: Listed[] };
      const total = files.reduce((sum, file) => sum + file.s, 0);
      const arriving: Arriving[] = [];
      let done = 0;
      for (const file of files) {
        ctx.signal.throwIfAborted();
        const shown = itemPath(sourcePath, { path: file.p });
        if (file.k === 'directory') {
          arriving.push({ ...file, sha256: '' });
          continue;
        }
        try {
          const path = await resolveInSite(ctx.site.root, joinSitePath(sourcePath, { path: file.p, raw: file.r }));
          const info = await lstat(path);
          if (info.isSymbolicLink()) throw new SitePathError('it became a symlink since it was listed: not followed', shown);
          if (!info.isFile()) throw new Error('no longer a regular file');
          const start = done;
          const blob = await ctx.transfer.put(path, { onProgress: (bytes) => ctx.progress(start + bytes, total) });
          arriving.push({ ...file, s: blob.size, m: Math.floor(info.mtimeMs), sha256: blob.sha256 });
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          ctx.item(shown, { operation: 'copy', outcome: 'failed', error: fileError(error) });
        }
        done += file.s;
        ctx.progress(done, total);
      }
      if (arriving.length > 0) ctx.spawn({ type: 'write', site: targetSite, input: { files: arriving } });
      return { changed: false, result: { uploaded: arriving.length } };
    },

    async write(ctx) {
      const { sourcePath, targetPath } = ctx.job.fields;
      const { files } = ctx.task.input as { files: Arriving[] };
      const total = files.reduce((sum, file) => sum + file.s, 0);
      let done = 0;
      let written = 0;
      for (const file of files) {
        ctx.signal.throwIfAborted();
        const shown = itemPath(sourcePath, { path: file.p });
        try {
          const relative = joinSitePath(targetPath, { path: file.p, raw: file.r });
          const destination = await resolveInSite(ctx.site.root, relative);
          if (file.k === 'directory') {
            const existed = await lstat(destination).then(
              () => true,
              () => false,
            );
            await mkdir(destination, { recursive: true });
            await resolveInSite(ctx.site.root, relative);
            ctx.item(shown, { operation: 'mkdir', outcome: 'completed' });
            if (!existed) ctx.change(typeof relative === 'string' ? relative : showPathBytes(relative), { change: 'added' });
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
          ctx.item(shown, { operation: 'copy', outcome: 'completed', bytes: file.s });
          ctx.change(typeof relative === 'string' ? relative : showPathBytes(relative), {
            change: existing ? 'changed' : 'added',
            ...(existing ? { sizeBefore: existing.size } : {}),
            sizeAfter: file.s,
          });
          written += 1;
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          ctx.item(shown, { operation: file.k === 'directory' ? 'mkdir' : 'copy', outcome: 'failed', error: fileError(error) });
        }
        done += file.s;
        ctx.progress(done, total);
      }
      return { changed: written > 0, result: { written } };
    },
  },
});

/** A lock key with path semantics: `sites/<site>/<path>`, cut before the first segment a lock key cannot hold. */
export function siteLock(site: string, path: string): string {
  const segments: string[] = [];
  for (const segment of checkSitePath(path).split('/')) {
    if (segment === '' || /[\u0000-\u001f\u007f]/.test(segment)) break;
    segments.push(segment);
  }
  return ['sites', site, ...segments].join('/').slice(0, 400);
}

/** What an item of this job is called: the source path of the file. */
function itemPath(base: string, entry: { path: string }): string {
  if (!entry.path) return base || '.';
  return base ? `${base.replace(/\/+$/, '')}/${entry.path}` : entry.path;
}

function parentOf(path: string | Buffer): string | Buffer {
  if (typeof path === 'string') return dirname(path);
  return path.subarray(0, Math.max(1, path.lastIndexOf(0x2f)));
}

function fileError(error: unknown): string {
  if (error instanceof SitePathError) return error.message;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'vanished: no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way of a directory';
  if (code === 'SWY_ERR_TRANSFER_NOT_FOUND') return 'the hub no longer holds this file (its job ended before it was written): send it again';
  return (error as Error)?.message ?? String(error);
}

/** The entries under `root` (a directory), or the one file `root` is (path ""); nothing when it does not exist. */
async function* sourceEntries(ctx: TaskContext<Record<string, unknown>>, root: string): AsyncGenerator<SiteEntry> {
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
  for await (const entry of walkSite(root, { signal: ctx.signal })) {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    if (entry.kind === 'file' && isTransferPartial(name)) continue;
    yield entry;
  }
}

/** Walks `root` and puts its listing (NDJSON of Listed) as a blob, written through a temporary file: never held whole in memory. */
async function listTree(ctx: TaskContext<Record<string, unknown>>, root: string): Promise<{ blob: TransferBlob; entries: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-listing-'));
  try {
    const file = join(dir, 'listing.ndjson');
    const out = createWriteStream(file);
    let entries = 0;
    for await (const entry of sourceEntries(ctx, root)) {
      const line: Listed = { p: entry.path, ...(entry.raw ? { r: entry.raw } : {}), k: entry.kind, s: entry.size, m: entry.mtimeMs };
      if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
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
async function readListing(ctx: TaskContext<Record<string, unknown>>, blob: TransferBlob): Promise<Map<string, Listed>> {
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
