import { defineWorkflow, type Json, resolveInSite, skip, z } from '../index.js';
import type { TransferBlob } from '../sdk/transfer.js';
import { type Arriving, batcher, itemPath, type Listed, listed, listTree, readListing, sitePath, sourceEntries, uploadFiles, writeFiles } from './site-copy.js';
import { siteLockKey } from './site-tree.js';

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
    { key: siteLockKey(fields.sourceSite, fields.sourcePath), mode: 'shared' },
    { key: siteLockKey(fields.targetSite, fields.targetPath), mode: 'exclusive' },
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
      // A retry of failed items: the walk errors are looked at again, and what is under them is
      // copied (the target's listing went with the job's blobs when it ended).
      const retry = retryFilter(ctx.task.retryPaths);
      const target = retry ? new Map<string, Listed>() : await readListing(ctx, listing);
      const source = await resolveInSite(ctx.site.root, sourcePath);
      let queued = 0;
      let queuedBytes = 0;
      let upToDate = 0;
      const batches = batcher((files) => ctx.spawn({ type: 'read', input: { files } }));
      for await (const entry of sourceEntries(ctx, source)) {
        const shown = itemPath(sourcePath, entry);
        if (retry && !retry(shown)) continue;
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
          batches.add({ ...listed(entry), s: 0 });
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
        batches.add(listed(entry));
      }
      batches.end();
      ctx.log(`${queued} files and directories (${queuedBytes} bytes) to copy to ${targetSite} in ${batches.batches()} batches; ${upToDate} up to date`);
      if (queued === 0) skip(upToDate > 0 ? 'up to date' : 'nothing to copy');
      return { changed: false, result: { queued, bytes: queuedBytes, upToDate, batches: batches.batches() } };
    },

    async read(ctx) {
      const { sourcePath, targetSite } = ctx.job.fields;
      const shown = (file: Listed) => itemPath(sourcePath, { path: file.p });
      const { files } = ctx.task.input as { files: Listed[] };
      const retried = new Set(ctx.task.retryPaths ?? []);
      // A retry of failed items uploads those files alone.
      const arriving = await uploadFiles(ctx, ctx.task.retryPaths ? files.filter((file) => retried.has(shown(file))) : files, sourcePath, shown);
      if (arriving.length > 0) ctx.spawn({ type: 'write', site: targetSite, input: { files: arriving } });
      return { changed: false, result: { uploaded: arriving.length } };
    },

    async write(ctx) {
      const { sourcePath, targetPath } = ctx.job.fields;
      const { files } = ctx.task.input as { files: Arriving[] };
      if (ctx.task.retryPaths) {
        // A retry of failed items: the job's blobs went when it ended, so the files that failed
        // here are read again at the source, which spawns a write of them alone.
        const retried = new Set(ctx.task.retryPaths);
        const again = files.filter((file) => retried.has(itemPath(sourcePath, { path: file.p }))).map(({ sha256: _sha256, ...file }) => file);
        if (again.length > 0) ctx.spawn({ type: 'read', site: ctx.job.fields.sourceSite, input: { files: again } });
        ctx.log(`${again.length} failed files to send again`);
        return { changed: false, result: { sentAgain: again.length } as Json };
      }
      const written = await writeFiles(ctx, files, targetPath, (file) => itemPath(sourcePath, { path: file.p }));
      return { changed: written > 0, result: { written } };
    },
  },
});

/** For a retry of failed items, whether a path is one of them or lies under one; null on a normal run. */
function retryFilter(paths: string[] | null): ((path: string) => boolean) | null {
  if (!paths) return null;
  const retried = new Set(paths);
  return (path) => {
    for (let at = path.length; at > 0; at = path.lastIndexOf('/', at - 1)) {
      if (retried.has(path.slice(0, at))) return true;
    }
    return retried.has('.');
  };
}
