export type { ItemReport, PlanContext, TaskContext, TaskHandler, TaskSpec, Workflow, WorkflowConfig } from './define-workflow.js';
export { defineWorkflow, isWorkflow, workflowModule } from './define-workflow.js';
export type { WorkflowInfo } from './workflow-registry.js';
export { WorkflowRegistry } from './workflow-registry.js';
