/**
 * Idle workers wait here for work at their site instead of polling the store. The store
 * signals after each commit that made tasks ready (across hubs on PostgreSQL); `*` wakes
 * every site. A wait also ends after its timeout, which is how delayed tasks and retry
 * backoffs are noticed.
 *
 * A wake-up that lands between a lease that found nothing and the wait that follows it must
 * not be lost: callers take `mark(site)` before leasing and pass it to `wait`, which returns
 * at once if the site was woken since.
 */
export class WakeHub {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly generations = new Map<string, number>();
  private everywhere = 0;

  mark(site: string): number {
    return (this.generations.get(site) ?? 0) + this.everywhere;
  }

  wait(site: string, timeoutMs: number, mark: number, signal?: AbortSignal): Promise<void> {
    if (timeoutMs <= 0 || this.mark(site) !== mark || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(site);
      if (!set) {
        set = new Set();
        this.waiters.set(site, set);
      }
      const waiters = set;
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref?.();
      signal?.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }

  notify(site: string): void {
    if (site === '*') this.everywhere += 1;
    else this.generations.set(site, (this.generations.get(site) ?? 0) + 1);
    const sites = site === '*' ? [...this.waiters.keys()] : [site];
    for (const name of sites) for (const wake of [...(this.waiters.get(name) ?? [])]) wake();
  }

  /** Ends every wait at once (shutdown). */
  releaseAll(): void {
    for (const name of [...this.waiters.keys()]) for (const wake of [...(this.waiters.get(name) ?? [])]) wake();
  }
}
