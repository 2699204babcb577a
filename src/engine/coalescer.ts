/**
 * Groups calls that arrive while a flush is under way into the next flush: one round trip
 * (one transaction) for many callers. Under light load each call flushes on its own at once;
 * under heavy load batches grow by themselves, up to `maxBatch`. Used for submissions (the
 * engine) and for completions and activity reports (the worker).
 *
 * `flush` answers one result per item, in order. If a batch throws, each item of it is
 * retried alone so that one bad item fails only its own caller.
 */
export class Coalescer<T, R> {
  private pending: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];
  private running = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 1000,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  /** Resolves once everything added so far has been flushed. */
  async idle(): Promise<void> {
    while (this.running || this.pending.length > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          const results = await this.flush(batch.map((entry) => entry.item));
          batch.forEach((entry, i) => {
            entry.resolve(results[i]);
          });
        } catch (error) {
          if (batch.length === 1) batch[0].reject(error);
          else await this.retryAlone(batch);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async retryAlone(batch: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[]): Promise<void> {
    for (const entry of batch) {
      try {
        const [result] = await this.flush([entry.item]);
        entry.resolve(result);
      } catch (error) {
        entry.reject(error);
      }
    }
  }
}
