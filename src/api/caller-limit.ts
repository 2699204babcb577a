import { SwitchyardError } from '../model/index.js';

/**
 * Bounds long-lived responses (event streams, exports) per caller and in all, so that one
 * caller opening hundreds of them cannot starve the hub: a place is taken when the response
 * starts and given back when it ends; past either bound the request is refused with 429
 * SWY_ERR_BUSY.
 */
export class CallerLimit {
  private readonly held = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly what: string,
    private readonly perCaller: number,
    private readonly all: number,
  ) {}

  /** Takes a place for the caller (an Actor's ref), or throws; answers its release, which acts once. */
  take(caller: string): () => void {
    if ((this.held.get(caller) ?? 0) >= this.perCaller || this.total >= this.all) {
      throw new SwitchyardError(
        'SWY_ERR_BUSY',
        `At most ${this.perCaller} ${this.what} per caller (and ${this.all} in all) may run at once; wait for one to end`,
      );
    }
    this.held.set(caller, (this.held.get(caller) ?? 0) + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(caller) ?? 1) - 1;
      if (left > 0) this.held.set(caller, left);
      else this.held.delete(caller);
      this.total -= 1;
    };
  }
}
