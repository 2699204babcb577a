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
  'test/conformance/postgres.test.ts': 104,
  'test/api/fuzz.test.ts': 80,
  'test/e2e/cli.test.ts': 63,
  'test/worker/isolation.test.ts': 61,
  'test/e2e/readme-commands.test.ts': 58,
  'test/e2e/console-tour.test.ts': 47,
  'test/api/access-matrix.test.ts': 45,
  'test/e2e/cli-envelopes.test.ts': 39,
  'test/e2e/console.test.ts': 38,
  'test/e2e/scale-out.test.ts': 37,
  'test/e2e/console-admin.test.ts': 32,
  'test/e2e/cli-credentials.test.ts': 28,
  'test/store/postgres-locks-hubs.test.ts': 27,
  'test/e2e/cli-sites.test.ts': 25,
  'test/conformance/sqlite.test.ts': 22,
  'test/e2e/shutdown.test.ts': 22,
  'test/e2e/console-envelopes.test.ts': 21,
  'test/e2e/console-new-user.test.ts': 20,
  'test/e2e/cli-changes.test.ts': 19,
  'test/e2e/console-bulk-dashboard.test.ts': 19,
  'test/e2e/schedule-exactly-once.test.ts': 17,
  'test/e2e/cli-schedules.test.ts': 15,
  'test/e2e/handler-faults.test.ts': 15,
  'test/e2e/worker-kill.test.ts': 15,
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
