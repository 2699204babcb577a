import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { isTerminalJobState, type JobState } from '../domain.js';
import { API_BASE } from './http.js';
import { queryKeys } from './query-keys.js';
import type { HubEvent } from './types.js';

/**
 * A burst of thousands of events (a big job fanning out) must cost a handful of refetches:
 * events only mark what they touch, and the marks are flushed at most once per this interval.
 */
const FLUSH_MS = 1_000;

/** How long after a job ends its console notification is surely written. */
const NOTIFIER_LAG_MS = 1_500;

interface Touched {
  lists: boolean;
  /** A job reached an end state: notifications may follow. */
  ended: boolean;
  jobs: Set<number>;
  tasks: Set<number>;
}

/**
 * Subscribes once to the hub's live feed and turns events into query invalidations. The
 * browser reconnects by itself and sends Last-Event-ID, so the hub replays what was missed.
 */
export function useLiveEvents(enabled: boolean): void {
  const client = useQueryClient();
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    const source = new EventSource(`${API_BASE}/events`, { withCredentials: true });
    let touched: Touched = { lists: false, ended: false, jobs: new Set(), tasks: new Set() };
    let timer: ReturnType<typeof setTimeout> | null = null;

    const flush = () => {
      timer = null;
      const batch = touched;
      touched = { lists: false, ended: false, jobs: new Set(), tasks: new Set() };
      invalidate(client, batch);
    };
    source.onmessage = (message) => {
      let event: HubEvent;
      try {
        event = JSON.parse(message.data) as HubEvent;
      } catch {
        return;
      }
      if (event.jobId !== null) {
        touched.lists = true;
        touched.jobs.add(event.jobId);
      }
      if (event.taskId !== null) touched.tasks.add(event.taskId);
      if (event.type === 'job:state:changed' && isTerminalJobState(event.data?.to as JobState)) touched.ended = true;
      if (event.type.startsWith('queue:') || event.type.startsWith('envelope:')) touched.lists = true;
      timer ??= setTimeout(flush, FLUSH_MS);
    };
    return () => {
      source.close();
      if (timer) clearTimeout(timer);
    };
  }, [client, enabled]);
}

/**
 * Refreshes a list once no fetch of it is in flight. Invalidating at once would cancel the
 * fetch under way — and a "Load more" the user just clicked (its next page being fetched) was
 * dropped by the next burst of events. Waiting keeps the click and still ends on fresh data.
 */
function refreshList(client: QueryClient, queryKey: readonly unknown[]): void {
  if (client.isFetching({ queryKey }) > 0) {
    setTimeout(() => refreshList(client, queryKey), LIST_RETRY_MS);
    return;
  }
  void client.invalidateQueries({ queryKey });
}

const LIST_RETRY_MS = 250;

function invalidate(client: QueryClient, touched: Touched): void {
  if (touched.lists) {
    refreshList(client, queryKeys.jobLists);
    refreshList(client, queryKeys.queues);
    // A schedule's last run and last activity follow its jobs.
    refreshList(client, queryKeys.schedules);
    refreshList(client, queryKeys.envelopes);
  }
  // The hub's notifier turns a job's end into notifications on its next round (about a second).
  if (touched.ended) setTimeout(() => void client.invalidateQueries({ queryKey: queryKeys.notifications }), NOTIFIER_LAG_MS);
  if (touched.jobs.size > 0) {
    void client.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'job' && touched.jobs.has(q.queryKey[1] as number) });
  }
  if (touched.tasks.size > 0) {
    void client.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'task' && touched.tasks.has(q.queryKey[1] as number) });
  }
}
