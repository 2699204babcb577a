import { lstat, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineWorkflow, type Json, joinSitePath, resolveInSite, skip, type TaskContext, z } from '../index.js';
import type { TransferBlob } from '../sdk/transfer.js';
import {
  type Arriving,
  batcher,
  fileError,
  type Listed,
  listed,
  listTree,
  readListing,
  sitePath,
  sourceEntries,
  uploadFiles,
  writeFiles,
} from './site-copy.js';
import { normalSitePath, pathKey, requireRoot, siteLockKey, stateDir, within, writeAtomically } from './site-tree.js';

// biome-ignore lint/suspicious/noExplicitAny: the handlers take the sync fields
type Ctx = TaskContext<any, any>;

type Fields = { siteA: string; pathA: string; siteB: string; pathB: string };
type Side = 'a' | 'b';

/** A file as the last sync left it at one side: its path (bytes, base64, when not UTF-8), size and modification time. */
type Synced = { p: string; r?: string; s: number; m: number };
/** What the plan wants the state to be: `keep` entries (a conflict, an error) carry the last sync's value as it was. */
type Intended = Synced & { keep?: true };

interface SyncState {
  version: 1;
  pair: Fields;
  jobId: number;
  at: string;
  entries: Synced[];
}

/**
 * Two-way sync of a directory at one site with a directory at another (or the same) site.
 * `list-b` (at B) lists B's tree and hands the listing and B's last-sync state to `plan` (at A),
 * which walks A and decides per file: present at one side only → copied to the other;
 * different at both → the side that changed since the last sync wins, or without a last sync
 * the newer (by modification time); changed at both since the last sync → a conflict, recorded
 * as a failed item and never overwritten. Copies go as send-to-site's do (`read` at the source,
 * `write` at the target, through the hub). When they are done, `save` at each site writes the
 * state of the pair atomically under `<root>/.switchyard/sync/<pair key>/`: each file's size and
 * modification time as synced (a copy that failed is left out). Deletions are not propagated:
 * a file removed at one side comes back from the other. An identical second run is `skipped`.
 */
