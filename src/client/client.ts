import type {
  ChangeDetailDto,
  ChangeDto,
  ChangePageDto,
  ComparisonDto,
  DeliveryDto,
  EnvelopeDto,
  ItemStatsDto,
  JobDto,
  ScheduleDto,
  SubscriptionDto,
} from '../api/dto.js';
import type { ErrorCode, FieldProblem } from '../model/index.js';

export interface ClientOptions {
  /** The hub, e.g. http://127.0.0.1:4680 */
  url: string;
  /** An API token (`switchyard tokens create`). */
  token?: string;
  /** Per-request timeout, except for long polls which set their own. */
  timeoutMs?: number;
}

/** An error answer from the hub, or a failure to reach it (`code` SWY_ERR_UNREACHABLE). */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'SWY_ERR_UNREACHABLE',
    message: string,
    readonly fields?: FieldProblem[],
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

export type Job = JobDto;

/** A job's change set (R27): one page of changes, with counts per kind. */
/** A schedule as the API answers it (instants as ISO 8601), with its timing in words and its last run. */
export type {
  ChangeDetailDto as JobChangeDetail,
  ChangeDto as JobChange,
  ChangePageDto as ChangePage,
  ComparisonDto as JobComparison,
  ItemStatsDto as ItemStats,
  ScheduleDto,
};

/** An envelope as the API answers it. */
export type Envelope = EnvelopeDto;

/** An envelope with its member jobs in order (each with the members it runs after) and its rollback job. */
export type EnvelopeDetail = EnvelopeDto & { jobs: (JobDto & { after: number[] })[]; rollbackJob: JobDto | null };

/** One event of an envelope's history. */
export interface EnvelopeEvent {
  id: number;
  at: string;
  type: string;
  jobId: number | null;
  taskId: number | null;
  site: string | null;
  data: Record<string, unknown>;
}

/** An envelope submission as JSON: `jobs` for the built-in `jobs` type, `data` for others. */
export interface SubmitEnvelope {
  type: string;
  jobs?: { workflow: string; fields?: Record<string, unknown>; site?: string; queue?: string }[];
  data?: unknown;
  site?: string;
  queue?: string;
  idempotencyKey?: string;
}

