import { useMutation } from '@tanstack/react-query';
import { api } from './http.js';

export interface SubscribeRequest {
  channel: 'email' | 'console';
  on: 'end' | 'failure';
}

/** Subscribes the signed-in user to one job's end (e-mail goes to the profile's address). */
export function useSubscribeToJob(jobId: number) {
  return useMutation({
    mutationFn: (request: SubscribeRequest) => api<{ id: number }>(`/jobs/${jobId}/subscriptions`, { method: 'POST', body: request }),
  });
}
