import { postgresHarness } from '../helpers/store-harness.js';
import { describeStoreConformance } from './store-conformance.js';

describeStoreConformance(postgresHarness());
