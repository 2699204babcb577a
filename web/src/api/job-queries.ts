import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { isTerminalJobState } from '../domain.js';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Job, Page } from './types.js';

/** Filters and order of the jobs list, as GET /jobs takes them. */
export interface JobListQuery {
  site?: string[];
  id?: number[];
  state?: string[];
  queue?: string[];
  workflow?: string[];
  creator?: string[];
  /** Jobs a schedule fired (its run history). */
  schedule?: number[];
  createdFrom?: string;
  createdTo?: string;
  hideNoop?: boolean;
  q?: string;
  sort?: string;
}

const PAGE_SIZE = 50;
/** Live events refresh lists at once; this poll only covers a feed that dropped. */
const LIST_FALLBACK_MS = 30_000;
/** Progress and counters move without state-change events, so a running job is polled briskly. */
const RUNNING_JOB_MS = 2_000;
const FINISHED_JOB_MS = 60_000;

/** The jobs list, a page at a time by keyset cursor ("Load more" appends the next page). */
export function useJobs(query: JobListQuery) {
  return useInfiniteQuery({
    queryKey: queryKeys.jobs(query),
    queryFn: ({ pageParam, signal }) => api<Page<Job>>('/jobs', { query: { ...query, cursor: pageParam, limit: PAGE_SIZE }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
    refetchInterval: LIST_FALLBACK_MS,
  });
}

export interface JobTotal {
  count: number;
  /** False: an estimate (the hub counts exactly only up to 10,000). */
  exact: boolean;
}

/** How many jobs the list's filters match; refreshed with the lists (same key prefix). */
export function useJobTotal(query: JobListQuery) {
  const { sort: _sort, ...filters } = query;
  return useQuery({
    queryKey: [...queryKeys.jobLists, 'total', filters] as const,
    queryFn: ({ signal }) => api<JobTotal>('/jobs/total', { query: { ...filters }, signal }),
    placeholderData: keepPreviousData,
    refetchInterval: LIST_FALLBACK_MS,
  });
}

/** "1,234 jobs", or "about 1,200,000 jobs" for an estimate (two significant digits). */
export function totalText(total: JobTotal): string {
  if (total.exact) return `${total.count.toLocaleString('en')} ${total.count === 1 ? 'job' : 'jobs'}`;
  const digits = Math.max(0, Math.floor(Math.log10(Math.max(1, total.count))) - 1);
  const rounded = Math.round(total.count / 10 ** digits) * 10 ** digits;
  return `about ${rounded.toLocaleString('en')} jobs`;
}

/** One job; asks nothing for an id that cannot be one (`/jobs/abc`). */
export function useJob(id: number) {
  return useQuery({
    queryKey: queryKeys.job(id),
    enabled: Number.isSafeInteger(id) && id > 0,
    queryFn: ({ signal }) => api<Job>(`/jobs/${id}`, { signal }),
    refetchInterval: (query) => {
      const job = query.state.data;
      return job && !isTerminalJobState(job.state) ? RUNNING_JOB_MS : FINISHED_JOB_MS;
    },
  });
}
