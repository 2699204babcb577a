import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { JobControl } from '../domain.js';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Job } from './types.js';

export interface SubmitJobRequest {
  workflow: string;
  fields: Record<string, unknown>;
  site?: string;
  queue?: string;
  /** -1000…1000; higher runs first within a queue. */
  priority?: number;
  /** ISO instant: the job waits until then. */
  runAt?: string;
  /** A second submission with the same key answers the first job instead of a new one. */
  idempotencyKey?: string;
}

export function useSubmitJob() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (request: SubmitJobRequest) => api<Job>('/jobs', { method: 'POST', body: request }),
    onSuccess: (job) => {
      client.setQueryData(queryKeys.job(job.id), job);
      void client.invalidateQueries({ queryKey: queryKeys.jobLists });
    },
  });
}

/** A job control as the console offers it: `pause-now` is pause with running tasks told to stop at once. */
export type ConsoleControl = JobControl | 'pause-now';

/**
 * A control on one job. Answers the job as it is after the control — for resubmit that is the
 * new job — or null after a delete.
 */
export function useJobControl(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (control: ConsoleControl): Promise<Job | null> => {
      if (control === 'delete') {
        await api<void>(`/jobs/${id}`, { method: 'DELETE' });
        return null;
      }
      if (control === 'pause-now') return api<Job>(`/jobs/${id}/pause`, { method: 'POST', body: { now: true } });
      return api<Job>(`/jobs/${id}/${control}`, { method: 'POST' });
    },
    onSuccess: (job, control) => {
      if (control === 'delete') client.removeQueries({ queryKey: queryKeys.job(id) });
      else if (job) client.setQueryData(queryKeys.job(job.id), job);
      void client.invalidateQueries({ queryKey: queryKeys.job(id) });
      void client.invalidateQueries({ queryKey: queryKeys.jobLists });
    },
  });
}
