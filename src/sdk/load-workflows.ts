import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Workflow, isWorkflow } from './define-workflow.js';

let hookRegistered = false;

/**
 * A workflows module may live anywhere, with no node_modules of its own beside it: its imports
 * of `switchyard`, `switchyard/client` and `zod` fall back to this installation's copies.
 * Registered once, before the first user module loads.
 */
function registerFallbackResolution(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const here = new URL('.', import.meta.url);
  const hook = new URL('./resolve-fallback-hook.js', here);
  if (!existsSync(hook)) return; // running from sources (tests): packages resolve as usual
  register(hook, {
    data: {
      switchyard: new URL('../index.js', here).href,
      'switchyard/client': new URL('../client/index.js', here).href,
      zod: import.meta.resolve('zod'),
    },
  });
}

/**
 * Loads the workflows a module exports (`.js`, `.mjs` or `.ts`): every export that is a
 * `defineWorkflow(...)` result, named or default, or an array of them. Throws with the path
 * when the file is missing, fails to load, or exports none.
 */
export async function loadWorkflows(file: string): Promise<Workflow[]> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`workflows file not found: ${path}`);
  registerFallbackResolution();
  let module: Record<string, unknown>;
  try {
    if (extname(path) === '.ts' || extname(path) === '.mts') {
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    } else {
      module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new Error(`could not load workflows from ${path}: ${(error as Error).message}`);
  }
  const found = new Map<string, Workflow>();
  for (const value of Object.values(module)) {
    for (const candidate of Array.isArray(value) ? value : [value]) {
      if (isWorkflow(candidate)) found.set(candidate.name, candidate);
    }
  }
  if (found.size === 0) throw new Error(`${path} exports no workflows: export the results of defineWorkflow(...)`);
  return [...found.values()];
}
