import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCatalog, SwitchyardError } from '../../src/model/index.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('error catalog', () => {
  const codes = Object.keys(ErrorCatalog);

  it('names every code SWY_ERR_<AREA>_<WHAT> with a status and a message', () => {
    for (const code of codes) {
      expect(code).toMatch(/^SWY_ERR_[A-Z]+(_[A-Z]+)*$/);
      const entry = ErrorCatalog[code as keyof typeof ErrorCatalog];
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.message.length).toBeGreaterThan(5);
    }
  });

  it('has no code that nothing in src/ uses', () => {
    const text = sources('src')
      .filter((path) => !path.endsWith('model/errors.ts'))
      .map((path) => readFileSync(path, 'utf8'))
      .join('\n');
    const unused = codes.filter((code) => !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('carries code, status and field problems', () => {
    const error = new SwitchyardError('SWY_ERR_VALIDATION', 'fields.root: required', [{ path: 'fields.root', message: 'required' }]);
    expect(error).toMatchObject({ code: 'SWY_ERR_VALIDATION', status: 400, fields: [{ path: 'fields.root', message: 'required' }] });
  });
});
