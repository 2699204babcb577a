import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { DeliveryDto, SubscriptionDto } from '../../../src/api/dto.js';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';

/** What a notification says of a job that ended (a snapshot taken when it ended). */
export interface JobEndSummary {
  jobId: number;
  workflow: string;
  site: string;
  queue: string;
  state: string;
  reason: string | null;
  endedAt: number;
  link: string | null;
  /** The schedule that fired the job, when one did. */
  schedule?: { id: number; name: string };
  /** An envelope's end (kind 'envelope') carries these instead of the job's. */
  kind?: 'envelope';
  envelopeId?: number;
  type?: string;
  status?: string;
  done?: number;
  totalJobs?: number;
}

/** A delivery as the API answers it, its `job` read as what a job's or envelope's end says. */
export type Delivery = Omit<DeliveryDto, 'job'> & { job: JobEndSummary };

export type Subscription = SubscriptionDto;

export interface SiteRuleRequest {
  channel: Subscription['channel'];
  site?: string;
  allSites?: boolean;
  address?: string;
  url?: string;
  events: string[];
  delivery: Subscription['delivery'];
  timezone: string;
}

/**
 * The signed-in user's console notifications with the unread count. Live events refresh it
 * (see live-events.ts); the interval covers a hub whose notifier runs a moment later.
 */
export function useInbox() {
  return useQuery({
    queryKey: queryKeys.notifications,
    queryFn: ({ signal }) => api<{ items: Delivery[]; unread: number }>('/notifications', { signal }),
    refetchInterval: 15_000,
  });
}

export function useMarkRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (ids: number[] | null) => api<{ marked: number }>('/notifications/read', { method: 'POST', body: ids ? { ids } : {} }),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.notifications }),
  });
}

export function useSubscriptions() {
  return useQuery({
    queryKey: queryKeys.subscriptions,
    queryFn: ({ signal }) => api<{ items: Subscription[] }>('/subscriptions', { signal }).then((r) => r.items),
  });
}

/** A subscription's delivery log (a webhook endpoint's attempts, status and last error). */
export function useDeliveries(subscriptionId: number | null) {
  return useQuery({
    queryKey: [...queryKeys.subscriptions, subscriptionId, 'deliveries'],
    queryFn: ({ signal }) => api<{ items: Delivery[] }>(`/subscriptions/${subscriptionId}/deliveries`, { signal }).then((r) => r.items),
    enabled: subscriptionId !== null,
  });
}

export function useDeleteSubscription() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api<void>(`/subscriptions/${id}`, { method: 'DELETE' }),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.subscriptions }),
  });
}

export function useCreateSiteRule() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (request: SiteRuleRequest) => api<Subscription>('/subscriptions', { method: 'POST', body: request }),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.subscriptions }),
  });
}
