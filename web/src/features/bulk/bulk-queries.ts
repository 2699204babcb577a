import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/http.js';
import type { JobListQuery } from '../../api/job-queries.js';
import { queryKeys } from '../../api/query-keys.js';

export type BulkAction = 'cancel' | 'pause' | 'resume' | 'retry' | 'delete' | 'subscribe';

/** What a bulk action acts on: the rows picked, or every job matching the list's filter. */
export type BulkSelection = { ids: number[] } | { filter: Omit<JobListQuery, 'id' | 'sort'> };

export interface BulkPreview {
  action: BulkAction;
  matching: number;
  eligible: number;
}

export interface Operation {
  id: number;
  action: BulkAction;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  total: number;
  done: number;
  succeeded: number;
  skipped: number;
  failed: number;
  percent: number;
  reasons: Record<string, { count: number; jobIds: number[] }>;
  error: string | null;
}

const POLL_MS = 500;

/** Counts what an action would act on; does nothing on the hub. */
export function previewBulk(action: BulkAction, selection: BulkSelection): Promise<BulkPreview> {
  return api<BulkPreview>('/jobs/bulk-actions', { method: 'POST', body: { action, ...selection, preview: true } });
}

export function useStartBulk() {
  return useMutation({
    mutationFn: ({ action, selection }: { action: BulkAction; selection: BulkSelection }) =>
      api<Operation>('/jobs/bulk-actions', { method: 'POST', body: { action, ...selection } }),
  });
}

/** An operation, polled while it runs; the jobs lists are refreshed when it ends. */
export function useOperation(id: number | null) {
  const client = useQueryClient();
  return useQuery({
    queryKey: ['operation', id],
    enabled: id !== null,
    queryFn: async ({ signal }) => {
      const operation = await api<Operation>(`/operations/${id}`, { signal });
      if (operation.state !== 'running') void client.invalidateQueries({ queryKey: queryKeys.jobLists });
      return operation;
    },
    refetchInterval: (query) => (query.state.data?.state === 'running' || !query.state.data ? POLL_MS : false),
  });
}

export function useCancelOperation() {
  return useMutation({ mutationFn: (id: number) => api<Operation>(`/operations/${id}/cancel`, { method: 'POST' }) });
}

/** How many jobs match the list's filter (for "select all N matching"). */
export function useMatchingCount(filter: Omit<JobListQuery, 'id' | 'sort'>, enabled: boolean) {
  return useQuery({
    queryKey: ['jobs', 'matching', filter],
    enabled,
    queryFn: () => previewBulk('subscribe', { filter }).then((p) => p.matching),
  });
}
