import { isTerminalJobState, type JobState } from './job-state.js';
import { isTerminalTaskState, type TaskState } from './task-state.js';

/** The named events an event record stands for, beside itself: what in-process listeners subscribe to (engine/event-feed.ts). */
export type NamedEvent = 'job:created' | 'job:finished' | 'task:finished' | 'task:leased';

/** Which named event a record of `type` with `data` is, if any. */
export function namedEventOf(type: string, data: Readonly<Record<string, unknown>>): NamedEvent | null {
  if (type === 'job:created') return 'job:created';
  if (type === 'job:state:changed') return isTerminalJobState(data.to as JobState) ? 'job:finished' : null;
  if (type !== 'task:state:changed') return null;
  if (data.from === 'queued' && data.to === 'running') return 'task:leased';
  return isTerminalTaskState(data.to as TaskState) ? 'task:finished' : null;
}

/** Adds the named events of `events` to `into` (a new set when null); answers the set. */
export function namedEventsOf(events: readonly { type: string; data: Readonly<Record<string, unknown>> }[], into: Set<NamedEvent> | null): Set<NamedEvent> {
  const named = into ?? new Set<NamedEvent>();
  for (const event of events) {
    const name = namedEventOf(event.type, event.data);
    if (name !== null) named.add(name);
  }
  return named;
}
