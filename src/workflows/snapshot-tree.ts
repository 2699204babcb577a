import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineWorkflow } from '../index.js';
import {
  asText,
  type Change,
  changesForResult,
  type Manifest,
  normalSitePath,
  pathKey,
  readChunks,
  readManifest,
  recordChange,
  requireRoot,
  siteLockKey,
  siteStateLockKey,
  siteTreeFields,
  stateDir,
  TEXT_LIMIT,
  writeAtomically,
} from './site-tree.js';
import { takeInventory } from './tree-inventory.js';

/**
 * Copies a tree at a site into the site's snapshot store, `<root>/.switchyard/snapshots`:
 * file contents once each under `objects/<first two hex digits>/<sha256>` (content-addressed,
 * so an unchanged or duplicated file costs nothing), and per snapshot a manifest of paths,
 * sizes and digests under `manifests/<path key>/`, `latest.json` being the newest. The job ends
 * "up to date" (skipped) when nothing changed since the last snapshot of that path, and
 * "modified" otherwise, with the change set (small text files with their text before and after).
 */
export const snapshotTree = defineWorkflow({
  name: 'snapshot',
  module: import.meta.url,
  label: 'Snapshot files at a site',
  description: 'Copies a directory into the site’s deduplicated snapshot store and reports what changed since the last snapshot.',
  fields: siteTreeFields('snapshot'),
  timeoutMs: 60 * 60_000,
  locks: (fields) => [
    { key: siteLockKey(fields.site, fields.path), mode: 'shared' },
    { key: siteStateLockKey(fields.site, 'snapshots'), mode: 'exclusive' },
  ],
  plan: (fields) => [{ type: 'snapshot', key: 'snapshot', site: fields.site }],
  tasks: {
    async snapshot(ctx) {
      const root = requireRoot(ctx);
      const objects = await stateDir(root, 'snapshots', 'objects');
      const path = normalSitePath(ctx.job.fields.path);
      const manifests = await stateDir(root, 'snapshots', 'manifests', pathKey(path));
      const previous = await readManifest(join(manifests, 'latest.json'));
      // Contents the last snapshot stored: no need to look for them in the store again.
      const stored = new Set((previous?.entries ?? []).flatMap((entry) => (entry.sha256 ? [entry.sha256] : [])));
      const found = await takeInventory(ctx, {
        root,
        path: ctx.job.fields.path,
        previous,
        operation: 'snapshot',
        digest: async (absolute, _entry, onBytes) => {
          const digest = await readChunks(absolute, ctx.signal, (chunk) => onBytes(chunk.length));
          if (stored.has(digest) || (await exists(objectPath(objects, digest)))) return digest;
          // New content: copy it in, and keep it under the digest of what was copied (the file
          // may have changed since it was hashed).
          return storeObject(objects, absolute, ctx.signal);
        },
      });
      const changes: Change[] = [];
      for (const { change, before, after } of found.differences) {
        const entry: Change = { path: (after ?? before)?.path ?? '', change };
        if (before) entry.sizeBefore = before.size;
        if (after) entry.sizeAfter = after.size;
        if (change === 'changed' && before?.sha256 && after?.sha256 && before.size <= TEXT_LIMIT && after.size <= TEXT_LIMIT) {
          const [was, is] = await Promise.all([objectText(objects, before.sha256), objectText(objects, after.sha256)]);
          if (was !== null && is !== null) Object.assign(entry, { textBefore: was, textAfter: is });
        }
        changes.push(entry);
        const { path: changed, ...rest } = entry;
        recordChange(ctx, changed, rest);
      }
      ctx.log(`${found.files} files (${found.bytes} bytes) looked at; ${changes.length} differences since the last snapshot; ${found.failed} failed`);
      if (changes.length === 0 && previous) {
        if (found.failed === 0) return { skipped: true, reason: 'up to date: nothing changed since the last snapshot' };
        return { changed: false, result: { files: found.files, bytes: found.bytes, failed: found.failed, snapshot: null, changes: [], changesTotal: 0 } };
      }
      const at = new Date();
      const manifest: Manifest = { version: 1, site: ctx.site.name, path, jobId: ctx.job.id, at: at.toISOString(), entries: found.entries };
      const name = `${at.toISOString().replace(/[:.]/g, '-')}-job${ctx.job.id}.json`;
      const text = JSON.stringify(manifest);
      await writeAtomically(join(manifests, name), text);
      await writeAtomically(join(manifests, 'latest.json'), text);
      ctx.log(`snapshot ${name} of "${path || '.'}" written`);
      return {
        changed: changes.length > 0,
        result: {
          files: found.files,
          bytes: found.bytes,
          failed: found.failed,
          snapshot: name,
          changes: changesForResult(changes),
          changesTotal: changes.length,
        },
      };
    },
  },
});

function objectPath(objects: string, digest: string): string {
  return join(objects, digest.slice(0, 2), digest);
}

function exists(file: string): Promise<boolean> {
  return access(file, constants.F_OK).then(
    () => true,
    () => false,
  );
}

/** Copies `absolute` into the store (a temporary file renamed to its digest) and answers the digest. */
async function storeObject(objects: string, absolute: Buffer, signal: AbortSignal): Promise<string> {
  const temporary = join(objects, `incoming-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const out = await open(temporary, 'wx', 0o644);
  let digest: string;
  try {
    digest = await readChunks(absolute, signal, async (chunk) => {
      await out.write(chunk);
    });
    await out.sync();
  } catch (error) {
    await out.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await out.close();
  const target = objectPath(objects, digest);
  if (await exists(target)) {
    await rm(temporary, { force: true });
    return digest;
  }
  await mkdir(dirname(target), { recursive: true });
  await rename(temporary, target);
  return digest;
}

async function objectText(objects: string, digest: string): Promise<string | null> {
  const bytes = await readFile(objectPath(objects, digest)).catch(() => null);
  return bytes ? asText(bytes) : null;
}
