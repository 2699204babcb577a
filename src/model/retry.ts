/** How a task is retried after it throws or its lease expires; copied onto each task at creation. */
export interface RetryPolicy {
  /** Attempts in all, the first included. 1 means never retry. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time after. */
  backoffMs: number;
  /** Ceiling for the doubling. */
  maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, backoffMs: 1_000, maxBackoffMs: 5 * 60_000 };

/**
 * Delay before attempt `attempt + 1`, after `attempt` attempts have failed: exponential with
 * jitter in [50%, 100%] so that a burst of failures does not retry in lock-step.
 * `random` is a number in [0, 1): the caller passes Math.random() (or a fixed value in tests).
 */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, 'backoffMs' | 'maxBackoffMs'>, random: number): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.min(exponent, 30));
  return Math.round(ceiling * (0.5 + 0.5 * random));
}

export function canRetry(attempts: number, maxAttempts: number): boolean {
  return attempts < maxAttempts;
}
