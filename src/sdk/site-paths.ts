import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';

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
export interface SiteInfo {
  name: string;
  root: string | null;
}

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
 */
export async function resolveInSite(root: string | null, path: string): Promise<string> {
  if (!root) throw new SitePathError('this worker serves its site without a root directory (start it with --root DIR)', path);
  const relative = checkSitePath(path);
  const realRoot = await realpath(root);
  const target = relative === '' ? realRoot : join(realRoot, relative);
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
    const parent = join(existing, '..');
    if (parent === existing || !isInside(realRoot, parent)) return target;
    existing = parent;
  }
  const real = await realpath(existing).catch((error: NodeJS.ErrnoException) => {
    // A dangling symlink: where it points decides, and lstat found the link itself.
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (real === null) throw new SitePathError(`"${path}" passes through a symlink that points nowhere`, path);
  if (!isInside(realRoot, real)) throw new SitePathError(`"${path}" leads outside the site's root through a symlink`, path);
  return target;
}

/** Whether `candidate` is `root` or inside it (both absolute and resolved). */
export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}
