import { sqliteHarness } from '../helpers/store-harness.js';
import { describeAuthConformance } from './auth-conformance.js';
import { describeControlsConformance } from './controls-conformance.js';
import { describeLocksConformance } from './locks-conformance.js';
import { describeProgressConformance } from './progress-conformance.js';
import { describeSearchConformance } from './search-conformance.js';
import { describeSiteScopeConformance } from './site-scope-conformance.js';
import { describeStoreConformance } from './store-conformance.js';
import { describeWorkerScopeConformance } from './worker-scope-conformance.js';

const harness = sqliteHarness();
describeStoreConformance(harness);
describeAuthConformance(harness);
describeWorkerScopeConformance(harness);
describeSiteScopeConformance(harness);
describeSearchConformance(harness);
describeLocksConformance(harness);
describeProgressConformance(harness);
describeControlsConformance(harness);
