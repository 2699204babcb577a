/**
 * Slows down password guessing. Failed sign-ins are counted per user name, per client
 * address and per (name, address) pair; once a key has had its free failures, each further
 * attempt must wait a delay that doubles with every failure (1 s, 2 s, 4 s … up to 15 min).
 * A success clears the pair and the name. Counts are forgotten after a quiet window.
 *
 * Kept in memory, per hub, and bounded (least recently failed keys are dropped first), so an
 * anonymous caller cannot grow anything without limit. Behind several hubs an attacker gets
 * each hub's allowance — still a few guesses a minute instead of forty a second.
 *
 * The thresholds differ by key: a pair is throttled soon (one person mistyping), a name later
 * (a guesser rotating addresses), an address last (many people behind one proxy).
 */
export interface ThrottleRule {
  /** Failures allowed before any delay. */
  free: number;
}

export interface SignInThrottleOptions {
  clock: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A key with no failure for this long starts over. */
  windowMs?: number;
  /** Most keys remembered. */
  maxKeys?: number;
  rules?: { pair: ThrottleRule; user: ThrottleRule; address: ThrottleRule };
}

interface Entry {
  failures: number;
  lastFailedAt: number;
}

export interface SignInAttempt {
  username: string;
  address: string;
}

export class SignInThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly rules: { pair: ThrottleRule; user: ThrottleRule; address: ThrottleRule };

  constructor(options: SignInThrottleOptions) {
    this.clock = options.clock;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 15 * 60_000;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.rules = options.rules ?? { pair: { free: 5 }, user: { free: 10 }, address: { free: 50 } };
  }

  /** Milliseconds the attempt must wait before it may be tried, or 0. */
  retryAfterMs(attempt: SignInAttempt): number {
    const now = this.clock();
    let wait = 0;
    for (const [key, rule] of this.keys(attempt)) {
      const entry = this.live(key, now);
      if (!entry || entry.failures < rule.free) continue;
      wait = Math.max(wait, entry.lastFailedAt + this.delay(entry.failures - rule.free) - now);
    }
    return Math.max(0, wait);
  }

  /** Counts a failure; answers the pair's failure count in this window (1 for the first). */
  fail(attempt: SignInAttempt): number {
    const now = this.clock();
    let pairFailures = 0;
    for (const [key] of this.keys(attempt)) {
      const entry = this.live(key, now) ?? { failures: 0, lastFailedAt: now };
      entry.failures += 1;
      entry.lastFailedAt = now;
      // Re-insert so the Map's order is least recently failed first.
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (key.startsWith('pair:')) pairFailures = entry.failures;
    }
    while (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return pairFailures;
  }

  succeed(attempt: SignInAttempt): void {
    const [pair, user] = this.keys(attempt);
    this.entries.delete(pair[0]);
    this.entries.delete(user[0]);
  }

  /** How many keys are remembered (for tests of the bound). */
  get size(): number {
    return this.entries.size;
  }

  private keys(attempt: SignInAttempt): [string, ThrottleRule][] {
    const user = attempt.username.toLowerCase();
    return [
      [`pair:${user}\u0000${attempt.address}`, this.rules.pair],
      [`user:${user}`, this.rules.user],
      [`addr:${attempt.address}`, this.rules.address],
    ];
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.lastFailedAt > Math.max(this.windowMs, this.delay(entry.failures))) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** The wait after the `over`-th failure past the free ones (0-based): doubling, capped. */
  private delay(over: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(over, 30));
  }
}

/** Whether a failure count deserves an audit entry: the 1st, 2nd, 4th, 8th… so rows grow with log(n). */
export function auditWorthy(failures: number): boolean {
  return failures > 0 && (failures & (failures - 1)) === 0;
}
