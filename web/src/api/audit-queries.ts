import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Json, Page } from './types.js';

/** One audit entry: who did what to what, when. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  /** `job:12`, `user:vera`, `queue:default`…; null for actions on no one object. */
  target: string | null;
  site: string | null;
  data: Record<string, Json>;
}

/** The filters GET /audit takes; `action` matches a prefix (`job.` is every job action). */
export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  site?: string;
  from?: string;
  to?: string;
}

export function useAudit(query: AuditQuery) {
  return useInfiniteQuery({
    queryKey: queryKeys.audit(query),
    queryFn: ({ pageParam, signal }) => api<Page<AuditEntry>>('/audit', { query: { ...query, cursor: pageParam, limit: 50 }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });
}

/** Every audit entry about one object, e.g. ('job', '12'). */
export function useAuditOf(kind: 'job' | 'queue' | 'user' | 'token', id: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.auditOf(kind, id),
    queryFn: ({ signal }) => api<{ items: AuditEntry[] }>(`/audit/${kind}/${encodeURIComponent(id)}`, { signal }).then((r) => r.items),
    enabled,
  });
}
