import type { Logger } from 'pino';
import type { Store } from '../store/store.js';

export interface Duty {
  name: string;
  intervalMs: number;
  /** Does one round of the duty; returns how much it did (for logs). */
  run(now: number): Promise<number>;
}

/**
 * Runs background duties (watchdog, and later schedules and retention) on one hub at a time:
 * before each round the hub must hold the duty in the store, so with several hubs on one
 * PostgreSQL database each round runs once, not once per hub. Tests call `tick()` by hand.
 */
export class DutyLoop {
  private timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly duties: Duty[],
    private readonly holder: string,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const duty of this.duties) {
      const timer = setInterval(() => void this.runDuty(duty), duty.intervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /** One round of every duty, now. */
  async tick(): Promise<void> {
    for (const duty of this.duties) await this.runDuty(duty);
  }

  private async runDuty(duty: Duty): Promise<void> {
    if (this.running.has(duty.name)) return;
    this.running.add(duty.name);
    try {
      const now = this.clock();
      // Hold the duty for three intervals so that a slow round does not hand it over mid-way.
      if (!(await this.store.tryHoldDuty(duty.name, this.holder, duty.intervalMs * 3, now))) return;
      const done = await duty.run(now);
      if (done > 0) this.logger.info({ duty: duty.name, done }, 'duty round');
    } catch (error) {
      this.logger.error({ err: error, duty: duty.name }, 'duty failed; will try again next round');
    } finally {
      this.running.delete(duty.name);
    }
  }
}
