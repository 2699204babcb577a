import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { isTerminalTaskState } from '../domain.js';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Task, TaskPage, TaskPlacementPage } from './types.js';

export interface TaskFilter {
  state?: string[];
  type?: string[];
}

const PAGE_SIZE = 100;

export function useTasks(jobId: number, filter: TaskFilter, live: boolean) {
  return useInfiniteQuery({
    queryKey: queryKeys.tasks(jobId, filter),
    queryFn: ({ pageParam, signal }) => api<TaskPage>(`/jobs/${jobId}/tasks`, { query: { ...filter, cursor: pageParam, limit: PAGE_SIZE }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
    // Attempts and workers change without a job event; only worth polling while the job runs.
    refetchInterval: live ? 5_000 : false,
  });
}

/** Where a job's tasks ran: task counts by state per site and worker. */
export function useTaskPlacement(jobId: number, live: boolean) {
  return useQuery({
    queryKey: queryKeys.placement(jobId),
    queryFn: ({ signal }) => api<TaskPlacementPage>(`/jobs/${jobId}/sites`, { signal }),
    refetchInterval: live ? 5_000 : false,
  });
}

export function useTask(id: number | null) {
  return useQuery({
    queryKey: queryKeys.task(id ?? 0),
    queryFn: ({ signal }) => api<Task>(`/tasks/${id}`, { signal }),
    enabled: id !== null,
    refetchInterval: (query) => (query.state.data && !isTerminalTaskState(query.state.data.state) ? 3_000 : false),
  });
}
