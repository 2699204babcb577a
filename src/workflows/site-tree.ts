import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readlink, realpath, rename, rm } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { entryBytes, fail, type Json, resolveInSite, SITE_STATE_DIR, SitePathError, showPathBytes, type TaskContext, walkSite, z } from '../index.js';
import { checkSitePath } from '../sdk/site-paths.js';

/**
 * What the data workflows (delete, verify, snapshot) share: the site's root, a scan of a tree
 * into entries named by their site path, reading a file in chunks that honour pause and
 * cancel, manifests written atomically under `<root>/.switchyard`, and the differences
 * between two manifests reported as a change set.
 */

// biome-ignore lint/suspicious/noExplicitAny: the data workflows' handlers take any fields
type Ctx = TaskContext<any, any>;

/** One entry of a scanned tree, named by its path from the site's root. */
export interface TreeEntry {
  /** As shown in items and changes: `/`-separated, odd bytes as `\xNN`. */
  path: string;
  /** The path's bytes from the site's root, as the file system holds them. */
  bytes: Buffer;
  kind: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mtimeMs: number;
  error?: string;
}

/** A file as a manifest remembers it. */
export interface ManifestEntry {
  path: string;
  /** The path's bytes, base64, when they are not UTF-8. */
  raw?: string;
  kind: 'file' | 'directory' | 'symlink';
  size: number;
  sha256?: string;
  /** Where a symlink points (never followed). */
  target?: string;
}

export interface Manifest {
  version: 1;
  site: string;
  path: string;
  jobId: number;
  at: string;
  entries: ManifestEntry[];
}

export type ChangeKind = 'added' | 'changed' | 'removed';
export interface Change {
  path: string;
  change: ChangeKind;
  sizeBefore?: number;
  sizeAfter?: number;
  textBefore?: string;
  textAfter?: string;
}

/** Most changes a task's result lists (the change set itself goes through `ctx.change`). */
export const RESULT_CHANGES = 1000;
/** Text files up to this size show their text before and after a change. */
export const TEXT_LIMIT = 64 * 1024;
const CHUNK = 1024 * 1024;

/** The root of the site this task runs at; fails the task (no retries) when its worker has none. */
export function requireRoot(ctx: Ctx): string {
  if (!ctx.site.root) {
    fail(
      `site "${ctx.site.name}" is served by a worker without a root directory: start it with ` +
        `\`switchyard worker --site ${ctx.site.name} --root DIR\` or \`switchyard start --site-root ${ctx.site.name}=DIR\``,
    );
  }
  return ctx.site.root;
}

/** The paths a retry of failed items acts on (`ctx.task.retryPaths`), or null for the whole job. */
export function retryPathsOf(ctx: Ctx): string[] | null {
  return Array.isArray(ctx.task.retryPaths) ? ctx.task.retryPaths : null;
}

/** Attaches one difference to the job's change set. */
export function recordChange(ctx: Ctx, path: string, change: Omit<Change, 'path'>): void {
  ctx.change(path, change);
}

/** A site path as bytes (a string is `/`-separated). */
export function pathBytes(path: string | Buffer): Buffer {
  return typeof path === 'string' ? Buffer.from(path.split('/').join(sep)) : path;
}

/** How a site path's bytes show. */
export function shownPath(bytes: Buffer): string {
  return showPathBytes(bytes).split(sep).join('/');
}

/**
 * The absolute path of `bytes` without following its last component: the parent is resolved
 * inside the root (refusing `..`, absolute paths and symlinks that lead out), the name is
 * appended as is. What a symlink points to is never touched.
 */
export async function entryPath(root: string, bytes: Buffer): Promise<Buffer> {
  const cut = bytes.lastIndexOf(sep.charCodeAt(0));
  const parent = await resolveInSite(root, cut < 0 ? Buffer.alloc(0) : bytes.subarray(0, cut));
  const name = cut < 0 ? bytes : bytes.subarray(cut + 1);
  if (name.length === 0 || name.equals(Buffer.from('.')) || name.equals(Buffer.from('..')))
    throw new SitePathError('not a name inside the site', shownPath(bytes));
  return Buffer.concat([parent, Buffer.from(sep), name]);
}

/**
 * `entryPath` for many entries of one site: the root's real path is read once, and each
 * entry costs one `realpath` of its parent, which must stay inside the root (a directory
 * swapped for a symlink that leads out is refused). The name is appended unresolved.
 */
