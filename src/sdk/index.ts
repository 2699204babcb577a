export type { EnvelopeConfig, EnvelopeEntry, EnvelopeInput, EnvelopeType } from './define-envelope.js';
export { defineEnvelope, EnvelopeInputError, isEnvelopeType, jobsEnvelope } from './define-envelope.js';
export type {
  ChangeReport,
  CompensationHandler,
  CompensationSource,
  ItemReport,
  PlanContext,
  TaskContext,
  TaskHandler,
  TaskSpec,
  Workflow,
  WorkflowConfig,
} from './define-workflow.js';
export { defineWorkflow, isWorkflow, taskHandler, workflowModule } from './define-workflow.js';
export type { SiteInfo } from './site-paths.js';
export { checkSitePath, isInside, resolveInSite, SitePathError, showPathBytes } from './site-paths.js';
export type { SiteTransfer, TransferBlob, TransferGetOptions, TransferOptions } from './transfer.js';
export { isTransferPartial, PARTIAL_SUFFIX, partialPathFor } from './transfer.js';
export type { SiteEntry, WalkOptions } from './walk-site.js';
export { entryBytes, joinSitePath, SITE_STATE_DIR, walkSite } from './walk-site.js';
export type { EnvelopeTypeInfo, WorkflowInfo } from './workflow-registry.js';
export { WorkflowRegistry } from './workflow-registry.js';
