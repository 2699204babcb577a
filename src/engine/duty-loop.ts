import type { Logger } from 'pino';
import type { Store } from '../store/store.js';

/** How long stop() waits for the rounds under way. */
const STOP_WAIT_MS = 5_000;

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
  /** The rounds under way, by duty. */
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly duties: Duty[],
    private readonly holder: string,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    for (const duty of this.duties) {
      const timer = setInterval(() => void this.runDuty(duty), duty.intervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /**
   * Starts no more rounds, and resolves once the rounds under way have ended (at most
   * STOP_WAIT_MS): the store they use may then be closed without cutting one off mid-way.
   * Each round's work is bounded; a round still waiting on a slow webhook past the wait is
   * cut off by the store closing, which loses nothing (its delivery is tried again).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
      timer.unref();
    });
    await Promise.race([Promise.all(this.running.values()), waited]);
    clearTimeout(timer);
  }

  /** One round of every duty, now. */
  async tick(): Promise<void> {
    for (const duty of this.duties) await this.runDuty(duty);
  }

  private runDuty(duty: Duty): Promise<void> {
    const under = this.running.get(duty.name);
    if (under) return under;
    if (this.stopped) return Promise.resolve();
    const round = this.round(duty).finally(() => this.running.delete(duty.name));
    this.running.set(duty.name, round);
    return round;
  }

  private async round(duty: Duty): Promise<void> {
    try {
      const now = this.clock();
      // Hold the duty for three intervals so that a slow round does not hand it over mid-way.
      if (!(await this.store.tryHoldDuty(duty.name, this.holder, duty.intervalMs * 3, now))) return;
      const done = await duty.run(now);
      if (done > 0) this.logger.info({ duty: duty.name, done }, 'duty round');
    } catch (error) {
      if (this.stopped) this.logger.debug({ err: error, duty: duty.name }, 'duty round cut off by shutdown');
      else this.logger.error({ err: error, duty: duty.name }, 'duty failed; will try again next round');
    }
  }
}
