import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../../api/http.js';
import type { JobState } from '../../domain.js';

export interface DashboardBucket {
  at: string;
  total: number;
  states: Partial<Record<JobState, number>>;
}

export interface Dashboard {
  site: string | null;
  from: string;
  to: string;
  bucketMs: number;
  created: DashboardBucket[];
  ended: DashboardBucket[];
  totals: { created: number; ended: number; failure: number; error: number; success: number; cancelled: number };
  failureRate: number;
  errorRate: number;
  throughputPerHour: number;
  durations: { workflow: string; count: number; p50Ms: number; p95Ms: number }[];
  queues: { name: string; queued: number; active: number; oldestWaitingMs: number | null }[];
  workers: { online: number; total: number; sites: { site: string; online: number; total: number }[] };
}

/** Windows the page offers, with the bucket width each reads best at. */
export const WINDOWS = {
  '6h': { label: 'Last 6 hours', short: '6 hours', ms: 6 * 3_600_000, bucket: '15m', bucketMs: 900_000 },
  '24h': { label: 'Last 24 hours', short: '24 hours', ms: 24 * 3_600_000, bucket: '1h', bucketMs: 3_600_000 },
  '7d': { label: 'Last 7 days', short: '7 days', ms: 7 * 86_400_000, bucket: '6h', bucketMs: 21_600_000 },
  '30d': { label: 'Last 30 days', short: '30 days', ms: 30 * 86_400_000, bucket: '1d', bucketMs: 86_400_000 },
} as const;
export type DashboardWindow = keyof typeof WINDOWS;

const REFRESH_MS = 30_000;

export function useDashboard(site: string | null, window: DashboardWindow) {
  return useQuery({
    queryKey: ['dashboard', site, window],
    queryFn: ({ signal }) => {
      const { ms, bucket, bucketMs } = WINDOWS[window];
      // Buckets on whole intervals (UTC), the current one included.
      const to = Math.ceil(Date.now() / bucketMs) * bucketMs;
      return api<Dashboard>('/dashboard', { query: { site, from: new Date(to - ms).toISOString(), to: new Date(to).toISOString(), bucket }, signal });
    },
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });
}
