import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Process and browser tests run the built code (dist/ and dist/web), as a user would. When a
 * source is newer than its build, rebuild it first — once, from the global setup, before any
 * test file starts: two files rebuilding at once would delete dist/ under each other's hubs.
 */
export function ensureBuilt(): void {
  rebuildIfStale(join(ROOT, 'dist/cli/main.js'), [join(ROOT, 'src')], 'build:server');
  // The console imports src/model, so model changes rebuild it too.
  rebuildIfStale(join(ROOT, 'dist/web/index.html'), [join(ROOT, 'web'), join(ROOT, 'src/model')], 'build:web');
}

function rebuildIfStale(output: string, sources: string[], script: string): void {
  const builtAt = existsSync(output) ? statSync(output).mtimeMs : 0;
  if (Math.max(...sources.map(newestMtime)) <= builtAt) return;
  // NODE_ENV as a user builds: vitest sets it to `test`, and Vite then bundles React's
  // development build into the console (several times slower in the browser tests).
  const result = spawnSync('npm', ['run', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
  if (result.status !== 0) throw new Error(`npm run ${script} failed:\n${result.stdout}\n${result.stderr}`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
