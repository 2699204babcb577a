import type { Workflow } from '../sdk/define-workflow.js';
import { checksumTree } from './checksum-tree.js';
import { deletePaths } from './delete-paths.js';
import { sendToSite } from './send-to-site.js';
import { simulate } from './simulate.js';
import { snapshotTree } from './snapshot-tree.js';
import { syncSites } from './sync.js';
import { verifyTree } from './verify-tree.js';

/** Workflows every hub and worker ships with, so a new user sees real work at once. */
export const builtInWorkflows: Workflow[] = [checksumTree, simulate, sendToSite, syncSites, deletePaths, verifyTree, snapshotTree];
