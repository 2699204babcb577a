import { type EventRecord, type JobState, type NamedEvent, namedEventOf, namedEventsOf, SYSTEM_ACTOR, type TaskState } from '../model/index.js';
import type { ReadVerbs } from './read-verbs.js';

/** What `EventFeed` tells its listeners, by name. Each carries the store's event record. */
export interface HubEvents {
  /** A job was submitted (its first tasks were written with it). */
  'job:created': HubEvent;
  /** A job reached a final state (success, error, failure, skipped, cancelled, unknown): `state` says which. */
  'job:finished': HubEvent & { state: JobState };
  /** A task reached a final state: `state` says which. */
  'task:finished': HubEvent & { state: TaskState };
  /** A task was leased by a worker (queued → running). */
  'task:leased': HubEvent;
  /** Every event the store appended, as it is. */
  event: EventRecord;
}

export interface HubEvent {
  jobId: number;
  taskId: number | null;
  site: string | null;
  /** The workflow (job events) or the task type (task events). */
  workflow: string | null;
  /** When the store recorded it, epoch ms. */
  at: number;
  record: EventRecord;
}

export type HubEventName = keyof HubEvents;
type Listener<K extends HubEventName> = (event: HubEvents[K]) => void;

const PAGE = 500;
/** Wake-ups from the store are the fast path; this poll is the safety net (a missed NOTIFY on PostgreSQL). */
const POLL_MS = 1_000;

/**
 * The store's events as they commit, read through the engine's `events` verb (as the system)
 * and handed to in-process listeners: how an embedding program learns that a job finished
 * without polling. Events are delivered in order, once each, after the store accepted them;
 * the feed starts at the last event when its first listener subscribes (no replay), and
 * stops reading when the last one leaves. Listeners run synchronously; one that throws is
 * logged and the others still run.
 *
 * The feed reads when a commit appended events a prompt listener waits for. A listener that
 * is not prompt (`{ prompt: false }`: counters read at a scrape, which flushes first) hears
 * its events with the next read for another listener, the poll, or `flush()`: on PostgreSQL
 * every read is a round trip, and most commits append only events no one waits for.
 */
export class EventFeed {
  private readonly listeners = new Map<HubEventName, Set<Listener<HubEventName>>>();
  /** Prompt listeners by name. */
  private readonly prompt = new Map<HubEventName, number>();
  private count = 0;
  private after: number | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private off: (() => void) | null = null;
  private poll: NodeJS.Timeout | null = null;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly reads: ReadVerbs,
    private readonly onWake: (listener: (signal: { kind: string; committed?: readonly EventRecord[]; named?: ReadonlySet<NamedEvent> }) => void) => () => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Calls `listener` for each event of that name from now on; answers the function that
   * unsubscribes. `prompt: false` lets it hear its events up to a poll late (see the class).
   */
  on<K extends HubEventName>(name: K, listener: Listener<K>, options: { prompt?: boolean } = {}): () => void {
    const set = this.listeners.get(name) ?? new Set();
    this.listeners.set(name, set);
    const entry = listener as Listener<HubEventName>;
    if (set.has(entry)) return () => {};
    set.add(entry);
    const prompt = options.prompt ?? true;
    if (prompt) this.prompt.set(name, (this.prompt.get(name) ?? 0) + 1);
    if (this.count++ === 0) this.start();
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      set.delete(entry);
      if (prompt) this.prompt.set(name, (this.prompt.get(name) ?? 1) - 1);
      if (--this.count === 0) this.stop();
    };
  }

  /** Resolves once the feed has read every event committed before the call (tests, shutdown). */
  async flush(): Promise<void> {
    await this.starting;
    if (this.count === 0) return;
    this.again = true;
    await this.pump();
  }

  /** Stops reading; listeners stay registered but hear nothing more. */
  close(): void {
    this.stop();
    this.listeners.clear();
    this.count = 0;
  }

  private start(): void {
    this.starting = (async () => {
      try {
        this.after ??= await this.reads.lastEventId(SYSTEM_ACTOR);
      } catch (error) {
        this.onError(error);
        this.after ??= 0;
      }
    })();
    this.off = this.onWake((signal) => {
      if (signal.kind !== 'events') return;
      if (signal.committed && this.take(signal.committed)) return;
      const named = signal.named ?? (signal.committed ? namedEventsOf(signal.committed, null) : null);
      if (named === null || this.waitsFor(named)) void this.pump();
    });
    this.poll = setInterval(() => void this.pump(), POLL_MS);
    this.poll.unref();
  }

  /** Whether a prompt listener waits for one of `named` (or for every event). */
  private waitsFor(named: ReadonlySet<NamedEvent>): boolean {
    if ((this.prompt.get('event') ?? 0) > 0) return true;
    for (const name of named) if ((this.prompt.get(name) ?? 0) > 0) return true;
    return false;
  }

  private stop(): void {
    this.off?.();
    this.off = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    // A later subscriber starts from the then-last event.
    this.after = null;
  }

  private pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        await this.starting;
        do {
          this.again = false;
          if (this.after === null || this.off === null) return;
          const events = await this.reads.events(this.after, PAGE, SYSTEM_ACTOR);
          for (const event of events) {
            if (this.off === null) return;
            this.after = event.id;
            this.dispatch(event);
          }
          if (events.length === PAGE) this.again = true;
        } while (this.again);
      } catch (error) {
        this.onError(error);
      } finally {
        this.pumping = null;
      }
    })();
    return this.pumping;
  }

  /**
   * Takes events this process just committed as read, when they are exactly the next ones
   * (their ids follow the last event read, without a gap) and no read is under way: the
   * store need not read back what it just wrote. Answers whether it took them; otherwise
   * the feed reads as usual (it also reads every POLL_MS).
   */
  private take(committed: readonly EventRecord[]): boolean {
    if (committed.length === 0 || this.pumping || this.after === null || this.off === null) return false;
    for (let i = 0; i < committed.length; i++) if (committed[i].id !== this.after + 1 + i) return false;
    for (const record of committed) {
      if (this.off === null) return true;
      this.after = record.id;
      this.dispatch(record);
    }
    return true;
  }

  private dispatch(record: EventRecord): void {
    this.emit('event', record);
    const jobId = record.jobId;
    if (jobId === null) return;
    const name = namedEventOf(record.type, record.data);
    if (name === null || !this.listeners.has(name)) return;
    const data = record.data;
    // Each event built whole, not spread from a common base: V8 builds a spread followed by
    // more properties on a slow path, and every event of every job passes here.
    const event = (workflow: unknown) => ({ jobId, taskId: record.taskId, site: record.site, at: record.at, record, workflow: str(workflow) });
    if (name === 'job:created' || name === 'task:leased') this.emit(name, event(name === 'job:created' ? data.workflow : data.type));
    else if (name === 'job:finished') this.emit(name, Object.assign(event(data.workflow), { state: data.to as JobState }));
    else this.emit(name, Object.assign(event(data.type), { state: data.to as TaskState }));
  }

  private emit<K extends HubEventName>(name: K, event: HubEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
