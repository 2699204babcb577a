import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';

/**
 * Sites bound to directories on this machine: `switchyard start --site-root NAME=DIR`
 * (repeatable) and `--config FILE` (`{ "sites": { "NAME": "DIR" } }`). The hub runs one local
 * worker per site with its root; with none configured it makes two demo sites in its data
 * directory (see ensureDemoSites).
 */
export type SiteRoots = Record<string, string>;

/** A site name a root may be given for: it becomes part of lock keys (`site/NAME/…`), so no `/` and no control characters. */
const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Parses one `--site-root NAME=DIR` (a commander argParser that collects into a list). */
export function parseSiteRoot(value: string, previous: [string, string][] = []): [string, string][] {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1) throw new InvalidArgumentError('Expected NAME=DIR, e.g. --site-root backup=/srv/backup.');
  const name = value.slice(0, at);
  if (!SITE_NAME.test(name))
    throw new InvalidArgumentError(`"${name}" is not a site name: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit.`);
  return [...previous, [name, value.slice(at + 1)]];
}

/**
 * The site roots of a config file: JSON `{ "sites": { "NAME": "DIR" } }`, a relative DIR
 * counting from the file's directory. Throws a one-line error naming the file and the problem.
 */
export function readSiteConfig(file: string): SiteRoots {
  const path = resolve(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`config file ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const sites = (parsed as { sites?: unknown })?.sites;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof sites !== 'object' || sites === null || Array.isArray(sites)) {
    throw new Error(`config file ${path}: expected {"sites": {"NAME": "DIR", …}}`);
  }
  const roots: SiteRoots = {};
  for (const [name, dir] of Object.entries(sites)) {
    if (!SITE_NAME.test(name)) throw new Error(`config file ${path}: "${name}" is not a site name (letters, digits, '.', '_', '-')`);
    if (typeof dir !== 'string' || dir === '') throw new Error(`config file ${path}: site "${name}" needs a directory (a string)`);
    roots[name] = resolve(dirname(path), dir);
  }
  return roots;
}

/**
 * The site roots to serve: the config file's, then `--site-root` flags (a flag wins for the
 * same site). Every directory must exist: the error names the site and the directory.
 */
export function siteRoots(flags: [string, string][], configFile: string | undefined): SiteRoots {
  const roots: SiteRoots = configFile ? readSiteConfig(configFile) : {};
  for (const [name, dir] of flags) roots[name] = resolve(dir);
  for (const [name, dir] of Object.entries(roots)) requireDirectory(name, dir);
  return roots;
}

function requireDirectory(name: string, dir: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new Error(`site "${name}": the root ${dir} does not exist (create it, or point --site-root ${name}=DIR at an existing directory)`);
  }
  if (!isDirectory) throw new Error(`site "${name}": the root ${dir} is not a directory`);
}

const DEMO_MARKER = '.demo-created';

/**
 * With no site roots configured, `switchyard start` serves two demo sites from its data
 * directory: the default site at `<data>/sites/<default>` holding a few hundred sample files
 * under `samples/`, and `backup` at `<data>/sites/backup`, empty. The samples are written
 * once (a marker remembers it), so files a user deleted stay deleted; the two directories are
 * made again if missing, so the hub still starts.
 */
export function ensureDemoSites(dataDir: string, defaultSite: string): SiteRoots {
  const sites = join(dataDir, 'sites');
  const roots: SiteRoots = { [defaultSite]: join(sites, defaultSite) };
  if (defaultSite !== 'backup') roots.backup = join(sites, 'backup');
  const marker = join(sites, DEMO_MARKER);
  const first = !existsSync(marker);
  for (const dir of Object.values(roots)) mkdirSync(dir, { recursive: true });
  if (first) {
    writeSamples(join(roots[defaultSite], 'samples'));
    writeFileSync(marker, `demo sites created ${new Date().toISOString()}; delete this file to have the samples written again\n`);
  }
  return roots;
}

/** About 300 files in nested directories: text (notes, CSV, JSON) and binary, from a few bytes to 256 KiB. Deterministic. */
function writeSamples(dir: string): void {
  const areas = ['reports', 'photos', 'logs', 'projects/alpha', 'projects/beta/src', 'projects/beta/docs'];
  let seed = 12_345;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (const [a, area] of areas.entries()) {
    const base = join(dir, area);
    mkdirSync(base, { recursive: true });
    for (let n = 0; n < 50; n++) {
      const kind = (n + a) % 5;
      if (kind === 0) {
        writeFileSync(join(base, `notes-${n}.txt`), `Notes ${area} #${n}\n${'All work and no play. '.repeat(1 + Math.floor(random() * 40))}\n`);
      } else if (kind === 1) {
        const rows = Array.from({ length: 5 + Math.floor(random() * 50) }, (_, r) => `${r},${area},${Math.floor(random() * 1000)}`);
        writeFileSync(join(base, `table-${n}.csv`), `row,area,value\n${rows.join('\n')}\n`);
      } else if (kind === 2) {
        writeFileSync(join(base, `record-${n}.json`), `${JSON.stringify({ area, n, values: Array.from({ length: 8 }, () => random()) }, null, 2)}\n`);
      } else {
        // Binary: mostly small, a few of 64 to 256 KiB.
        const size = n % 17 === 3 ? 65_536 * (1 + Math.floor(random() * 4)) : 512 + Math.floor(random() * 8192);
        const bytes = randomBytes(size);
        writeFileSync(join(base, `data-${n}.bin`), bytes);
      }
    }
  }
  writeFileSync(join(dir, 'README.txt'), 'Sample files of the Switchyard demo site: verify, snapshot, send or delete them freely.\n');
}
