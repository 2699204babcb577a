import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { ChangeDetail, ChangePage, Comparison, ItemStats, Job } from './types.js';

const PAGE_SIZE = 100;

export type ChangeKindFilter = 'added' | 'changed' | 'removed';

/** A job's change set, page by page, with the counts per kind (GET /jobs/:id/changes). */
export function useChanges(jobId: number, filter: { change?: ChangeKindFilter; path?: string }) {
  return useInfiniteQuery({
    queryKey: queryKeys.changes(jobId, filter),
    queryFn: ({ pageParam, signal }) => api<ChangePage>(`/jobs/${jobId}/changes`, { query: { ...filter, cursor: pageParam, limit: PAGE_SIZE }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });
}

/** One change with its texts, for the side-by-side diff. */
export function useChange(jobId: number, changeId: number | null) {
  return useQuery({
    queryKey: queryKeys.change(jobId, changeId ?? 0),
    queryFn: ({ signal }) => api<ChangeDetail>(`/jobs/${jobId}/changes/${changeId}`, { signal }),
    enabled: changeId !== null,
  });
}

/** The job's items against the previous run's (GET /jobs/:id/compare). */
export function useComparison(jobId: number, filter: { kind?: ChangeKindFilter; path?: string }) {
  return useInfiniteQuery({
    queryKey: queryKeys.comparison(jobId, filter),
    queryFn: ({ pageParam, signal }) => api<Comparison>(`/jobs/${jobId}/compare`, { query: { ...filter, after: pageParam, limit: PAGE_SIZE }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextAfter ?? undefined,
    placeholderData: keepPreviousData,
  });
}

/** Item records counted per operation and outcome. */
export function useItemStats(jobId: number) {
  return useQuery({
    queryKey: queryKeys.itemStats(jobId),
    queryFn: ({ signal }) => api<ItemStats>(`/jobs/${jobId}/items/stats`, { signal }).then((r) => r.items),
  });
}

/** Retries only the tasks of a job that recorded failed items. */
export function useRetryFailedItems(jobId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<Job>(`/jobs/${jobId}/retry`, { method: 'POST', body: { items: 'failed' } }),
    onSuccess: (job) => {
      client.setQueryData(queryKeys.job(job.id), job);
      void client.invalidateQueries({ queryKey: queryKeys.job(jobId) });
      void client.invalidateQueries({ queryKey: queryKeys.jobLists });
    },
  });
}
