import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What loads with a command or with the package, read from the built modules' static imports
 * (the global setup builds dist/). Loading the hub (HTTP server, stores, exporters, mailer)
 * took a client command 1.5 s instead of 0.3 s, and every handler thread that imports
 * `switchyard` for defineWorkflow about a second; those modules load on demand instead.
 */
const DIST = resolve(import.meta.dirname, '../../dist');

/** The top folders of dist/ that `entry` loads through static imports, with their file counts. */
function staticallyLoaded(entry: string): Record<string, number> {
  const start = resolve(DIST, entry);
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    const text = readFileSync(file, 'utf8');
    // tsc's output: one `import … from '…'` / `export … from '…'` / `import '…'` per statement.
    for (const match of text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s*'(\.[^']+)'|^import\s+'(\.[^']+)'/gms)) {
      const target = resolve(dirname(file), match[1] ?? match[2]);
      if (!seen.has(target) && existsSync(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  const folders: Record<string, number> = {};
  for (const file of seen) {
    const folder = relative(DIST, file).split('/')[0];
    folders[folder] = (folders[folder] ?? 0) + 1;
  }
  return folders;
}

describe('what loads at start', () => {
  it('the CLI loads neither the hub, the API, the engine nor the stores until `start` or `worker` runs', () => {
    const loaded = staticallyLoaded('cli/main.js');
    expect(loaded.cli).toBeGreaterThan(5);
    for (const heavy of ['hub', 'api', 'engine', 'store']) expect(loaded, heavy).not.toHaveProperty(heavy);
  });

  it('the package entry loads the SDK and the model; createHub loads the hub when called', async () => {
    expect(Object.keys(staticallyLoaded('index.js')).sort()).toEqual(['index.js', 'model', 'sdk']);
    const entry = await import(resolve(DIST, 'index.js'));
    expect(typeof entry.createHub).toBe('function');
    expect(typeof entry.defineWorkflow).toBe('function');
  });
});
