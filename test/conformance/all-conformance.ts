import type { StoreHarness } from '../helpers/store-harness.js';
import { describeAuthConformance } from './auth-conformance.js';
import { describeBatchControlsConformance } from './batch-controls-conformance.js';
import { describeChangesConformance } from './changes-conformance.js';
import { describeConcurrencyConformance } from './concurrency-conformance.js';
import { describeControlsConformance } from './controls-conformance.js';
import { describeEnvelopesConformance } from './envelopes-conformance.js';
import { describeJobSitesConformance } from './job-sites-conformance.js';
import { describeLocksConformance } from './locks-conformance.js';
import { describeNotifyConformance } from './notify-conformance.js';
import { describeOpenJobsConformance } from './open-jobs-conformance.js';
import { describeOperationsConformance } from './operations-conformance.js';
import { describeProgressConformance } from './progress-conformance.js';
import { describeRetentionConformance } from './retention-conformance.js';
import { describeRollupConformance } from './rollup-conformance.js';
import { describeSchedulesConformance } from './schedules-conformance.js';
import { describeSearchConformance } from './search-conformance.js';
import { describeSiteScopeConformance } from './site-scope-conformance.js';
import { describeStoreConformance } from './store-conformance.js';
import { describeWorkerScopeConformance } from './worker-scope-conformance.js';

/**
 * Every conformance area, run against one backend. The per-store files call only this, so a
 * new area is added here once and runs on both stores.
 */
export function describeAllConformance(harness: StoreHarness): void {
  describeStoreConformance(harness);
  describeAuthConformance(harness);
  describeWorkerScopeConformance(harness);
  describeSiteScopeConformance(harness);
  describeSearchConformance(harness);
  describeLocksConformance(harness);
  describeConcurrencyConformance(harness);
  describeProgressConformance(harness);
  describeControlsConformance(harness);
  describeOpenJobsConformance(harness);
  describeNotifyConformance(harness);
  describeSchedulesConformance(harness);
  describeRetentionConformance(harness);
  describeOperationsConformance(harness);
  describeRollupConformance(harness);
  describeBatchControlsConformance(harness);
  describeEnvelopesConformance(harness);
  describeJobSitesConformance(harness);
  describeChangesConformance(harness);
}
