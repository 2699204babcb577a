import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, normalize, sep } from 'node:path';

/**
 * A path a handler may not touch: absolute, with `..`, or reaching outside its site's root
 * through a symlink. Workflows record it as the item's error and go on with the next path.
 */
export class SitePathError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'SitePathError';
  }
}

/** The site a task runs at and the directory its worker serves it from (null: the worker was given none). */
export type SiteInfo = { name: string; root: string | null };

/**
 * The checks that need no file system: `path` is relative, has no `..` segment and no NUL
 * byte. Returns it normalised ("" and "." are the root itself).
 */
export function checkSitePath(path: string): string {
  if (typeof path !== 'string') throw new SitePathError('a site path must be a string', String(path));
  if (path.includes('\0')) throw new SitePathError('a site path may not contain a NUL byte', path);
  if (isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\')) {
    throw new SitePathError(`"${path}" is absolute: site paths are relative to the site's root`, path);
  }
  if (path.split(/[\\/]/).includes('..')) throw new SitePathError(`"${path}" contains "..": site paths may not leave the site's root`, path);
  const normal = normalize(path === '' ? '.' : path);
  return normal === '.' ? '' : normal.replace(/[\\/]+$/, '');
}

/**
 * Resolves `path` inside `root` and returns the absolute path to use. Refused (SitePathError):
 * an absolute path, a `..` segment, and a path whose existing part resolves (through a
 * symlink anywhere along it) outside the root. The part that does not exist yet is allowed,
 * so a destination can be resolved before it is written.
 *
 * A path given as bytes (a name that is not UTF-8, as `walkSite` hands it back in `raw`) is
 * checked the same way and answered as bytes, which every `fs` call accepts.
 */
export async function resolveInSite(root: string | null, path: string): Promise<string>;
export async function resolveInSite(root: string | null, path: Buffer): Promise<Buffer>;
export async function resolveInSite(root: string | null, path: string | Buffer): Promise<string | Buffer>;
export async function resolveInSite(root: string | null, path: string | Buffer): Promise<string | Buffer> {
  const shown = typeof path === 'string' ? path : showPathBytes(path);
  if (!root) throw new SitePathError('this worker serves its site without a root directory (start it with --root DIR)', shown);
  const bytes = typeof path === 'string' ? Buffer.from(checkSitePath(path)) : checkSitePathBytes(path, shown);
  const realRoot = await realpath(root, { encoding: 'buffer' });
  const target = bytes.length === 0 ? realRoot : Buffer.concat([realRoot, Buffer.from(sep), bytes]);
  // The longest part of the path that exists, resolved: it must stay inside the root.
  let existing = target;
  for (;;) {
    const found = await lstat(existing).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false;
        throw error;
      },
    );
    if (found) break;
    const cut = existing.lastIndexOf(SEP_BYTE);
    if (cut <= realRoot.length) return answer(target, path);
    existing = existing.subarray(0, cut);
  }
  const real = await realpath(existing, { encoding: 'buffer' }).catch((error: NodeJS.ErrnoException) => {
    // A dangling symlink: where it points decides, and lstat found the link itself.
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (real === null) throw new SitePathError(`"${shown}" passes through a symlink that points nowhere`, shown);
  if (!isInsideBytes(realRoot, real)) throw new SitePathError(`"${shown}" leads outside the site's root through a symlink`, shown);
  return answer(target, path);
}

const SEP_BYTE = sep.charCodeAt(0);

function answer(target: Buffer, asked: string | Buffer): string | Buffer {
  return typeof asked === 'string' ? target.toString() : target;
}

function checkSitePathBytes(path: Buffer, shown: string): Buffer {
  if (path.includes(0)) throw new SitePathError('a site path may not contain a NUL byte', shown);
  if (path[0] === SEP_BYTE) throw new SitePathError(`"${shown}" is absolute: site paths are relative to the site's root`, shown);
  const parts: Buffer[] = [];
  let start = 0;
  for (let at = 0; at <= path.length; at++) {
    if (at < path.length && path[at] !== SEP_BYTE) continue;
    const part = path.subarray(start, at);
    start = at + 1;
    if (part.length === 0 || (part.length === 1 && part[0] === 0x2e)) continue;
    if (part.length === 2 && part[0] === 0x2e && part[1] === 0x2e)
      throw new SitePathError(`"${shown}" contains "..": site paths may not leave the site's root`, shown);
    parts.push(part);
  }
  return Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [Buffer.from(sep), part])));
}

function isInsideBytes(root: Buffer, candidate: Buffer): boolean {
  if (candidate.equals(root)) return true;
  return (
    candidate.length > root.length &&
    candidate.subarray(0, root.length).equals(root) &&
    (root[root.length - 1] === SEP_BYTE || candidate[root.length] === SEP_BYTE)
  );
}

/**
 * How a path's bytes are shown (in items, logs and errors): as UTF-8 when they are UTF-8;
 * otherwise each byte outside a valid sequence as `\xNN` (and `\` as `\\`), so two different
 * names never show alike.
 */
export function showPathBytes(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) return text;
  let shown = '';
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let at = 0; at < bytes.length; ) {
    const length = sequenceLength(bytes, at);
    if (length > 0) {
      const char = decoder.decode(bytes.subarray(at, at + length));
      shown += char === '\\' ? '\\\\' : char;
      at += length;
    } else {
      shown += `\\x${bytes[at].toString(16).padStart(2, '0').toUpperCase()}`;
      at += 1;
    }
  }
  return shown;
}

/** The length of the valid UTF-8 sequence at `at`, or 0. */
function sequenceLength(bytes: Buffer, at: number): number {
  const first = bytes[at];
  const length = first < 0x80 ? 1 : first >= 0xc2 && first <= 0xdf ? 2 : first >= 0xe0 && first <= 0xef ? 3 : first >= 0xf0 && first <= 0xf4 ? 4 : 0;
  if (length === 0 || at + length > bytes.length) return 0;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at, at + length));
    return length;
  } catch {
    return 0;
  }
}

/** Whether `candidate` is `root` or inside it (both absolute and resolved). */
export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}
