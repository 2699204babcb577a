import { useMutation } from '@tanstack/react-query';
import { api } from './http.js';

export interface SubscribeRequest {
  channel: 'email' | 'console';
  on: 'end' | 'failure';
}

/** What one can subscribe to: a job, an envelope or a schedule. */
export type SubscribeTarget = { kind: 'job' | 'envelope' | 'schedule'; id: number };

const PATHS = { job: 'jobs', envelope: 'envelopes', schedule: 'schedules' } as const;

/** Subscribes the signed-in user to a job's, an envelope's or a schedule's endings (e-mail goes to the profile's address). */
export function useSubscribe(target: SubscribeTarget) {
  return useMutation({
    mutationFn: (request: SubscribeRequest) => api<{ id: number }>(`/${PATHS[target.kind]}/${target.id}/subscriptions`, { method: 'POST', body: request }),
  });
}

/** Subscribes the signed-in user to one job's end. */
export function useSubscribeToJob(jobId: number) {
  return useSubscribe({ kind: 'job', id: jobId });
}
