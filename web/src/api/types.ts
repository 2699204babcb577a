import type { ItemOutcome, JobOutcome, JobState, Role, TaskState } from '../domain.js';

/** JSON shapes of the API as the console reads them; instants are ISO 8601 strings. */

export interface User {
  name: string;
  role: Role;
  /** Null: every site. */
  sites: string[] | null;
}

export interface Me {
  user: User;
  csrfToken: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Job {
  id: number;
  workflow: string;
  label: string;
  state: JobState;
  outcome: JobOutcome | null;
  reason: string | null;
  site: string;
  queue: string;
  creator: string;
  priority: number;
  fields: Record<string, Json>;
  parentJobId: number | null;
  runAt: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  updatedAt: string;
  progress: { done: number; total: number; percent: number };
  taskCounts: Record<TaskState, number>;
  itemCounts: Record<ItemOutcome, number>;
}

export interface Task {
  id: number;
  jobId: number;
  type: string;
  key: string | null;
  site: string;
  state: TaskState;
  input: Json;
  attempts: number;
  maxAttempts: number;
  workerId: string | null;
  progress: { done: number; total: number };
  changed: boolean;
  result: Json | null;
  error: { message: string; [key: string]: Json } | null;
  reason: string | null;
  itemsFailed: number;
  dependsOn: number[];
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  updatedAt: string;
}

export interface TaskPage extends Page<Task> {
  /** The task types present in the job, for the type filter. */
  types: string[];
}

export interface OutputLine {
  seq: number;
  at: string;
  line: string;
}

export interface OutputPage {
  lines: OutputLine[];
  /** Seq to ask after for the next full page; null when this page was the last one for now. */
  next: number | null;
  /** The task has ended: no more lines will come. */
  finished: boolean;
}

export interface Item {
  id: number;
  jobId: number;
  taskId: number;
  path: string;
  operation: string;
  outcome: ItemOutcome;
  bytes: number | null;
  error: string | null;
  at: string;
}

export interface Queue {
  name: string;
  concurrency: number | null;
  paused: boolean;
  pauseOnFailure: boolean;
  activeJobs: number;
  createdAt: string;
}

export interface WorkflowInfo {
  name: string;
  label: string;
  description: string | null;
  taskTypes: string[];
  fieldsSchema: JsonSchema;
  secretFields: string[];
  queue: string | null;
}

/** The part of JSON Schema the submit form understands. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
}

export interface Site {
  name: string;
  workers: number;
  workersOnline: number;
  lastSeenAt: string | null;
}

/** One message of the live feed. */
export interface HubEvent {
  id: number;
  at: string;
  type: string;
  jobId: number | null;
  taskId: number | null;
  site: string | null;
  data: Record<string, unknown>;
}
