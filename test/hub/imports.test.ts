import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|mts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Module specifiers of static and dynamic imports and re-exports. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((match) => match[1]);
}

const reachesInto = (folder: string) => (specifier: string) => new RegExp(`^(\\.\\.?/)+${folder}(/|$)`).test(specifier);

/**
 * The package is used by name, as its users use it: the example app and the tests of the
 * public surface (test/hub) import `switchyard`, `switchyard/testing` and `switchyard/client`,
 * never files under src/ or dist/; no test at all imports dist/ by path. (Unit tests of
 * internals elsewhere in test/ import the module they test from src/.)
 */
describe('imports of the package', () => {
  it('are by name in examples/ and test/hub/, and never of dist/ in any test', () => {
    const offending: string[] = [];
    for (const file of [...files(join(ROOT, 'examples')), ...files(join(ROOT, 'test/hub'))]) {
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        if (reachesInto('src')(specifier) || reachesInto('dist')(specifier)) offending.push(`${relative(ROOT, file)}: ${specifier}`);
      }
    }
    for (const file of [...files(join(ROOT, 'test')), ...files(join(ROOT, 'bench'))]) {
      for (const specifier of specifiers(readFileSync(file, 'utf8')))
        if (reachesInto('dist')(specifier)) offending.push(`${relative(ROOT, file)}: ${specifier}`);
    }
    expect(offending).toEqual([]);
  });
});
