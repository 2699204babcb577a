import { readFileSync } from 'node:fs';

/**
 * The Switchyard package version, read once from package.json (two levels up from src/worker
 * or dist/worker). Workers report it when they register, so the console can show which ones
 * run an older release; the CLI prints it for `--version`.
 */
export const PACKAGE_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();
