import type { ActivityResult, CompletionResult, HeartbeatResult, LeasedTask, LeaseRef, TaskActivity, TaskCompletion, WorkerInfo } from '../model/index.js';
import type { TransferBody, TransferDownload, TransferStatus, TransferUpload } from './transfer-store.js';

export interface PortLeaseRequest {
  workerId: string;
  site: string;
  workflows: string[];
  limit: number;
  /** How long to wait for work when none is ready (long poll); 0 answers at once. */
  waitMs: number;
  /** Ends the wait early (the worker is stopping). Not sent over the wire. */
  signal?: AbortSignal;
}

export interface PortHeartbeatRequest {
  workerId: string;
  leases: LeaseRef[];
  /**
   * Of `leases`, the tasks the worker holds but has not started (prefetched): a pause of their
   * job stops them too (a started task runs on unless the pause is "now"), so they never run.
   */
  unstarted?: number[];
}

/**
 * What a worker may call on the hub: the one port between them. In the hub's own process the
 * engine implements it directly; a remote worker gets an HTTP implementation (client/) that
 * speaks `/api/v1/worker/*`. The worker code is the same either way.
 */
export interface WorkerPort {
  register(info: WorkerInfo): Promise<void>;
  lease(request: PortLeaseRequest): Promise<LeasedTask[]>;
  heartbeat(request: PortHeartbeatRequest): Promise<HeartbeatResult>;
  report(batch: TaskActivity[]): Promise<ActivityResult[]>;
  complete(batch: TaskCompletion[]): Promise<CompletionResult[]>;
  /**
   * Transfers between sites (see `ctx.transfer`): blobs named by their sha256, kept by the hub
   * for one job. How much of a blob the hub holds; an upload of the rest (from `offset`, at most
   * TRANSFER_CHUNK_MAX bytes per call); a download of a complete blob from `offset`. A worker
   * may touch only the blobs of jobs that have a task at a site its credential serves.
   */
  transferStatus(request: { jobId: number; sha256: string }): Promise<TransferStatus>;
  transferUpload(request: TransferUpload): Promise<TransferStatus>;
  transferDownload(request: TransferDownload): Promise<TransferBody>;
}
