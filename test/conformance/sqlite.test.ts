import { sqliteHarness } from '../helpers/store-harness.js';
import { describeAllConformance } from './all-conformance.js';

describeAllConformance(sqliteHarness());
