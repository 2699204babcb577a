import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, so that the two workers end together. Vitest orders by the durations
 * of the last run it cached, and without a cache (a fresh clone, CI) by file size, which put
 * the PostgreSQL conformance suite (a three-line file, two minutes of tests) last, alone, for
 * the last two minutes of the run. Files without a cached duration take the one measured here;
 * others count as a few seconds.
 *
 * Measured with `CI=true npx vitest run --reporter=json --outputFile=durations.json` on the
 * 2-core machine (seconds, files over 15 s); refresh when a file's weight changes much.
 */
const MEASURED_SECONDS: Record<string, number> = {
  'test/api/fuzz.test.ts': 127,
  'test/conformance/postgres.test.ts': 120,
  'test/e2e/cli.test.ts': 108,
  'test/worker/isolation.test.ts': 100,
  'test/api/access-matrix.test.ts': 97,
  'test/e2e/cli-envelopes.test.ts': 84,
  'test/e2e/readme-commands.test.ts': 75,
  'test/e2e/console-tour.test.ts': 48,
  'test/e2e/cli-sites.test.ts': 47,
  'test/e2e/cli-schedules.test.ts': 46,
  'test/e2e/worker-kill.test.ts': 45,
  'test/e2e/handler-faults.test.ts': 41,
  'test/e2e/cli-credentials.test.ts': 39,
  'test/e2e/console-admin.test.ts': 36,
  'test/e2e/scale-out.test.ts': 35,
  'test/e2e/console.test.ts': 35,
  'test/e2e/cli-changes.test.ts': 29,
  'test/store/postgres-locks-hubs.test.ts': 27,
  'test/e2e/console-new-user.test.ts': 26,
  'test/conformance/sqlite.test.ts': 25,
  'test/e2e/console-bulk-dashboard.test.ts': 25,
  'test/e2e/shutdown.test.ts': 24,
  'test/e2e/transfer-kill.test.ts': 24,
  'test/e2e/cli-bulk.test.ts': 23,
  'test/e2e/cli-flags.test.ts': 23,
  'test/e2e/console-envelopes.test.ts': 20,
  'test/e2e/cli-operations.test.ts': 19,
  'test/e2e/cli-concurrency.test.ts': 18,
  'test/e2e/schedule-exactly-once.test.ts': 16,
  'test/e2e/console-subscribe.test.ts': 15,
  'test/e2e/cli-pause-now.test.ts': 15,
};
const UNMEASURED_SECONDS = 3;

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = (spec: TestSpecification): number => {
      const path = relative(spec.project.config.root, spec.moduleId).split('\\').join('/');
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
      if (cached && !cached.failed && cached.duration > 0) return cached.duration / 1000;
      return MEASURED_SECONDS[path] ?? UNMEASURED_SECONDS;
    };
    return [...files].sort((a, b) => seconds(b) - seconds(a));
  }
}
