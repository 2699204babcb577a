import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/sequencer.js';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests and examples import the package by name, as its users do; under test the names
    // resolve to the sources (outside tests Node resolves them to dist/ through "exports").
    alias: [
      { find: /^switchyard$/, replacement: source('./src/index.ts') },
      { find: /^switchyard\/testing$/, replacement: source('./src/testing.ts') },
      { find: /^switchyard\/client$/, replacement: source('./src/client/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for a state, never a fixed time: 1 s (its default) is too short for a
    // browser or a hub on a machine busy with other test files.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    // Browser and process tests start servers; two cores run at most two files at once.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default'],
  },
});
