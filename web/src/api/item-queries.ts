import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { ItemOutcome } from '../domain.js';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Item, Page } from './types.js';

const PAGE_SIZE = 100;

export function useItems(jobId: number, filter: { status: ItemOutcome; path?: string }) {
  return useInfiniteQuery({
    queryKey: queryKeys.items(jobId, filter),
    queryFn: ({ pageParam, signal }) => api<Page<Item>>(`/jobs/${jobId}/items`, { query: { ...filter, cursor: pageParam, limit: PAGE_SIZE }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });
}

/** Every record of one item across the job's tasks. */
export function useItemHistory(jobId: number, path: string | null) {
  return useQuery({
    queryKey: queryKeys.itemHistory(jobId, path ?? ''),
    queryFn: ({ signal }) => api<{ path: string; items: Item[] }>(`/jobs/${jobId}/items/history`, { query: { path }, signal }).then((r) => r.items),
    enabled: path !== null,
  });
}
