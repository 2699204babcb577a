import { join } from 'node:path';
import { defineWorkflow } from '../index.js';
import {
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
  writeAtomically,
} from './site-tree.js';
import { takeInventory } from './tree-inventory.js';

/**
 * Checks a tree at a site against what it held last time: the sha256 of every file, compared
 * with the site's last manifest for that path (`<root>/.switchyard/manifests/verify/`), which
 * is then replaced, atomically. Files added, changed and removed are the job's change set; a
 * run that finds none ends `skipped` ("no differences"). The first run finds every file added.
 */
export const verifyTree = defineWorkflow({
  name: 'verify',
  module: import.meta.url,
  label: 'Verify files at a site',
  description: 'Computes the sha256 of every file under a path and reports what was added, changed or removed since the last verify.',
  fields: siteTreeFields('verify'),
  timeoutMs: 60 * 60_000,
  locks: (fields) => [
    { key: siteLockKey(fields.site, fields.path), mode: 'shared' },
    { key: siteStateLockKey(fields.site, 'manifests'), mode: 'exclusive' },
  ],
  plan: (fields) => [{ type: 'verify', key: 'verify', site: fields.site }],
  tasks: {
    async verify(ctx) {
      const root = requireRoot(ctx);
      const dir = await stateDir(root, 'manifests', 'verify');
      const file = join(dir, `${pathKey(normalSitePath(ctx.job.fields.path))}.json`);
      const previous = await readManifest(file);
      const found = await takeInventory(ctx, {
        root,
        path: ctx.job.fields.path,
        previous,
        operation: 'verify',
        digest: (absolute, _entry, onBytes) => readChunks(absolute, ctx.signal, (chunk) => onBytes(chunk.length)),
      });
      const manifest: Manifest = {
        version: 1,
        site: ctx.site.name,
        path: normalSitePath(ctx.job.fields.path),
        jobId: ctx.job.id,
        at: new Date().toISOString(),
        entries: found.entries,
      };
      await writeAtomically(file, JSON.stringify(manifest));
      const changes: Change[] = found.differences.map(({ change, before, after }) => ({
        path: (after ?? before)?.path ?? '',
        change,
        ...(before ? { sizeBefore: before.size } : {}),
        ...(after ? { sizeAfter: after.size } : {}),
      }));
      for (const { path, ...change } of changes) recordChange(ctx, path, change);
      ctx.log(`${found.files} files (${found.bytes} bytes) verified; ${changes.length} differences; ${found.failed} failed`);
      if (changes.length === 0 && found.failed === 0) return { skipped: true, reason: previous ? 'no differences' : 'nothing to verify' };
      return {
        changed: changes.length > 0,
        result: { files: found.files, bytes: found.bytes, failed: found.failed, changes: changesForResult(changes), changesTotal: changes.length },
      };
    },
  },
});
