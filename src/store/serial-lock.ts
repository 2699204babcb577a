/**
 * Runs async sections one at a time, in arrival order. The SQLite store holds one connection,
 * and a transaction spans awaits; without this lock another caller's statement could run
 * inside it.
 */
export class SerialLock {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  async run<T>(section: () => Promise<T> | T): Promise<T> {
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.held = true;
    try {
      return await section();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.held = false;
    }
  }
}
