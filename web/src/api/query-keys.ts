/**
 * Query keys, shaped so that one prefix invalidates what an event touches: `['job', id]`
 * covers the job, its tasks and its items; `['jobs']` every jobs list.
 */
export const queryKeys = {
  me: ['me'] as const,
  jobLists: ['jobs'] as const,
  jobs: (query: object) => ['jobs', query] as const,
  job: (id: number) => ['job', id] as const,
  tasks: (jobId: number, filter: object) => ['job', jobId, 'tasks', filter] as const,
  items: (jobId: number, filter: object) => ['job', jobId, 'items', filter] as const,
  placement: (jobId: number) => ['job', jobId, 'sites'] as const,
  itemHistory: (jobId: number, path: string) => ['job', jobId, 'item-history', path] as const,
  itemStats: (jobId: number) => ['job', jobId, 'item-stats'] as const,
  changes: (jobId: number, filter: object) => ['job', jobId, 'changes', filter] as const,
  change: (jobId: number, changeId: number) => ['job', jobId, 'change', changeId] as const,
  comparison: (jobId: number, filter: object) => ['job', jobId, 'compare', filter] as const,
  task: (id: number) => ['task', id] as const,
  taskOutput: (id: number) => ['task-output', id] as const,
  workflows: ['workflows'] as const,
  sites: ['sites'] as const,
  queues: ['queues'] as const,
  notifications: ['notifications'] as const,
  subscriptions: ['subscriptions'] as const,
  users: ['users'] as const,
  tokens: ['tokens'] as const,
  workers: ['workers'] as const,
  audit: (query: object) => ['audit', query] as const,
  auditOf: (kind: string, id: string) => ['audit-of', kind, id] as const,
  /** Every schedule query: the list and each schedule. */
  schedules: ['schedules'] as const,
  schedule: (id: number) => ['schedules', id] as const,
  /** Every envelope query (lists and pages): any job or envelope event refreshes them. */
  envelopes: ['envelopes'] as const,
  envelopeList: (query: object) => ['envelopes', 'list', query] as const,
  envelope: (id: number) => ['envelopes', 'one', id] as const,
  envelopeEvents: (id: number) => ['envelopes', 'events', id] as const,
  envelopeTypes: ['envelope-types'] as const,
};
