import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { showPathBytes } from './site-paths.js';

/** Where Switchyard keeps a site's own files (manifests, snapshots) under its root; no walk enters it. */
export const SITE_STATE_DIR = '.switchyard';

/** One entry of a tree, as `walkSite` finds it. */
export interface SiteEntry {
  /** Relative to the walked directory, `/`-separated; a name that is not UTF-8 shows its odd bytes as `\xNN`. */
  path: string;
  /**
   * The relative path's bytes, base64, when they are not UTF-8 (absent otherwise): hand the
   * entry to `entryBytes` to reach the file. JSON-safe, so it can travel in a task's input.
   */
  raw?: string;
  kind: 'file' | 'directory' | 'symlink' | 'other';
  /** Bytes (files), else 0. */
  size: number;
  mtimeMs: number;
  /** Why the entry could not be read (a directory that cannot be listed, a file gone since it was listed): record it as the item's error. */
  error?: string;
}

export interface WalkOptions {
  signal?: AbortSignal;
  /**
   * The site's root: its `.switchyard` directory is left out wherever the walk starts, and a
   * `.switchyard` deeper down (a user's own directory of that name) is walked like any other.
   * Without it, a `.switchyard` directly under the walked directory is left out.
   */
  root?: string | null;
  /** Leaves out an entry (and, for a directory, what is under it). */
  skip?(entry: SiteEntry): boolean;
}

/**
 * Walks the tree under `dir` (an absolute path, as resolveInSite answers it), depth first
 * in name order, and yields every file, directory, symlink and other entry below it. Symlinks
 * are reported, never followed. Names are read as bytes, so any name the file system holds —
 * spaces, newlines, bytes that are not UTF-8 — comes through and maps back to its file. A
 * directory that cannot be listed and an entry gone before it was looked at are yielded with
 * `error`, and the walk goes on. The site's own `.switchyard` directory is left out.
 */
export async function* walkSite(dir: string | Buffer, options: WalkOptions = {}): AsyncGenerator<SiteEntry> {
  const base = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const stateDir = options.root
    ? join(await realpath(options.root, { encoding: 'buffer' }), Buffer.from(SITE_STATE_DIR))
    : join(base, Buffer.from(SITE_STATE_DIR));
  yield* walkBelow(base, Buffer.alloc(0), await readdir(base, { withFileTypes: true, encoding: 'buffer' }), { ...options, stateDir });
}

async function* walkBelow(base: Buffer, relative: Buffer, names: Dirent<Buffer>[], options: WalkOptions & { stateDir: Buffer }): AsyncGenerator<SiteEntry> {
  names.sort((a, b) => Buffer.compare(a.name, b.name));
  for (const dirent of names) {
    options.signal?.throwIfAborted();
    const path = relative.length === 0 ? dirent.name : join(relative, dirent.name);
    if (dirent.name.length === SITE_STATE_DIR.length && join(base, path).equals(options.stateDir)) continue;
    const entry = await describe(base, path, dirent);
    if (options.skip?.(entry)) continue;
    if (entry.kind !== 'directory' || entry.error) {
      yield entry;
      continue;
    }
    let below: Dirent<Buffer>[];
    try {
      below = await readdir(join(base, path), { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      yield { ...entry, error: `cannot list this directory: ${errorText(error as NodeJS.ErrnoException)}` };
      continue;
    }
    yield entry;
    yield* walkBelow(base, path, below, options);
  }
}

async function describe(base: Buffer, path: Buffer, dirent: Dirent<Buffer>): Promise<SiteEntry> {
  const shown = showPathBytes(path).split(sep).join('/');
  const named = shown === path.toString() ? { path: shown } : { path: shown, raw: path.toString('base64') };
  const kind = dirent.isSymbolicLink() ? 'symlink' : dirent.isDirectory() ? 'directory' : dirent.isFile() ? 'file' : 'other';
  try {
    const info = await lstat(join(base, path));
    return { ...named, kind, size: kind === 'file' ? info.size : 0, mtimeMs: Math.floor(info.mtimeMs) };
  } catch (error) {
    return { ...named, kind, size: 0, mtimeMs: 0, error: `gone before it was read: ${errorText(error as NodeJS.ErrnoException)}` };
  }
}

/** An entry's relative path as the file system holds it: give it to resolveInSite with the walked directory's path in front. */
export function entryBytes(entry: Pick<SiteEntry, 'path' | 'raw'>): Buffer {
  return entry.raw ? Buffer.from(entry.raw, 'base64') : Buffer.from(entry.path.split('/').join(sep));
}

/** `parent/child` as a site path (string when both are strings, bytes otherwise). */
export function joinSitePath(parent: string, entry: Pick<SiteEntry, 'path' | 'raw'>): string | Buffer {
  if (!entry.raw) return parent === '' ? entry.path : `${parent.replace(/\/+$/, '')}/${entry.path}`;
  return parent === '' ? entryBytes(entry) : join(Buffer.from(parent.replace(/\/+$/, '')), entryBytes(entry));
}

function join(a: Buffer, b: Buffer): Buffer {
  return Buffer.concat([a, Buffer.from(sep), b]);
}

function errorText(error: NodeJS.ErrnoException): string {
  return error.code === 'EACCES' || error.code === 'EPERM' ? 'permission denied' : error.code === 'ENOENT' ? 'no such file' : error.message;
}
