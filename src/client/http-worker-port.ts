import { Readable } from 'node:stream';
import type { PortHeartbeatRequest, PortLeaseRequest, WorkerPort } from '../engine/ports.js';
import type { TransferBody, TransferDownload, TransferStatus, TransferUpload } from '../engine/transfer-store.js';
import type { ActivityResult, CompletionResult, HeartbeatResult, LeasedTask, TaskActivity, TaskCompletion, WorkerInfo } from '../model/index.js';
import type { SwitchyardClient } from './client.js';

/** How long one transfer request may take: up to 64 MiB over a slow link. */
const TRANSFER_TIMEOUT_MS = 30 * 60_000;

/**
 * The worker port over HTTP, for workers at remote sites. A 409 (every lease in the request
 * lost) is an ordinary answer here: its per-task results are passed on, not thrown.
 */
export class HttpWorkerPort implements WorkerPort {
  constructor(private readonly client: SwitchyardClient) {}

  async register(info: WorkerInfo): Promise<void> {
    await this.client.request('POST', '/worker/register', info);
  }

  async lease(request: PortLeaseRequest): Promise<LeasedTask[]> {
    const { signal, ...body } = request;
    const answer = await this.client.request<{ tasks: LeasedTask[] }>('POST', '/worker/lease', body, { signal, timeoutMs: request.waitMs + 30_000 });
    return answer.tasks;
  }

  async heartbeat(request: PortHeartbeatRequest): Promise<HeartbeatResult> {
    const answer = await this.client.request<HeartbeatResult & { error?: unknown }>('POST', '/worker/heartbeat', request, { okStatuses: [409] });
    return answer.error ? { lost: request.leases.map((lease) => lease.taskId), stop: [] } : answer;
  }

  async report(batch: TaskActivity[]): Promise<ActivityResult[]> {
    return (await this.client.request<{ results: ActivityResult[] }>('POST', '/worker/items', { reports: batch }, { okStatuses: [409] })).results;
  }

  async complete(batch: TaskCompletion[]): Promise<CompletionResult[]> {
    return (await this.client.request<{ results: CompletionResult[] }>('POST', '/worker/complete', { completions: batch }, { okStatuses: [409] })).results;
  }

  transferStatus(request: { jobId: number; sha256: string }): Promise<TransferStatus> {
    return this.client.request<TransferStatus>('GET', `${blobPath(request)}/status`);
  }

  async transferUpload(request: TransferUpload): Promise<TransferStatus> {
    const path = `${blobPath(request)}?size=${request.size}&offset=${request.offset}`;
    // Nothing left to send (an empty blob): no body at all, rather than an empty stream.
    const body = request.offset >= request.size ? undefined : request.body;
    const response = await this.client.requestBytes('PUT', path, { body, signal: request.signal, timeoutMs: TRANSFER_TIMEOUT_MS });
    return (await response.json()) as TransferStatus;
  }

  async transferDownload(request: TransferDownload): Promise<TransferBody> {
    const offset = request.offset ?? 0;
    const ranged = offset > 0 || request.end !== undefined;
    const headers: Record<string, string> = ranged ? { range: `bytes=${offset}-${request.end ?? ''}` } : {};
    const response = await this.client.requestBytes('GET', blobPath(request), { headers, signal: request.signal, timeoutMs: TRANSFER_TIMEOUT_MS });
    const length = Number(response.headers.get('content-length') ?? 0);
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
    const size = range ? Number(range[3]) : length;
    const body = response.body ? Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>) : Readable.from([]);
    return { size, offset: range ? Number(range[1]) : 0, end: range ? Number(range[2]) : length - 1, body };
  }
}

function blobPath(request: { jobId: number; sha256: string }): string {
  return `/worker/transfers/${encodeURIComponent(String(request.jobId))}/${encodeURIComponent(request.sha256)}`;
}
