import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, apiForm } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Envelope, Job, Page } from './types.js';

/** An envelope with its members in order (each with the members it runs after) and its rollback job. */
export type EnvelopeDetail = Envelope & { jobs: (Job & { after: number[] })[]; rollbackJob: Job | null };

export interface EnvelopeListQuery {
  status?: string[];
  type?: string[];
  /** Submitters. */
  creator?: string[];
  /** ISO instants. */
  createdFrom?: string;
  createdTo?: string;
  limit?: number;
}

/** Envelopes, newest first; refreshed by the live feed (any job or envelope event). */
export function useEnvelopes(query: EnvelopeListQuery) {
  return useQuery({
    queryKey: queryKeys.envelopeList(query),
    queryFn: ({ signal }) => api<Page<Envelope>>('/envelopes', { signal, query: { ...query, limit: query.limit ?? 100 } }),
    placeholderData: keepPreviousData,
  });
}

export function useEnvelope(id: number) {
  return useQuery({
    queryKey: queryKeys.envelope(id),
    queryFn: ({ signal }) => api<EnvelopeDetail>(`/envelopes/${id}`, { signal }),
    // Not an id: nothing to ask (the page says so).
    enabled: Number.isSafeInteger(id) && id > 0,
  });
}

/** One event of an envelope's history. */
export interface EnvelopeEvent {
  id: number;
  at: string;
  type: string;
  jobId: number | null;
  site: string | null;
  data: Record<string, string | number | boolean | null | undefined>;
}

/** An envelope's history, oldest first; refreshed by the live feed with the envelope. */
export function useEnvelopeEvents(id: number) {
  return useQuery({
    queryKey: queryKeys.envelopeEvents(id),
    queryFn: ({ signal }) => api<{ items: EnvelopeEvent[] }>(`/envelopes/${id}/events`, { signal }).then((r) => r.items),
  });
}

export function useEnvelopeTypes() {
  return useQuery({
    queryKey: queryKeys.envelopeTypes,
    queryFn: ({ signal }) => api<{ items: { name: string; label: string; accepts: string[] }[] }>('/envelope-types', { signal }).then((r) => r.items),
    staleTime: 60_000,
  });
}

export function useEnvelopeAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: 'cancel' | 'rollback' }) => api<Envelope>(`/envelopes/${id}/${action}`, { method: 'POST' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.envelopes }),
  });
}

/** Deletes an envelope that is through, with its jobs (admin); its page's query is dropped, not refetched. */
export function useDeleteEnvelope() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api<void>(`/envelopes/${id}`, { method: 'DELETE' }),
    onSuccess: (_data, id) => {
      client.removeQueries({ queryKey: queryKeys.envelope(id) });
      void client.invalidateQueries({ queryKey: queryKeys.envelopes });
    },
  });
}

export function useUploadEnvelope() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ type, file }: { type: string; file: File }) => {
      const form = new FormData();
      form.append('type', type);
      form.append('file', file, file.name);
      return apiForm<Envelope>('/envelopes', form);
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.envelopes }),
  });
}
