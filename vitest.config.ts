import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Browser and process tests start servers; two cores run at most two files at once.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