export const syncSites = defineWorkflow({
  name: 'sync',
  module: import.meta.url,
  label: 'Sync two sites',
  description: 'Two-way sync of a directory at two sites: newer wins, files changed at both sides are reported as conflicts and left alone.',
  fields: z
    .object({
      siteA: z.string().min(1).max(64).describe('First site'),
      pathA: sitePath,
      siteB: z.string().min(1).max(64).describe('Second site'),
      pathB: sitePath,
    })
    .refine(
      (fields) =>
        fields.siteA !== fields.siteB ||
        !(within(normalSitePath(fields.pathA), normalSitePath(fields.pathB)) || within(normalSitePath(fields.pathB), normalSitePath(fields.pathA))),
      { message: 'the two paths overlap at the same site', path: ['pathB'] },
    ),
  timeoutMs: 6 * 60 * 60_000,
  stopGraceMs: 30_000,
  // The listings and blobs a sync planned from go when its job ends: to try again, sync again
  // (what is up to date is skipped, a conflict is reported again).
  controls: { retry: false },
  locks: (fields) => [
    // Every data workflow locks site paths as `site/<name>/<path>` (see siteLockKey).
    { key: siteLockKey(fields.siteA, fields.pathA), mode: 'exclusive' },
    { key: siteLockKey(fields.siteB, fields.pathB), mode: 'exclusive' },
  ],
  plan: (fields) => [{ type: 'list-b', key: 'list-b', site: fields.siteB }],
  tasks: {
    async 'list-b'(ctx) {
      const fields = ctx.job.fields as Fields;
      const root = requireRoot(ctx);
      const listing = await listTree(ctx, await resolveInSite(root, fields.pathB));
      const state = await readFile(await stateFile(root, fields, 'b')).catch(() => null);
      const stateB = state ? await ctx.transfer.putData(state) : null;
      ctx.spawn({ type: 'plan', key: 'plan', site: fields.siteA, input: { listing: listing.blob, stateB } });
      skip(`listed ${listing.entries} entries at ${fields.siteB}`);
    },

    async plan(ctx) {
      const fields = ctx.job.fields as Fields;
      const root = requireRoot(ctx);
      const input = ctx.task.input as { listing: TransferBlob; stateB: TransferBlob | null };
      const atB = await readListing(ctx, input.listing);
      const lastA = stateMap(parseState(await readFile(await stateFile(root, fields, 'a')).catch(() => null)));
      const lastB = stateMap(input.stateB ? parseState(await getBlob(ctx, input.stateB)) : null);
      const baseline = (key: string): Synced | null => {
        const a = lastA?.get(key);
        const b = lastB?.get(key);
        return a && b && same(a, b) ? a : null;
      };

      const next: Intended[] = [];
      const reads: string[] = [];
      const spawnRead = (dir: 'ab' | 'ba') => (files: Listed[]) => {
        const key = `read-${dir}-${reads.length}`;
        reads.push(key);
        ctx.spawn({ type: 'read', key, site: dir === 'ab' ? fields.siteA : fields.siteB, input: { dir, files } });
      };
      const toB = batcher(spawnRead('ab'));
      const toA = batcher(spawnRead('ba'));
      let copies = 0;
      let conflicts = 0;
      let failed = 0;
      let upToDate = 0;
      const copy = (dir: 'ab' | 'ba', file: Listed) => {
        ctx.item(file.p || '.', { operation: file.k === 'directory' ? 'mkdir' : 'copy', outcome: 'queued', ...(file.k === 'file' ? { bytes: file.s } : {}) });
        (dir === 'ab' ? toB : toA).add(file.k === 'directory' ? { ...file, s: 0 } : file);
        if (file.k === 'file') next.push(synced(file));
        copies += 1;
      };
      const refuse = (key: string, name: string, error: string) => {
        ctx.item(name, { operation: 'sync', outcome: 'failed', error });
        const base = baseline(key);
        if (base) next.push({ ...base, keep: true });
        failed += 1;
      };
      const oneSide = (dir: 'ab' | 'ba', file: Listed) => {
        if (file.k === 'directory' || file.k === 'file') copy(dir, file);
        else ctx.item(file.p || '.', { operation: 'sync', outcome: 'skipped', error: file.k === 'symlink' ? 'a symlink: not followed' : 'not a regular file' });
      };

      for await (const entry of sourceEntries(ctx, await resolveInSite(root, fields.pathA))) {
        const a = listed(entry);
        const key = a.r ?? a.p;
        const name = a.p || '.';
        const b = atB.get(key);
        atB.delete(key);
        if (entry.error) {
          refuse(key, name, `at ${fields.siteA}: ${entry.error}`);
          continue;
        }
        if (!b) {
          oneSide('ab', a);
          continue;
        }
        if (a.k !== 'file' || b.k !== 'file') {
          if (a.k === b.k && a.k === 'directory') continue;
          if (a.k === b.k)
            ctx.item(name, { operation: 'sync', outcome: 'skipped', error: a.k === 'symlink' ? 'a symlink: not followed' : 'not a regular file' });
          else refuse(key, name, `a ${kindName(a.k)} at ${fields.siteA} and a ${kindName(b.k)} at ${fields.siteB}: left alone`);
          continue;
        }
        if (same(a, b)) {
          ctx.item(name, { operation: 'sync', outcome: 'skipped', bytes: a.s, error: 'up to date' });
          next.push(synced(a));
          upToDate += 1;
          continue;
        }
        const base = baseline(key);
        const changedA = !base || !same(a, base);
        const changedB = !base || !same(b, base);
        const winner = base ? (changedA && changedB ? null : changedA ? 'ab' : 'ba') : a.m > b.m ? 'ab' : b.m > a.m ? 'ba' : null;
        if (winner) {
          copy(winner, winner === 'ab' ? a : b);
          continue;
        }
        const why = base ? 'changed at both sites since the last sync' : 'different at both sites with the same modification time';
        ctx.item(name, {
          operation: 'sync',
          outcome: 'failed',
          error: `conflict: ${why} (${fields.siteA}: ${describe(a)}; ${fields.siteB}: ${describe(b)}); neither was overwritten`,
        });
        if (base) next.push({ ...base, keep: true });
        conflicts += 1;
      }
      for (const b of atB.values()) oneSide('ba', b);
      toB.end();
      toA.end();

      const unchanged = sameState(next, lastA) && sameState(next, lastB);
      ctx.log(
        `${copies} files and directories to copy (${toB.batches()} batches to ${fields.siteB}, ${toA.batches()} to ${fields.siteA}); ` +
          `${upToDate} up to date; ${conflicts} conflicts; ${failed} failed`,
      );
      const result = { copies, upToDate, conflicts, failed };
      if (copies === 0 && conflicts === 0 && failed === 0 && unchanged) skip('up to date');
      if (copies === 0 && unchanged) return { changed: false, result };
      const state = await ctx.transfer.putData(JSON.stringify(next));
      const saves = [
        { type: 'save', key: 'save-a', site: fields.siteA, input: { side: 'a', state } },
        { type: 'save', key: 'save-b', site: fields.siteB, input: { side: 'b', state } },
      ];
      // The state is saved once every copy ended: after each read, `collect` waits on the writes they spawned.
      if (reads.length === 0) ctx.spawn(saves);
      else ctx.spawn({ type: 'collect', key: 'collect', site: fields.siteA, after: reads, input: { writes: reads.map(writeKey), saves } as unknown as Json });
      return { changed: false, result };
    },

    async read(ctx) {
      const fields = ctx.job.fields as Fields;
      const { dir, files } = ctx.task.input as { dir: 'ab' | 'ba'; files: Listed[] };
      const arriving = await uploadFiles(ctx, files, dir === 'ab' ? fields.pathA : fields.pathB, (file) => file.p || '.');
      // Always spawned, so that `collect` can wait on it by its key.
      ctx.spawn({ type: 'write', key: writeKey(ctx.task.key ?? ''), site: dir === 'ab' ? fields.siteB : fields.siteA, input: { dir, files: arriving } });
      return { changed: false, result: { uploaded: arriving.length } };
    },

    async write(ctx) {
      const fields = ctx.job.fields as Fields;
      const { dir, files } = ctx.task.input as { dir: 'ab' | 'ba'; files: Arriving[] };
      if (files.length === 0) skip('nothing arrived');
      const written = await writeFiles(
        ctx,
        files,
        dir === 'ab' ? fields.pathB : fields.pathA,
        (file) => file.p || '.',
        (path) => `${ctx.site.name}:${path}`,
      );
      return { changed: written > 0, result: { written } };
    },

    async collect(ctx) {
      const { writes, saves } = ctx.task.input as { writes: string[]; saves: { type: string; key: string; site: string; input: Json }[] };
      ctx.spawn(saves.map((save) => ({ ...save, after: writes })));
      skip('copies planned; the state is saved when they end');
    },

    async save(ctx) {
      const fields = ctx.job.fields as Fields;
      const root = requireRoot(ctx);
      const { side, state } = ctx.task.input as { side: Side; state: TransferBlob };
      const intended = JSON.parse((await getBlob(ctx, state)).toString('utf8')) as Intended[];
      const base = side === 'a' ? fields.pathA : fields.pathB;
      const entries: Synced[] = [];
      let left = 0;
      for (const entry of intended) {
        ctx.signal.throwIfAborted();
        const { keep, ...value } = entry;
        if (keep) {
          entries.push(value);
          continue;
        }
        try {
          const info = await lstat(await resolveInSite(root, joinSitePath(base, { path: entry.p, raw: entry.r })));
          if (info.isFile() && info.size === entry.s && Math.floor(info.mtimeMs) === entry.m) {
            entries.push(value);
            continue;
          }
        } catch (error) {
          ctx.log(`${entry.p}: ${fileError(error)}`);
        }
        // Not as synced (its copy failed, or it changed meanwhile): the next run compares it afresh.
        left += 1;
      }
      const saved: SyncState = { version: 1, pair: fields, jobId: ctx.job.id, at: new Date().toISOString(), entries };
      await writeAtomically(await stateFile(root, fields, side), JSON.stringify(saved));
      ctx.log(`sync state of ${entries.length} files saved at ${ctx.site.name}; ${left} left out`);
      return { changed: false, result: { saved: entries.length, leftOut: left } };
    },
  },
});

