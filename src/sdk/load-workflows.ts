import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import Module, { register } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type EnvelopeType, isEnvelopeType } from './define-envelope.js';
import { isWorkflow, rememberWorkflowModule, type Workflow } from './define-workflow.js';

let hookRegistered = false;
let commonJsFolder: string | null = null;

/** Where `switchyard`, `switchyard/client` and `zod` resolve for user modules that cannot find them. */
function fallbackTargets(): Record<string, string> | null {
  const here = new URL('.', import.meta.url);
  if (!existsSync(new URL('./resolve-fallback-hook.js', here))) return null; // running from sources (tests)
  return {
    switchyard: new URL('../index.js', here).href,
    'switchyard/client': new URL('../client/index.js', here).href,
    zod: import.meta.resolve('zod'),
  };
}

/**
 * A workflows module may live anywhere, with no node_modules of its own beside it: its imports
 * of `switchyard`, `switchyard/client` and `zod` fall back to this installation's copies.
 * Registered once, before the first user module loads.
 */
function registerFallbackResolution(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const targets = fallbackTargets();
  if (targets) register(new URL('./resolve-fallback-hook.js', import.meta.url), { data: targets });
}

const LINKS_PREFIX = 'switchyard-modules-';

/**
 * Removes the link folders of processes that are gone (killed before their exit handler ran):
 * named after their process id, they are this user's own folders whose process no longer
 * exists. A folder whose process is alive, or not this user's, is left alone.
 */
export function sweepDeadFolders(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const pid = name.startsWith(LINKS_PREFIX) ? Number(/^(\d+)-/.exec(name.slice(LINKS_PREFIX.length))?.[1]) : Number.NaN;
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const path = join(tmpdir(), name);
    try {
      const stat = lstatSync(path);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || processAlive(pid)) continue;
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A `.ts` module outside any `"type": "module"` package runs as CommonJS under tsx, where the
 * ESM hook above does not apply. CommonJS looks in NODE_PATH last, so a folder of links to
 * this installation's packages there serves the same fallback (Node 20.19 can require() the
 * ES modules they are).
 */
function registerCommonJsFallback(): void {
  const targets = fallbackTargets();
  if (!targets || commonJsFolder) return;
  sweepDeadFolders();
  const folder = mkdtempSync(join(tmpdir(), `${LINKS_PREFIX}${process.pid}-`));
  commonJsFolder = folder;
  // Links only (removing them leaves what they point to), gone with the process or thread.
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const packageRoot = (url: string, name: string) => {
    let dir = dirname(fileURLToPath(url));
    while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
      const parent = dirname(dir);
      if (parent === dir) return null;
      dir = parent;
    }
    return dir;
  };
  for (const name of ['switchyard', 'zod']) {
    const root = packageRoot(targets[name], name);
    if (root) symlinkSync(root, join(commonJsFolder, name), 'dir');
  }
  process.env.NODE_PATH = [commonJsFolder, process.env.NODE_PATH].filter(Boolean).join(delimiter);
  // NODE_PATH is read at start-up; this is how Node re-reads it.
  (Module as unknown as { _initPaths(): void })._initPaths();
}

/**
 * Loads the workflows a module exports (`.js`, `.mjs` or `.ts`): every export that is a
 * `defineWorkflow(...)` result, named or default, or an array of them. Throws with the path
 * when the file is missing, fails to load, or exports none.
 */
export async function loadWorkflows(file: string): Promise<Workflow[]> {
  return (await loadDefinitions(file)).filter((d): d is Workflow => isWorkflow(d));
}

/** As loadWorkflows, with the envelope types (`defineEnvelope(...)`) the module exports too. */
export async function loadDefinitions(file: string): Promise<(Workflow | EnvelopeType)[]> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`workflows file not found: ${path}`);
  registerFallbackResolution();
  let module: Record<string, unknown>;
  try {
    if (extname(path) === '.ts' || extname(path) === '.mts') {
      const { tsImport } = await import('tsx/esm/api');
      registerCommonJsFallback();
      module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    } else {
      module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new Error(`could not load workflows from ${path}: ${(error as Error).message}`);
  }
  const found = new Map<string, Workflow>();
  const envelopes = new Map<string, EnvelopeType>();
  // A CommonJS-compiled module arrives as { default: module.exports }: look one level into it too.
  const exported = Object.values(module).flatMap((value) =>
    value && typeof value === 'object' && !Array.isArray(value) && !isWorkflow(value) ? Object.values(value) : [value],
  );
  for (const value of exported) {
    for (const candidate of Array.isArray(value) ? value : [value]) {
      if (isWorkflow(candidate)) found.set(candidate.name, candidate);
      else if (isEnvelopeType(candidate)) envelopes.set(candidate.name, candidate);
    }
  }
  if (found.size === 0) throw new Error(`${path} exports no workflows: export the results of defineWorkflow(...)`);
  for (const workflow of found.values()) rememberWorkflowModule(workflow, pathToFileURL(path).href);
  return [...found.values(), ...envelopes.values()];
}
