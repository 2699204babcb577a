import { postgresHarness } from '../helpers/store-harness.js';
import { describeAllConformance } from './all-conformance.js';

describeAllConformance(postgresHarness());
