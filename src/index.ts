/**
 * The workflow SDK: what a workflows module imports.
 *
 *   import { defineWorkflow, z, skip } from 'switchyard';
 */
export { z } from 'zod';
export type { LockMode, LockSpec } from './model/resource-locks.js';
export type { HandlerReturn, Json } from './model/task-report.js';
export { fail, skip } from './model/task-signals.js';
export type { ItemReport, PlanContext, TaskContext, TaskHandler, TaskSpec, Workflow, WorkflowConfig } from './sdk/index.js';
export { defineWorkflow, isWorkflow, workflowModule } from './sdk/index.js';
