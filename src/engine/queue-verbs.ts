import { type Actor, authorize, SwitchyardError, seesAllSites, sitesWithin } from '../model/index.js';
import type { QueuePatch, QueueRecord } from '../store/store.js';
import type { EngineCore } from './engine-core.js';

/**
 * Queues are shared by every site: one line, one concurrency limit, one paused flag. So:
 * - everyone sees a queue's settings, but its counts (active, queued, oldest waiting) cover
 *   only the jobs at sites the actor may see;
 * - pausing, resuming and changing a queue's settings change what every site's jobs do, so
 *   they need an actor who sees all sites (an operator, or an admin for settings);
 * - clearing cancels the queued jobs the actor may see: a site-limited operator clears its
 *   own sites' share and leaves the others'.
 */
export class QueueVerbs {
  constructor(
    private readonly core: EngineCore,
    /** Cancels one queued job; false when it started meanwhile. */
    private readonly cancelQueued: (jobId: number) => Promise<boolean>,
  ) {}

  async list(actor: Actor): Promise<QueueRecord[]> {
    authorize(actor, 'queues.read');
    return this.core.store.listQueues(actor.sites);
  }

  async get(name: string, actor: Actor): Promise<QueueRecord> {
    authorize(actor, 'queues.read');
    const queue = await this.core.store.getQueue(name, actor.sites);
    if (!queue) throw new SwitchyardError('SWY_ERR_QUEUE_NOT_FOUND', `No queue named "${name}"`);
    return queue;
  }

  /**
   * Changes concurrency, pause-on-failure, retention or paused (admins who see all sites). A
   * queue no job used yet is made: an admin sets a queue up (paused, say) before its first job.
   */
  async update(name: string, patch: QueuePatch, actor: Actor): Promise<QueueRecord> {
    authorize(actor, 'queues.edit');
    this.requireAllSites(actor);
    await this.core.store.ensureQueues([name], this.core.clock());
    await this.core.store.updateQueue(name, patch, this.core.clock());
    await this.core.audit(actor, 'queue.update', `queue:${name}`, null, { ...patch });
    return this.get(name, actor);
  }

  /** Pauses (running jobs go on, no new job starts) or resumes processing; a queue no job used and no admin set up answers 404 (a misspelt name pauses nothing). */
  async setPaused(name: string, paused: boolean, actor: Actor): Promise<QueueRecord> {
    authorize(actor, 'queues.control');
    this.requireAllSites(actor);
    await this.get(name, actor);
    await this.core.store.updateQueue(name, { paused }, this.core.clock());
    await this.core.audit(actor, paused ? 'queue.pause' : 'queue.resume', `queue:${name}`, null);
    return this.get(name, actor);
  }

  /** Cancels every job of the queue that has not started, at the actor's sites; answers how many. */
  async clear(name: string, actor: Actor): Promise<number> {
    authorize(actor, 'queues.control');
    await this.get(name, actor);
    let cancelled = 0;
    let cursor: string | null = null;
    do {
      const page = await this.core.store.listJobs({
        sites: actor.sites,
        queues: [name],
        states: ['created', 'queued'],
        sort: { key: 'id', desc: false },
        cursor,
        limit: 200,
      });
      // A job that also runs at sites beyond the actor's is not the actor's to cancel (see requireEverySite).
      for (const job of page.items) if (sitesWithin(actor, job.sites) && (await this.cancelQueued(job.id))) cancelled += 1;
      cursor = page.nextCursor;
      // Back to the event loop between pages: on SQLite each cancel settles through promises
      // alone, and a queue of 100,000 jobs would hold every other request until the last.
      if (cursor) await new Promise((resolve) => setImmediate(resolve));
    } while (cursor);
    await this.core.audit(actor, 'queue.clear', `queue:${name}`, actor.sites?.length === 1 ? actor.sites[0] : null, {
      cancelled,
      sites: actor.sites,
    });
    return cancelled;
  }

  private requireAllSites(actor: Actor): void {
    if (!seesAllSites(actor)) {
      throw new SwitchyardError('SWY_ERR_AUTH_SITE', "A queue's settings apply to every site; only users who see all sites may change them");
    }
  }
}
