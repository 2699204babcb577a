import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from './http.js';

interface SearchPage {
  /** Line numbers (seq) that contain the text, in order. */
  matches: number[];
  /** Where to search on from; null when the stored output has been searched to its end. */
  next: number | null;
  finished: boolean;
}

const MATCHES_PER_PAGE = 1000;

/**
 * The hub's search of a task's output: the numbers of the lines that contain `needle`, a page
 * at a time (the hub reads a bounded number of lines per request). Off while `needle` is empty.
 */
export function useTaskOutputSearch(taskId: number, needle: string) {
  const query = useInfiniteQuery({
    queryKey: ['task-output-search', taskId, needle] as const,
    queryFn: ({ pageParam, signal }) =>
      api<SearchPage>(`/tasks/${taskId}/output`, { query: { search: needle, after: pageParam, limit: MATCHES_PER_PAGE }, signal }),
    initialPageParam: 0,
    getNextPageParam: (last) => last.next ?? undefined,
    enabled: needle.length > 0,
    refetchOnWindowFocus: false,
  });
  const pages = query.data?.pages;
  const matches = useMemo(() => pages?.flatMap((p) => p.matches) ?? [], [pages]);
  return {
    matches,
    /** The search has not reached the end of the output yet: more matches may follow. */
    hasMore: query.hasNextPage,
    searching: query.isFetching,
    error: query.error,
    more: () => void query.fetchNextPage(),
  };
}