/** An envelope submission as a file upload. */
export interface UploadEnvelope {
  type: string;
  file: { name: string; content: string | Uint8Array; contentType: string };
  site?: string;
  queue?: string;
  idempotencyKey?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SubmitJob {
  workflow: string;
  fields?: Record<string, unknown>;
  site?: string;
  queue?: string;
  priority?: number;
  runAt?: string | number;
  idempotencyKey?: string;
}

export type JobFilters = Partial<{
  site: string | string[];
  state: string | string[];
  queue: string | string[];
  workflow: string | string[];
  creator: string | string[];
  createdFrom: string | number;
  createdTo: string | number;
  hideNoop: boolean;
  q: string;
  sort: string;
  cursor: string;
  limit: number;
}>;

export interface TokenInfo {
  id: number;
  name: string;
  role: string;
  sites: string[] | null;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  state: 'active' | 'revoked' | 'expired';
}

export interface UserInfo {
  id: number;
  username: string;
  role: string;
  sites: string[] | null;
  disabled: boolean;
  email: string | null;
  createdAt: string;
  passwordChangedAt: string | null;
}

/** How to be told of one job, envelope or schedule: the channel, its address or URL, and when. */
export interface SubscribeInput {
  channel: 'email' | 'webhook' | 'console';
  address?: string;
  url?: string;
  on?: 'end' | 'failure';
}

/** A subscription or site rule; a webhook's `secret` is present once, in the answer that created it. */
export type SubscriptionInfo = SubscriptionDto;

/** One notification of a subscription (see `GET /subscriptions/:id/deliveries`). */
export type DeliveryInfo = DeliveryDto;

/** A bulk operation as the API answers it (see `POST /jobs/bulk-actions`). */
export type Operation = ReturnType<typeof import('../api/routes/operations.js').operationDto>;

/** The dashboard of one site or Global (see `GET /dashboard`). */
export type DashboardDto = Record<string, unknown> & {
  totals: Record<string, number>;
  failureRate: number;
  errorRate: number;
  throughputPerHour: number;
  durations: { workflow: string; count: number; p50Ms: number; p95Ms: number }[];
};

/** What a bulk action selects: jobs by ids, or the jobs list's filters. */
export interface BulkSelection {
  action: 'cancel' | 'pause' | 'resume' | 'retry' | 'delete' | 'subscribe';
  ids?: number[];
  filter?: Omit<JobFilters, 'cursor' | 'limit' | 'sort' | 'id'>;
  options?: { channel?: 'console' | 'email'; address?: string; on?: 'end' | 'failure' };
}

/** A typed client of the REST API. */
export interface SwitchyardClient {
  readonly url: string;
  request<T>(method: string, path: string, body?: unknown, options?: { timeoutMs?: number; signal?: AbortSignal; okStatuses?: number[] }): Promise<T>;
  /**
   * A request whose body or answer is bytes (transfers): the body streams from `body`, and the
   * answer is the Response as it came, to read as a stream. An error answer (not in
   * `okStatuses`) is thrown as HubError, its JSON body read.
   */
  requestBytes(
    method: string,
    path: string,
    options?: { body?: AsyncIterable<Uint8Array>; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal; okStatuses?: number[] },
  ): Promise<Response>;
  submit(job: SubmitJob): Promise<Job>;
  getJob(id: number): Promise<Job>;
  listJobs(filters?: JobFilters): Promise<Page<Job>>;
  control(id: number, action: 'pause' | 'resume' | 'cancel' | 'retry' | 'resubmit'): Promise<Job>;
  /** Re-runs a finished job's unsuccessful tasks; `items: 'failed'`: only the tasks that recorded failed items, told those paths. */
  retry(id: number, options?: { items?: 'failed'; force?: boolean }): Promise<Job>;
  /** A job's changes (added, changed, removed), filtered by kind and path text, with counts per kind. */
  jobChanges(jobId: number, filters?: { change?: 'added' | 'changed' | 'removed'; path?: string; cursor?: string; limit?: number }): Promise<ChangePageDto>;
  /** One change with its text before and after. */
  jobChange(jobId: number, changeId: number): Promise<ChangeDetailDto>;
  /** The job's items compared with the previous run of its workflow at its site (or of its schedule). */
  compareJob(jobId: number, filters?: { kind?: 'added' | 'removed' | 'changed'; path?: string; after?: string; limit?: number }): Promise<ComparisonDto>;
  /** A job's item records counted per operation and outcome. */
  itemStats(jobId: number): Promise<ItemStatsDto>;
  /** Pauses a job; `now`: running tasks are told to stop at once (they go back to paused, the attempt not counted). */
  pause(id: number, options?: { now?: boolean }): Promise<Job>;
  deleteJob(id: number): Promise<void>;
  listTasks(
    jobId: number,
    filters?: { state?: string; type?: string; cursor?: string; limit?: number },
  ): Promise<Page<Record<string, unknown>> & { types: string[] }>;
  /** Where a job's tasks ran: task counts by state per site and worker. */
  taskPlacement(jobId: number): Promise<{ sites: string[]; items: { site: string; workerId: string | null; taskCounts: Record<string, number> }[] }>;
  taskOutput(
    taskId: number,
    after?: number,
    limit?: number,
  ): Promise<{ lines: { seq: number; at: string; line: string }[]; next: number | null; finished: boolean }>;
  /** Numbers of the output lines after `after` that contain `text` (ASCII letters in either case); go on from `next` while it is not null. */
  searchTaskOutput(taskId: number, text: string, after?: number, limit?: number): Promise<{ matches: number[]; next: number | null; finished: boolean }>;
  listQueues(): Promise<{ items: Record<string, unknown>[] }>;
  /** Changes a queue's settings (admin of every site): concurrency, pauseOnFailure, retainDays (null clears). */
  updateQueue(name: string, patch: { concurrency?: number | null; pauseOnFailure?: boolean; retainDays?: number | null }): Promise<Record<string, unknown>>;
  /** Schedules at your sites. */
  listSchedules(): Promise<{ items: ScheduleDto[] }>;
  /** `{ name, workflow, fields, site?, queue?, cron? | everyMs?, timezone?, overlap?, catchUp?, catchUpLimit?, enabled? }`. */
  createSchedule(input: Record<string, unknown>): Promise<ScheduleDto>;
  /** Changes a schedule; `{ enabled }` enables or disables it. */
  updateSchedule(id: number, patch: Record<string, unknown>): Promise<ScheduleDto>;
  deleteSchedule(id: number): Promise<void>;
  /** Runs a schedule now; the overlap rule applies unless `force`. */
  runSchedule(id: number, force?: boolean): Promise<{ outcome: string; job: JobDto | null; cancelled: number[]; reason: string | null }>;
  queueAction(name: string, action: 'pause' | 'resume' | 'clear'): Promise<Record<string, unknown>>;
  /** Changes a queue's concurrency (null: no limit) or pause-on-failure (admins). */
  /** Workers at your sites: online, last seen, running tasks, version. */
  listWorkers(): Promise<{ items: WorkerStatus[] }>;
  createToken(input: {
    name: string;
    role: string;
    sites?: string[] | null;
    expiresAt?: string | number | null;
    expiresInDays?: number;
  }): Promise<TokenInfo & { token: string }>;
  /** Tokens (never their secrets), revoked and expired ones included. */
  listTokens(): Promise<{ items: TokenInfo[] }>;
  /** Revokes a token: the next request that carries it is refused. */
  revokeToken(id: number): Promise<TokenInfo>;
  addUser(input: { username: string; password: string; role: string; sites?: string[] | null; email?: string | null }): Promise<UserInfo>;
  listUsers(): Promise<{ items: UserInfo[] }>;
  /** Changes a user's role or sites, disables or enables them, or resets their password. */
  updateUser(
    username: string,
    patch: { role?: string; sites?: string[] | null; disabled?: boolean; password?: string; email?: string | null },
  ): Promise<UserInfo>;
  /** Changes the signed-in user's own password. */
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  /** Be told when a job ends (or fails only). E-mail goes to your profile's address unless one is given. */
  subscribe(
    jobId: number,
    input: { channel: 'email' | 'webhook' | 'console'; address?: string; url?: string; on?: 'end' | 'failure' },
  ): Promise<SubscriptionInfo>;
  /** Be told when an envelope ends (on failure: with errors, or corrupt). */
  subscribeEnvelope(envelopeId: number, input: SubscribeInput): Promise<SubscriptionInfo>;
  /** Be told when each job a schedule fires ends (or fails only). */
  subscribeSchedule(scheduleId: number, input: SubscribeInput): Promise<SubscriptionInfo>;
  /** A site rule: every job ending at a site (or all your sites) in the states named. */
  subscribeSite(input: {
    channel: 'email' | 'webhook' | 'console';
    address?: string;
    url?: string;
    site?: string;
    allSites?: boolean;
    events?: string[];
    delivery?: 'immediate' | 'hourly' | 'daily';
    timezone?: string;
  }): Promise<SubscriptionInfo>;
  listSubscriptions(): Promise<{ items: SubscriptionInfo[] }>;
  deleteSubscription(id: number): Promise<void>;
  /** A subscription's delivery log, newest first. */
  deliveries(subscriptionId: number): Promise<{ items: DeliveryInfo[] }>;
  /** Console notifications with the unread count. */
  notifications(): Promise<{ items: DeliveryInfo[]; unread: number }>;
  markNotificationsRead(ids?: number[]): Promise<{ marked: number }>;
  workflows(): Promise<{ items: WorkflowInfo[] }>;
  /** How many jobs the bulk action would select, and apply to now; does nothing. */
  previewBulk(selection: BulkSelection): Promise<{ preview: true; action: string; matching: number; eligible: number }>;
  /** Starts a bulk action as a tracked operation (the hub runs it in batches). */
  startBulk(selection: BulkSelection): Promise<Operation>;
  getOperation(id: number): Promise<Operation>;
  listOperations(limit?: number): Promise<{ items: Operation[] }>;
  cancelOperation(id: number): Promise<Operation>;
  dashboard(query?: { site?: string; from?: string | number; to?: string | number; bucket?: string }): Promise<DashboardDto>;
  /** Submits an envelope as JSON (201; 200 for a repeated idempotency key). A corrupt submission answers status `corrupt`. */
  submitEnvelope(input: SubmitEnvelope): Promise<Envelope>;
  /** Uploads a file as an envelope (multipart). */
  uploadEnvelope(input: UploadEnvelope): Promise<Envelope>;
  listEnvelopes(filters?: {
    status?: string[];
    type?: string[];
    site?: string[];
    creator?: string[];
    /** Created at or after / at or before: ISO 8601 or epoch milliseconds. */
    createdFrom?: string | number;
    createdTo?: string | number;
    cursor?: string;
    limit?: number;
  }): Promise<Page<Envelope>>;
  getEnvelope(id: number): Promise<EnvelopeDetail>;
  /** Its history, oldest first: its own events and its jobs' state changes. */
  envelopeEvents(id: number): Promise<{ items: EnvelopeEvent[] }>;
  cancelEnvelope(id: number): Promise<Envelope>;
  rollbackEnvelope(id: number): Promise<Envelope>;
  /** Runs an ended envelope's unsuccessful jobs again. */
  retryEnvelope(id: number): Promise<Envelope>;
  /** Deletes an envelope that is through, with its jobs and its rollback job (admin). */
  deleteEnvelope(id: number): Promise<void>;
  /** Rolls one finished job back; answers the rollback job. */
  rollbackJob(id: number): Promise<Job>;
}

/** A workflow as the hub's catalog describes it (`GET /workflows`). */
export interface WorkflowInfo {
  name: string;
  label: string;
  description: string | null;
  taskTypes: string[];
  fieldsSchema: Record<string, unknown>;
  queue: string | null;
  /** Whether its jobs declare resource locks. */
  locks: boolean;
  /** Its concurrency limits: at most `limit` jobs at once, at most `perKey` per key (null: none). */
  concurrency: { limit: number | null; perKey: number | null; keyed: boolean } | null;
  controls: { pause: boolean; cancel: boolean; retry: boolean };
}

/** A worker as GET /workers answers it. */
export interface WorkerStatus {
  id: string;
  name: string;
  site: string;
  host: string;
  workflows: string[];
  version: string | null;
  startedAt: string;
  lastSeenAt: string;
  online: boolean;
  runningTasks: number;
}

export function createClient(options: ClientOptions): SwitchyardClient {
  const base = options.url.replace(/\/+$/, '');
  const defaultTimeout = options.timeoutMs ?? 30_000;

  async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { timeoutMs?: number; signal?: AbortSignal; okStatuses?: number[] } = {},
  ): Promise<T> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? defaultTimeout);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    // A form (a file upload) sets its own multipart content type.
    const form = body instanceof FormData;
    let response: Response;
    try {
      response = await fetch(`${base}/api/v1${path}`, {
        method,
        signal,
        headers: {
          accept: 'application/json',
          ...(body === undefined || form ? {} : { 'content-type': 'application/json' }),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        body: body === undefined ? undefined : form ? body : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new HubError(0, 'SWY_ERR_UNREACHABLE', `cannot reach the hub at ${base}: ${cause}`);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!response.ok && !opts.okStatuses?.includes(response.status)) {
      const error = (parsed as { error?: { code?: ErrorCode; message?: string; fields?: FieldProblem[] } })?.error;
      throw new HubError(response.status, error?.code ?? 'SWY_ERR_INTERNAL', error?.message ?? `HTTP ${response.status}`, error?.fields, parsed);
    }
    return parsed as T;
  }

  async function requestBytes(
    method: string,
    path: string,
    opts: { body?: AsyncIterable<Uint8Array>; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal; okStatuses?: number[] } = {},
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? defaultTimeout);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(`${base}/api/v1${path}`, {
        method,
        signal,
        headers: {
          ...(opts.body ? { 'content-type': 'application/octet-stream' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...opts.headers,
        },
        // A stream body: undici sends it as it is read (duplex 'half').
        ...(opts.body ? { body: opts.body as unknown as RequestInit['body'], duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? error;
      const cause = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new HubError(0, 'SWY_ERR_UNREACHABLE', `cannot reach the hub at ${base}: ${cause}`);
    }
    if (response.ok || opts.okStatuses?.includes(response.status)) return response;
    const text = await response.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    const error = (parsed as { error?: { code?: ErrorCode; message?: string; fields?: FieldProblem[] } })?.error;
    throw new HubError(response.status, error?.code ?? 'SWY_ERR_INTERNAL', error?.message ?? `HTTP ${response.status}`, error?.fields, parsed);
  }

  const query = (filters: Record<string, unknown>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) {
      if (value === undefined || value === null || value === '') continue;
      params.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    const text = params.toString();
    return text ? `?${text}` : '';
  };

  return {
    url: base,
    request,
    requestBytes,
    submit: (job) => request('POST', '/jobs', job),
    getJob: (id) => request('GET', `/jobs/${id}`),
    listJobs: (filters = {}) => request('GET', `/jobs${query(filters)}`),
    control: (id, action) => request('POST', `/jobs/${id}/${action}`),
    pause: (id, options = {}) => request('POST', `/jobs/${id}/pause`, options.now ? { now: true } : undefined),
    retry: (id, options = {}) => request('POST', `/jobs/${id}/retry`, options.items || options.force ? options : undefined),
    jobChanges: (jobId, filters = {}) => request('GET', `/jobs/${jobId}/changes${query(filters)}`),
    jobChange: (jobId, changeId) => request('GET', `/jobs/${jobId}/changes/${changeId}`),
    compareJob: (jobId, filters = {}) => request('GET', `/jobs/${jobId}/compare${query(filters)}`),
    itemStats: (jobId) => request('GET', `/jobs/${jobId}/items/stats`),
    deleteJob: (id) => request('DELETE', `/jobs/${id}`),
    listTasks: (jobId, filters = {}) => request('GET', `/jobs/${jobId}/tasks${query(filters)}`),
    taskPlacement: (jobId) => request('GET', `/jobs/${jobId}/sites`),
    taskOutput: (taskId, after = 0, limit = 1000) => request('GET', `/tasks/${taskId}/output${query({ after, limit })}`),
    searchTaskOutput: (taskId, text, after = 0, limit = 1000) => request('GET', `/tasks/${taskId}/output${query({ search: text, after, limit })}`),
    listQueues: () => request('GET', '/queues'),
    updateQueue: (name, patch) => request('PATCH', `/queues/${encodeURIComponent(name)}`, patch),
    listSchedules: () => request('GET', '/schedules'),
    createSchedule: (input) => request('POST', '/schedules', input),
    updateSchedule: (id, patch) => request('PATCH', `/schedules/${id}`, patch),
    deleteSchedule: (id) => request('DELETE', `/schedules/${id}`),
    runSchedule: (id, force = false) => request('POST', `/schedules/${id}/run`, { force }),
    queueAction: (name, action) => request('POST', `/queues/${encodeURIComponent(name)}/${action}`),
    listWorkers: () => request('GET', '/workers'),
    createToken: (input) => request('POST', '/tokens', input),
    listTokens: () => request('GET', '/tokens'),
    revokeToken: (id) => request('DELETE', `/tokens/${id}`),
    addUser: (input) => request('POST', '/users', input),
    listUsers: () => request('GET', '/users'),
    updateUser: (username, patch) => request('PATCH', `/users/${encodeURIComponent(username)}`, patch),
    changePassword: (currentPassword, newPassword) => request('POST', '/me/password', { currentPassword, newPassword }),
    subscribe: (jobId, input) => request('POST', `/jobs/${jobId}/subscriptions`, input),
    subscribeEnvelope: (envelopeId, input) => request('POST', `/envelopes/${envelopeId}/subscriptions`, input),
    subscribeSchedule: (scheduleId, input) => request('POST', `/schedules/${scheduleId}/subscriptions`, input),
    subscribeSite: (input) => request('POST', '/subscriptions', input),
    listSubscriptions: () => request('GET', '/subscriptions'),
    deleteSubscription: (id) => request('DELETE', `/subscriptions/${id}`),
    deliveries: (subscriptionId) => request('GET', `/subscriptions/${subscriptionId}/deliveries`),
    notifications: () => request('GET', '/notifications'),
    markNotificationsRead: (ids) => request('POST', '/notifications/read', ids ? { ids } : {}),
    workflows: () => request('GET', '/workflows'),
    previewBulk: (selection) => request('POST', '/jobs/bulk-actions', { ...selection, preview: true }),
    startBulk: (selection) => request('POST', '/jobs/bulk-actions', selection),
    getOperation: (id) => request('GET', `/operations/${id}`),
    listOperations: (limit = 50) => request('GET', `/operations${query({ limit })}`),
    cancelOperation: (id) => request('POST', `/operations/${id}/cancel`),
    dashboard: (q = {}) => request('GET', `/dashboard${query(q)}`),
    submitEnvelope: (input) => request('POST', '/envelopes', input),
    uploadEnvelope: (input) => {
      const form = new FormData();
      form.append('type', input.type);
      for (const key of ['site', 'queue', 'idempotencyKey'] as const) if (input[key]) form.append(key, input[key] as string);
      const content = typeof input.file.content === 'string' ? input.file.content : new Uint8Array(input.file.content);
      form.append('file', new Blob([content], { type: input.file.contentType }), input.file.name);
      return request('POST', '/envelopes', form);
    },
    listEnvelopes: (filters = {}) => request('GET', `/envelopes${query(filters)}`),
    getEnvelope: (id) => request('GET', `/envelopes/${id}`),
    envelopeEvents: (id) => request('GET', `/envelopes/${id}/events`),
    cancelEnvelope: (id) => request('POST', `/envelopes/${id}/cancel`),
    rollbackEnvelope: (id) => request('POST', `/envelopes/${id}/rollback`),
    retryEnvelope: (id) => request('POST', `/envelopes/${id}/retry`),
    deleteEnvelope: (id) => request('DELETE', `/envelopes/${id}`),
    rollbackJob: (id) => request('POST', `/jobs/${id}/rollback`),
  };
}
