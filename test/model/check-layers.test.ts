import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '../../scripts/check-layers.mjs');
const roots: string[] = [];

/** A throw-away project with the given src/ files (path relative to src/ → contents). */
function fakeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'switchyard-layers-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, 'src', path)), { recursive: true });
    writeFileSync(join(root, 'src', path), text);
  }
  return root;
}

function checkLayers(root: string) {
  return spawnSync(process.execPath, [script, '--root', root], { encoding: 'utf8', timeout: 20_000 });
}

const cleanTree = {
  'index.ts': "export * from './store/store.js';\n",
  'model/job.ts': 'export type Job = { id: number };\n',
  'store/store.ts': "import type { Job } from '../model/job.js';\nexport type Store = { get(): Job };\n",
  'store/create-store.ts': "export const load = () => import('./sqlite/sqlite-store.js');\n",
  'store/sqlite/sqlite-store.ts': "import type { Store } from '../store.js';\nexport type S = Store;\n",
  'engine/engine.ts': "import type { Store } from '../store/store.js';\nexport type E = Store;\n",
  'api/routes.ts':
    "import type { E } from '../engine/engine.js';\n// import { Store } from '../store/store.js' — a comment, not an import\nexport const text = \"from '../store/store.js'\";\nexport type R = E;\n",
  'client/client.ts': "import type { R } from '../api/routes.js';\nexport type C = R;\n",
  'cli/main.ts': "import { text } from '../api/routes.js';\nexport { text };\n",
};

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('scripts/check-layers.mjs', () => {
  it('passes a tree that keeps the layer rules', () => {
    const run = checkLayers(fakeTree(cleanTree));
    expect(run.stdout).toBe('');
    expect(run.status).toBe(0);
  });

  it.each([
    ['api imports the store', 'api/x.ts', "import type { Store } from '../store/store.js';\n", 'src/api/x.ts', 'api may not import store'],
    ['cli imports the store dynamically', 'cli/y.ts', "export const s = await import('../store/store.js');\n", 'src/cli/y.ts', 'cli may not import store'],
    ['engine re-exports a backend', 'engine/e.ts', "export * from '../store/sqlite/sqlite-store.js';\n", 'src/engine/e.ts', 'only src/store/create-store.ts'],
    ['model imports the engine', 'model/m.ts', "import { x } from '../engine/engine.js';\n", 'src/model/m.ts', 'model may not import engine'],
    ['client imports api values', 'client/v.ts', "import { text } from '../api/routes.js';\n", 'src/client/v.ts', 'with `import type` only'],
  ])('fails with exit 1 when %s', (_label, path, text, file, rule) => {
    const run = checkLayers(fakeTree({ ...cleanTree, [path]: text }));
    expect(run.status).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toContain(rule);
  });

  it('passes the real src/ tree (known violations allow-listed)', () => {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stdout).toBe('');
    expect(run.status).toBe(0);
  });
});
