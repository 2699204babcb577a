import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Job, Schedule } from './types.js';

/** Live job events refresh schedules at once; the poll moves "next run" along between them. */
const SCHEDULES_MS = 15_000;

export function useSchedules() {
  return useQuery({
    queryKey: queryKeys.schedules,
    queryFn: ({ signal }) => api<{ items: Schedule[] }>('/schedules', { signal }).then((r) => r.items),
    refetchInterval: SCHEDULES_MS,
  });
}

export function useSchedule(id: number) {
  return useQuery({
    queryKey: queryKeys.schedule(id),
    queryFn: ({ signal }) => api<Schedule>(`/schedules/${id}`, { signal }),
    refetchInterval: SCHEDULES_MS,
  });
}

/** A schedule as the form sends it (POST /schedules, or PATCH with the same shape). */
export interface ScheduleInput {
  name: string;
  workflow: string;
  fields: Record<string, unknown>;
  site?: string;
  queue?: string;
  cron?: string | null;
  everyMs?: number | null;
  timezone?: string;
  overlap?: string;
  catchUp?: string;
  enabled?: boolean;
}

function useInvalidate() {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: queryKeys.schedules });
    void client.invalidateQueries({ queryKey: queryKeys.jobLists });
  };
}

/** Adds a schedule (no id) or changes one. */
export function useSaveSchedule(id: number | null) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (input: ScheduleInput) =>
      id === null ? api<Schedule>('/schedules', { method: 'POST', body: input }) : api<Schedule>(`/schedules/${id}`, { method: 'PATCH', body: input }),
    onSuccess: invalidate,
  });
}

export function useSetScheduleEnabled() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, enabled }: { id: number; enabled: boolean }) => api<Schedule>(`/schedules/${id}`, { method: 'PATCH', body: { enabled } }),
    onSuccess: invalidate,
  });
}

export function useDeleteSchedule() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: number) => api<void>(`/schedules/${id}`, { method: 'DELETE' }),
    onSuccess: invalidate,
  });
}

/** What run now answers: the job submitted, or why none was (skipped, waiting). */
export interface RunNowResult {
  outcome: 'submitted' | 'skipped' | 'waiting' | 'duplicate' | 'gone';
  job: Job | null;
  cancelled: number[];
  reason: string | null;
}

export function useRunSchedule() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, force }: { id: number; force?: boolean }) =>
      api<RunNowResult>(`/schedules/${id}/run`, { method: 'POST', body: { force: force === true } }),
    onSuccess: invalidate,
  });
}