function writeKey(readKey: string): string {
  return readKey.replace(/^read-/, 'write-');
}

/**
 * Where a side keeps the pair's last-sync state: `<root>/.switchyard/sync/<pair key>/<side key>.json`.
 * The pair key does not depend on which side is A, so swapping the sides keeps the state.
 */
async function stateFile(root: string, fields: Fields, side: Side): Promise<string> {
  const a = JSON.stringify([fields.siteA, normalSitePath(fields.pathA)]);
  const b = JSON.stringify([fields.siteB, normalSitePath(fields.pathB)]);
  const pair = pathKey([a, b].sort().join('\n'));
  return join(await stateDir(root, 'sync', pair), `${pathKey(side === 'a' ? a : b)}.json`);
}

function parseState(bytes: Buffer | null): SyncState | null {
  if (!bytes) return null;
  try {
    const state = JSON.parse(bytes.toString('utf8')) as SyncState;
    return state?.version === 1 && Array.isArray(state.entries) ? state : null;
  } catch {
    return null;
  }
}

function stateMap(state: SyncState | null): Map<string, Synced> | null {
  return state ? new Map(state.entries.map((entry) => [entry.r ?? entry.p, entry])) : null;
}

function sameState(next: Intended[], last: Map<string, Synced> | null): boolean {
  if (!last || last.size !== next.length) return false;
  return next.every((entry) => {
    const was = last.get(entry.r ?? entry.p);
    return was !== undefined && same(was, entry);
  });
}

async function getBlob(ctx: Ctx, blob: TransferBlob): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-sync-'));
  try {
    const file = join(dir, 'blob');
    await ctx.transfer.get(blob, file);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function same(a: { s: number; m: number }, b: { s: number; m: number }): boolean {
  return a.s === b.s && a.m === b.m;
}

function synced(file: Listed): Synced {
  return { p: file.p, ...(file.r ? { r: file.r } : {}), s: file.s, m: file.m };
}

function describe(file: Listed): string {
  return `${file.s} bytes, modified ${new Date(file.m).toISOString()}`;
}

function kindName(kind: Listed['k']): string {
  return kind === 'other' ? 'special file' : kind;
}
