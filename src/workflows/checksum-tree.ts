import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { defineWorkflow, fail, resolveInSite, SitePathError, skip, type TaskContext, z } from '../index.js';

/** Files per hashing task: small enough to spread over workers, large enough to keep overhead low. */
const FILES_PER_TASK = 200;

/**
 * Checksums every file under a directory: a `scan` task walks the tree and fans out `hash`
 * tasks of up to 200 files each; every file becomes an item with its size and digest, and a
 * `summary` task runs once all hashing is done.
 */
export const checksumTree = defineWorkflow({
  name: 'checksum-tree',
  module: import.meta.url,
  label: 'Checksum a directory tree',
  description: 'Computes a digest of every file under a directory and records one item per file.',
  fields: z.object({
    root: z
      .string()
      .min(1)
      .max(4096)
      .describe('Directory to checksum: a path within the site’s root (any directory of the worker’s machine when its worker serves the site without one)'),
    algorithm: z.enum(['sha256', 'sha1', 'md5']).default('sha256').describe('Digest algorithm'),
  }),
  timeoutMs: 10 * 60_000,
  plan: () => [{ type: 'scan', key: 'scan' }],
  tasks: {
    async scan(ctx) {
      const root = await rootOf(ctx);
      const info = await stat(root).catch(() => null);
      if (!info) fail(`${root} does not exist on this worker`);
      if (!info.isDirectory()) fail(`${root} is not a directory`);
      const files: string[] = [];
      for await (const file of walk(root, ctx.signal)) files.push(relative(root, file));
      if (files.length === 0) skip(`${root} has no files`);
      const keys: string[] = [];
      for (let start = 0; start < files.length; start += FILES_PER_TASK) {
        const key = `hash-${start / FILES_PER_TASK}`;
        keys.push(key);
        ctx.spawn({ type: 'hash', key, input: { root, files: files.slice(start, start + FILES_PER_TASK) } });
      }
      ctx.spawn({ type: 'summary', key: 'summary', after: keys });
      ctx.log(`found ${files.length} files under ${root}; ${keys.length} hashing tasks`);
      return { changed: false, result: { files: files.length, tasks: keys.length } };
    },
    async hash(ctx) {
      const { root, files } = ctx.task.input as { root: string; files: string[] };
      let bytes = 0;
      for (const [index, file] of files.entries()) {
        ctx.signal.throwIfAborted();
        try {
          const size = (await stat(join(root, file))).size;
          const digest = await digestOf(join(root, file), ctx.job.fields.algorithm, ctx.signal);
          ctx.item(file, { operation: `${ctx.job.fields.algorithm}`, outcome: 'completed', bytes: size });
          ctx.log(`${digest}  ${file}`);
          bytes += size;
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          ctx.item(file, { operation: ctx.job.fields.algorithm, outcome: 'failed', error: (error as Error).message });
        }
        ctx.progress(index + 1, files.length);
      }
      return { changed: false, result: { files: files.length, bytes } };
    },
    summary(ctx) {
      ctx.log('all files hashed');
      return { changed: false };
    },
  },
});

/**
 * The directory to checksum. A site served from a root directory (every site of
 * `switchyard start`, and a worker started with `--root`) confines it: a path relative to that
 * root, never absolute, never out through `..` or a symlink — so a user of a site reads no
 * other files of the worker's machine. A worker that serves its site without a root leaves
 * every directory it can read in reach, as its operator chose.
 */
async function rootOf(ctx: TaskContext<{ root: string }>): Promise<string> {
  const asked = ctx.job.fields.root;
  if (!ctx.site.root) return resolve(asked);
  try {
    return await resolveInSite(ctx.site.root, asked);
  } catch (error) {
    if (error instanceof SitePathError) fail(`${error.message} (site "${ctx.site.name}")`);
    throw error;
  }
}

async function* walk(dir: string, signal: AbortSignal): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    signal.throwIfAborted();
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path, signal);
    else if (entry.isFile()) yield path;
  }
}

function digestOf(path: string, algorithm: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash(algorithm);
    createReadStream(path, { signal })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}
