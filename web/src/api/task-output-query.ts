import { useInfiniteQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { OutputLine, OutputPage } from './types.js';

const PAGE_LINES = 1000;
/** Page size while loading up to a line far ahead (a search match, a linked line). */
const JUMP_LINES = 10_000;
/** How often a running task is asked for new lines. */
const FOLLOW_MS = 1_000;

/**
 * A task's output, a page of lines at a time after the last seq seen. While the task runs the
 * last cursor stays open, and with `follow` the hook keeps asking for lines after it. Earlier
 * pages never change, so nothing here is refetched by events or focus.
 *
 * `poll`: when every stored line is loaded but the task has not finished, ask again after a
 * moment. `catchUp`: when more full pages are stored, load them at once rather than waiting
 * for the reader to scroll (what following live output needs).
 */
export function useTaskOutput(taskId: number, options: { poll: boolean; catchUp: boolean }) {
  // Loading through a line: pages come one after another, larger, until it is loaded.
  const [through, setThrough] = useState(0);
  const throughRef = useRef(0);
  throughRef.current = through;
  const query = useInfiniteQuery({
    queryKey: queryKeys.taskOutput(taskId),
    queryFn: ({ pageParam, signal }) =>
      api<OutputPage>(`/tasks/${taskId}/output`, {
        query: { after: pageParam, limit: throughRef.current > pageParam + PAGE_LINES ? JUMP_LINES : PAGE_LINES },
        signal,
      }),
    initialPageParam: 0,
    getNextPageParam: (last, _pages, lastParam) => {
      if (last.next !== null) return last.next;
      if (last.finished) return undefined;
      return last.lines.length > 0 ? last.lines[last.lines.length - 1].seq : lastParam;
    },
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
  });

  const loadThrough = useCallback((seq: number) => setThrough((t) => Math.max(t, seq)), []);
  const pages = query.data?.pages;
  const lines = useMemo<OutputLine[]>(() => pages?.flatMap((p) => p.lines) ?? [], [pages]);
  const last = pages?.[pages.length - 1];
  const { hasNextPage, isFetching, fetchNextPage } = query;
  // A full page means more is already there; otherwise wait a moment for the task to write.
  const caughtUp = last !== undefined && last.next === null;

  const lastSeq = lines.length > 0 ? lines[lines.length - 1].seq : 0;
  const wantMore = !caughtUp && lastSeq < through;

  useEffect(() => {
    if (!hasNextPage || isFetching || last === undefined) return;
    if (caughtUp ? !options.poll : !(options.catchUp || wantMore)) return;
    const timer = setTimeout(() => void fetchNextPage(), caughtUp ? FOLLOW_MS : 0);
    return () => clearTimeout(timer);
  }, [options.poll, options.catchUp, wantMore, hasNextPage, isFetching, caughtUp, last, fetchNextPage]);

  return {
    lines,
    isPending: query.isPending,
    error: query.error,
    finished: last?.finished ?? false,
    /** More lines are stored than loaded (not just "might come later"). */
    hasMoreLoaded: last?.next != null,
    loadMore: () => void fetchNextPage(),
    isLoadingMore: query.isFetchingNextPage,
    /** Loads pages until line `seq` is loaded (or the stored output ends). */
    loadThrough,
  };
}
