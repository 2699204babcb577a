import { rmdir, unlink } from 'node:fs/promises';
import { defineWorkflow, fail, z } from '../index.js';
import { checkSitePath } from '../sdk/site-paths.js';
import {
  byteProgress,
  type Change,
  changesForResult,
  entryPath,
  itemError,
  recordChange,
  requireRoot,
  retryPathsOf,
  scanTree,
  siteLockKey,
  type TreeEntry,
} from './site-tree.js';

/** Most paths one delete job names (each is a lock; more lock the whole site). */
const MAX_PATHS = 10_000;

/**
 * Deletes files and directories at a site. One task at the site scans every path (recording
 * each file and directory as a `queued` item), then removes them deepest first: one item per
 * file and directory removed. A path that does not exist, escapes the root or is the root
 * itself is an item error; the job goes on with the rest.
 */
export const deletePaths = defineWorkflow({
  name: 'delete',
  module: import.meta.url,
  label: 'Delete files at a site',
  description: 'Removes files and directories (with everything under them) inside a site’s root, one item per file and directory.',
  fields: z
    .object({
      site: z.string().min(1).max(200).describe('The site (its worker serves the root directory)'),
      paths: z.array(z.string().max(4096)).max(MAX_PATHS).optional().describe('Paths to delete, relative to the site’s root'),
      path: z.string().max(4096).optional().describe('One path to delete (instead of paths)'),
    })
    .refine((fields) => (fields.paths?.length ?? 0) > 0 || fields.path !== undefined, { message: 'give path or paths', path: ['paths'] }),
  timeoutMs: 60 * 60_000,
  locks: (fields) => {
    const paths = requested(fields);
    if (paths.length > 90) return [siteLockKey(fields.site, '.')];
    return paths.map((path) => siteLockKey(fields.site, path));
  },
  plan: (fields) => [{ type: 'delete', key: 'delete', site: fields.site }],
  tasks: {
    async delete(ctx) {
      const root = requireRoot(ctx);
      const paths = retryPathsOf(ctx) ?? requested(ctx.job.fields);
      // Scan first: the Queued tab shows everything that will go.
      const plans: { path: string; entries: TreeEntry[] | null; error?: string }[] = [];
      for (const path of paths) {
        ctx.signal.throwIfAborted();
        try {
          if (checkSitePath(path) === '') throw new Error('refusing to delete the site’s root directory');
          const entries = await scanTree(root, path, ctx.signal, true);
          if (entries.length === 0) throw new Error('no such file or directory');
          plans.push({ path, entries });
          for (const entry of entries) ctx.item(entry.path, { operation: 'delete', outcome: 'queued', bytes: entry.size });
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          plans.push({ path, entries: null, error: itemError(error) });
        }
      }
      const total = plans.reduce((sum, plan) => sum + (plan.entries ?? []).reduce((s, e) => s + e.size, 0), 0);
      const progress = byteProgress(ctx, total);
      ctx.progress(0, total);
      const changes: Change[] = [];
      let removed = 0;
      let failed = 0;
      for (const plan of plans) {
        if (!plan.entries) {
          ctx.item(plan.path, { operation: 'delete', outcome: 'failed', error: plan.error });
          failed++;
          continue;
        }
        const failedDirs = new Set<string>();
        // Deepest first: a directory's contents go before it.
        for (const entry of [...plan.entries].reverse()) {
          ctx.signal.throwIfAborted();
          if (entry.kind === 'directory' && [...failedDirs].some((dir) => dir.startsWith(`${entry.path}/`))) {
            ctx.item(entry.path, { operation: 'delete', outcome: 'failed', error: 'not removed: something under it could not be deleted' });
            failedDirs.add(entry.path);
            failed++;
            continue;
          }
          try {
            if (entry.error && entry.kind === 'directory') throw new Error(entry.error);
            const absolute = await entryPath(root, entry.bytes);
            if (entry.kind === 'directory') await rmdir(absolute);
            else await unlink(absolute);
            ctx.item(entry.path, { operation: 'delete', outcome: 'completed', bytes: entry.size });
            if (entry.kind !== 'directory') {
              const change: Change = { path: entry.path, change: 'removed', sizeBefore: entry.size };
              changes.push(change);
              recordChange(ctx, entry.path, { change: 'removed', sizeBefore: entry.size });
            }
            removed++;
          } catch (error) {
            if (ctx.signal.aborted) throw error;
            ctx.item(entry.path, { operation: 'delete', outcome: 'failed', bytes: entry.size, error: itemError(error) });
            failedDirs.add(entry.path);
            failed++;
          }
          progress.add(entry.size);
        }
      }
      ctx.progress(total, total);
      ctx.log(`removed ${removed} files and directories; ${failed} failed`);
      return { changed: removed > 0, result: { removed, failed, bytes: progress.done(), changes: changesForResult(changes), changesTotal: changes.length } };
    },
  },
});

function requested(fields: { paths?: string[]; path?: string }): string[] {
  const paths = [...(fields.paths ?? []), ...(fields.path !== undefined ? [fields.path] : [])];
  if (paths.length === 0) fail('give path or paths');
  return [...new Set(paths)];
}
