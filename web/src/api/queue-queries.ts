import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Queue } from './types.js';

export function useQueues() {
  return useQuery({
    queryKey: queryKeys.queues,
    queryFn: ({ signal }) => api<{ items: Queue[] }>('/queues', { signal }).then((r) => r.items),
    refetchInterval: 30_000,
  });
}

export type QueueAction = 'pause' | 'resume' | 'clear';

export function useQueueAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, action }: { name: string; action: QueueAction }) =>
      api<Queue | { queue: string; cancelled: number }>(`/queues/${encodeURIComponent(name)}/${action}`, { method: 'POST' }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.queues });
      void client.invalidateQueries({ queryKey: queryKeys.jobLists });
    },
  });
}

export interface QueueSettings {
  /** Null: no limit; 1: strictly one job at a time. */
  concurrency?: number | null;
  pauseOnFailure?: boolean;
}

/** Changes a queue's concurrency or pause-on-failure (admins). */
export function useUpdateQueue() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, settings }: { name: string; settings: QueueSettings }) =>
      api<Queue>(`/queues/${encodeURIComponent(name)}`, { method: 'PATCH', body: settings }),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.queues }),
  });
}
