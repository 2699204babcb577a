import { describe, expect, it } from 'vitest';
import { auditWorthy, SignInThrottle } from '../../src/engine/sign-in-throttle.js';

/** The sign-in throttle on a fake clock: free failures, doubling delays, forgetting, and its bound. */
describe('sign-in throttle', () => {
  const make = (extra: Partial<ConstructorParameters<typeof SignInThrottle>[0]> = {}) => {
    let now = 1_000_000;
    const throttle = new SignInThrottle({ clock: () => now, ...extra });
    return { throttle, advance: (ms: number) => (now += ms) };
  };
  const guess = { username: 'admin', address: '10.0.0.1' };

  it('lets five failures of a name from an address through, then makes each further try wait twice as long', () => {
    const { throttle, advance } = make();
    for (let i = 1; i <= 5; i++) {
      expect(throttle.retryAfterMs(guess)).toBe(0);
      expect(throttle.fail(guess)).toBe(i);
    }
    expect(throttle.retryAfterMs(guess)).toBe(1000);
    advance(1000);
    expect(throttle.retryAfterMs(guess)).toBe(0);
    throttle.fail(guess);
    expect(throttle.retryAfterMs(guess)).toBe(2000);
    advance(2000);
    throttle.fail(guess);
    expect(throttle.retryAfterMs(guess)).toBe(4000);
    // Another user from the same address is not held back by this one.
    expect(throttle.retryAfterMs({ username: 'bob', address: '10.0.0.1' })).toBe(0);
  });

  it('throttles a name across addresses and an address across names, at higher thresholds', () => {
    const { throttle } = make();
    for (let i = 0; i < 10; i++) throttle.fail({ username: 'admin', address: `10.0.0.${i}` });
    expect(throttle.retryAfterMs({ username: 'admin', address: '10.9.9.9' })).toBe(1000);
    for (let i = 0; i < 50; i++) throttle.fail({ username: `user${i}`, address: '10.1.1.1' });
    expect(throttle.retryAfterMs({ username: 'someone-new', address: '10.1.1.1' })).toBe(1000);
  });

  it('caps the delay, forgets after a quiet window, and clears on success', () => {
    const { throttle, advance } = make({ maxDelayMs: 60_000, windowMs: 15 * 60_000 });
    for (let i = 0; i < 40; i++) throttle.fail(guess);
    expect(throttle.retryAfterMs(guess)).toBe(60_000);
    advance(16 * 60_000);
    expect(throttle.retryAfterMs(guess)).toBe(0);
    for (let i = 0; i < 5; i++) throttle.fail(guess);
    throttle.succeed(guess);
    expect(throttle.retryAfterMs(guess)).toBe(0);
  });

  it('remembers a bounded number of keys, however many names are guessed', () => {
    const { throttle } = make({ maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) throttle.fail({ username: `u${i}`, address: `a${i}` });
    expect(throttle.size).toBeLessThanOrEqual(100);
  });

  it('audits the 1st, 2nd, 4th, 8th… failure only', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 16].filter(auditWorthy)).toEqual([1, 2, 4, 8, 16]);
  });
});
