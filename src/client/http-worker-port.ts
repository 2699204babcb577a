import type { PortHeartbeatRequest, PortLeaseRequest, WorkerPort } from '../engine/ports.js';
import type { ActivityResult, CompletionResult, HeartbeatResult, LeasedTask, TaskActivity, TaskCompletion, WorkerInfo } from '../model/index.js';
import type { SwitchyardClient } from './client.js';

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
}