export function entryResolver(root: string): (bytes: Buffer) => Promise<Buffer> {
  let realRoot: Promise<Buffer> | null = null;
  const SEP = Buffer.from(sep);
  return async (bytes) => {
    realRoot ??= realpath(root, { encoding: 'buffer' });
    const base = await realRoot;
    const parts = splitBytes(bytes);
    if (parts.length === 0 || parts.some((part) => part.equals(DOT) || part.equals(DOTDOT))) return entryPath(root, bytes);
    const name = parts[parts.length - 1];
    if (parts.length === 1) return Buffer.concat([base, SEP, name]);
    const real = await realpath(Buffer.concat([base, SEP, bytes.subarray(0, bytes.length - name.length - 1)]), { encoding: 'buffer' });
    const inside = real.equals(base) || (real.length > base.length && real.subarray(0, base.length).equals(base) && real[base.length] === SEP[0]);
    if (!inside) throw new SitePathError(`"${shownPath(bytes)}" leads outside the site's root through a symlink`, shownPath(bytes));
    return Buffer.concat([real, SEP, name]);
  };
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

function splitBytes(bytes: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let at = 0; at <= bytes.length; at++) {
    if (at < bytes.length && bytes[at] !== sep.charCodeAt(0)) continue;
    if (at > start) parts.push(bytes.subarray(start, at));
    start = at + 1;
  }
  return parts;
}

/**
 * The entries under `path` (a site path; '' is the root), each named from the site's root.
 * The entry of `path` itself comes first when `withTop`. A `path` that does not exist answers
 * no entries; one that cannot be resolved inside the root throws SitePathError.
 */
export async function scanTree(root: string, path: string | Buffer, signal: AbortSignal, withTop: boolean): Promise<TreeEntry[]> {
  const top = typeof path === 'string' ? checkSitePath(path) : path;
  const topBytes = pathBytes(top);
  if (topBytes.length > 0 && topBytes.toString().split(sep)[0] === SITE_STATE_DIR) {
    throw new SitePathError(`"${shownPath(topBytes)}" is Switchyard's own state directory`, shownPath(topBytes));
  }
  const absolute = topBytes.length === 0 ? await resolveInSite(root, topBytes) : await entryPath(root, topBytes);
  const info = await lstat(absolute).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw error;
  });
  if (!info) return [];
  const entries: TreeEntry[] = [];
  const kind = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
  if (withTop || kind !== 'directory') {
    entries.push({ path: shownPath(topBytes), bytes: topBytes, kind, size: kind === 'file' ? info.size : 0, mtimeMs: Math.floor(info.mtimeMs) });
  }
  if (kind !== 'directory') return entries;
  for await (const entry of walkSite(absolute, { signal, root })) {
    const bytes = topBytes.length === 0 ? entryBytes(entry) : Buffer.concat([topBytes, Buffer.from(sep), entryBytes(entry)]);
    entries.push({ path: shownPath(bytes), bytes, kind: entry.kind, size: entry.size, mtimeMs: entry.mtimeMs, ...(entry.error ? { error: entry.error } : {}) });
  }
  return entries;
}

/** A site path from a retry list or a field: the manifest's bytes when it names a non-UTF-8 entry. */
export function retryTarget(path: string, known: ManifestEntry[] | undefined): string | Buffer {
  const found = known?.find((entry) => entry.path === path && entry.raw);
  return found?.raw ? Buffer.from(found.raw, 'base64') : path;
}

/**
 * Reads a file (never through a symlink) in 1 MiB chunks, stopping between chunks when the
 * task must stop; `onChunk` sees each chunk before the next is read. Answers the sha256.
 */
export async function readChunks(file: Buffer, signal: AbortSignal, onChunk: (chunk: Buffer) => Promise<void> | void): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      signal.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      await onChunk(chunk);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** An error as an item reports it: what happened to the file, in words. */
export function itemError(error: unknown): string {
  if (error instanceof SitePathError) return error.message;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such file or directory (removed meanwhile?)';
  if (code === 'ELOOP') return 'became a symlink while being read; symlinks are not followed';
  if (code === 'ENOTEMPTY') return 'directory not empty (something was added meanwhile?)';
  if (code === 'EISDIR') return 'is a directory';
  return (error as Error)?.message ?? String(error);
}

/** `<root>/.switchyard/<parts…>`, created. */
export async function stateDir(root: string, ...parts: string[]): Promise<string> {
  const dir = [await realpath(root), SITE_STATE_DIR, ...parts].join(sep);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A short, file-name-safe key for a site path (manifests are kept per path). */
export function pathKey(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 32);
}

/** Writes `data` to `file` atomically: a temporary file in the same directory, flushed, then renamed. */
export async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  let handle: FileHandle | null = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = null;
    await rename(temporary, file);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

export async function readManifest(file: string): Promise<Manifest | null> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const manifest = JSON.parse(await handle.readFile('utf8')) as Manifest;
    return manifest?.version === 1 && Array.isArray(manifest.entries) ? manifest : null;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

