import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DutyLoop } from '../../src/engine/duty-loop.js';
import { sqliteHarness, useFreshStore } from '../helpers/store-harness.js';

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('DutyLoop', () => {
  const store = useFreshStore(sqliteHarness());

  it('stops only once the round under way has ended, so the store can close after it', async () => {
    const entered = gate();
    const release = gate();
    let ended = false;
    const errors: unknown[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => (JSON.parse(line).level >= 50 ? errors.push(line) : undefined) });
    const duty = {
      name: 'slow',
      intervalMs: 20,
      run: async () => {
        entered.open();
        await release.opened;
        await store().lastEventId();
        ended = true;
        return 1;
      },
    };
    const loop = new DutyLoop(store(), [duty], 'hub-a', Date.now, logger);
    loop.start();
    await entered.opened;
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    // The round still waits on its gate: stop must not have resolved.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    release.open();
    await stopping;
    expect(ended).toBe(true);
    expect(errors).toEqual([]);
  });

  it('starts no round once stopped, ticks included', async () => {
    let rounds = 0;
    const loop = new DutyLoop(store(), [{ name: 'count', intervalMs: 10, run: async () => ++rounds }], 'hub-a', Date.now, pino({ level: 'silent' }));
    await loop.tick();
    expect(rounds).toBe(1);
    await loop.stop();
    await loop.tick();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rounds).toBe(1);
  });
});
