import { useQuery } from '@tanstack/react-query';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Site, WorkflowInfo } from './types.js';

/** Workflows change only when the hub restarts with new code. */
export function useWorkflows() {
  return useQuery({
    queryKey: queryKeys.workflows,
    queryFn: ({ signal }) => api<{ items: WorkflowInfo[] }>('/workflows', { signal }).then((r) => r.items),
    staleTime: 5 * 60_000,
  });
}

export function useSites() {
  return useQuery({
    queryKey: queryKeys.sites,
    queryFn: ({ signal }) => api<{ items: Site[] }>('/sites', { signal }).then((r) => r.items),
    staleTime: 60_000,
  });
}