/** Whether `path` is `scope` or below it (site paths as shown; '' is the root). */
export function within(path: string, scope: string): boolean {
  return scope === '' || path === scope || path.startsWith(`${scope}/`);
}

/**
 * The differences from `before` to `after`: files and symlinks added, changed (content or
 * target) and removed; directories added and removed. Sorted by path.
 */
export function differences(before: ManifestEntry[], after: ManifestEntry[]): { change: ChangeKind; before?: ManifestEntry; after?: ManifestEntry }[] {
  const old = new Map(before.map((entry) => [entry.path, entry]));
  const found: { change: ChangeKind; before?: ManifestEntry; after?: ManifestEntry }[] = [];
  for (const entry of after) {
    const was = old.get(entry.path);
    old.delete(entry.path);
    if (!was) found.push({ change: 'added', after: entry });
    else if (was.kind !== entry.kind || was.sha256 !== entry.sha256 || was.target !== entry.target || (entry.kind === 'file' && was.size !== entry.size)) {
      found.push({ change: 'changed', before: was, after: entry });
    }
  }
  for (const entry of old.values()) found.push({ change: 'removed', before: entry });
  return found.sort((a, b) => ((a.after ?? a.before)?.path ?? '').localeCompare((b.after ?? b.before)?.path ?? ''));
}

/** A manifest entry for a scanned entry (without its digest). */
export async function manifestEntry(entry: TreeEntry, absolute: Buffer): Promise<ManifestEntry | null> {
  const raw = entry.bytes.toString() === entry.path.split('/').join(sep) ? undefined : entry.bytes.toString('base64');
  const base = { path: entry.path, ...(raw ? { raw } : {}) };
  if (entry.kind === 'directory') return { ...base, kind: 'directory', size: 0 };
  if (entry.kind === 'symlink') return { ...base, kind: 'symlink', size: 0, target: showPathBytes(await readlink(absolute, { encoding: 'buffer' })) };
  if (entry.kind === 'file') return { ...base, kind: 'file', size: entry.size };
  return null;
}

/** The first RESULT_CHANGES changes, without their texts, for a task's result. */
export function changesForResult(changes: Change[]): Json {
  return changes.slice(0, RESULT_CHANGES).map(({ textBefore: _b, textAfter: _a, ...rest }) => rest) as Json;
}

/** Whether `bytes` read as text: UTF-8 without NUL bytes. */
export function asText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : null;
}

/** The fields of a workflow that acts on one tree at one site (`verb`: what it does to it, for the form's help). */
export function siteTreeFields(verb: string) {
  return z.object({
    site: z.string().min(1).max(200).describe('The site (its worker serves the root directory)'),
    path: z.string().max(4096).default('.').describe(`Directory to ${verb}, relative to the site’s root`),
  });
}

/** The lock key of a site path: `site/<name>/<path>`, cut above a segment no lock key may hold. */
export function siteLockKey(site: string, path: string): string {
  const prefix = `site/${lockSegment(site)}`;
  let normal: string;
  try {
    normal = checkSitePath(path).split(sep).join('/');
  } catch {
    // A path the task will refuse: lock the whole site, and let the item say why.
    return prefix;
  }
  const kept: string[] = [];
  for (const segment of normal.split('/').filter(Boolean)) {
    if (/[\u0000-\u001f\u007f]/.test(segment) || segment === '.') break;
    if (`${prefix}/${[...kept, segment].join('/')}`.length > 400) break;
    kept.push(segment);
  }
  return kept.length === 0 ? prefix : `${prefix}/${kept.join('/')}`;
}

/** The lock key of the site's own state (`site/<name>/.switchyard/<part>`). */
export function siteStateLockKey(site: string, part: string): string {
  return `site/${lockSegment(site)}/${SITE_STATE_DIR}/${part}`;
}

/** A site name as one lock key segment: as it is when it can be one, else a digest of it. */
function lockSegment(site: string): string {
  const plain = site.length <= 200 && site !== '.' && site !== '..' && !/[/\u0000-\u001f\u007f]/.test(site);
  return plain ? site : `~${createHash('sha256').update(site).digest('hex').slice(0, 24)}`;
}

/** Reports progress in bytes, at most every 1 MiB or per call of `file`. */
export function byteProgress(ctx: Ctx, total: number): { add(bytes: number): void; done(): number } {
  let done = 0;
  let reported = 0;
  return {
    add(bytes) {
      done += bytes;
      if (done - reported >= CHUNK || done === total) {
        reported = done;
        ctx.progress(done, Math.max(total, done));
      }
    },
    done: () => done,
  };
}

/** A field's path in the form manifests are kept under ('' for the root); as given when it is no site path (the task refuses it). */
export function normalSitePath(path: string): string {
  try {
    return checkSitePath(path).split(sep).join('/');
  } catch {
    return path;
  }
}
