import type { Role } from '../domain.js';

/**
 * JSON shapes of the API as the console reads them; instants are ISO 8601 strings. Jobs,
 * tasks and items are the server's own answer types (type-only imports: nothing of the
 * server reaches the bundle), so the console cannot drift from the API.
 */
export type {
  ChangeDetailDto as ChangeDetail,
  ChangeDto as Change,
  ChangePageDto as ChangePage,
  ComparisonDto as Comparison,
  EnvelopeDto as Envelope,
  ItemDto as Item,
  ItemStatsDto as ItemStats,
  JobDto as Job,
  ScheduleDto as Schedule,
  TaskDto as Task,
} from '../../../src/api/dto.js';

import type { TaskDto } from '../../../src/api/dto.js';

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

export interface TaskPage extends Page<TaskDto> {
  /** The task types present in the job, for the type filter. */
  types: string[];
}

/** Where a job's tasks ran (GET /jobs/:id/sites). */
export interface TaskPlacementPage {
  sites: string[];
  items: { site: string; workerId: string | null; taskCounts: Partial<Record<string, number>> }[];
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

export interface Queue {
  name: string;
  concurrency: number | null;
  paused: boolean;
  pauseOnFailure: boolean;
  activeJobs: number;
  /** Jobs waiting to start at your sites, delayed ones included. */
  queuedJobs: number;
  /** When the oldest of them was created; null when none waits. */
  oldestQueuedAt: string | null;
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
