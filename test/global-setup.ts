import { ensureBuilt } from './helpers/build.js';

/** Runs once before any test file: see ensureBuilt. */
export function setup(): void {
  ensureBuilt();
}
