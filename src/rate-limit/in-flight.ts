/**
 * How many requests each key (a user) has running in this process, up to `max`: a bound on what
 * one user can make the process do at once, whatever its rate limit leaves it. Counted in memory
 * only: acquiring or refusing a slot costs no database work.
 */
export class InFlightLimit {
  private readonly running = new Map<string, number>();

  constructor(readonly max: number) {}

  /** A slot for `key`, or undefined when `max` of its requests are running. */
  tryAcquire(key: string): Slot | undefined {
    const count = this.running.get(key) ?? 0;
    if (count >= this.max) return undefined;
    this.running.set(key, count + 1);
    return new Slot(() => {
      const left = (this.running.get(key) ?? 1) - 1;
      if (left === 0) this.running.delete(key);
      else this.running.set(key, left);
    });
  }
}

/**
 * A slot held by whoever still works for the request (its response until it has closed, its
 * handler until it has returned): freed when the last lets go, so that a client that aborts
 * does not free the slot while its handler still runs.
 */
export class Slot {
  private holders = 0;
  private freed = false;
  private readonly releases: (() => void)[] = [];

  constructor(private readonly free: () => void) {}

  /** Lets go of `release` (another limit's hold, such as a costly slot) with this slot: now, if it is already free. */
  also(release: () => void): void {
    if (this.freed) release();
    else this.releases.push(release);
  }

  /** Holds the slot until the returned function is called (once; later calls do nothing). */
  hold(): () => void {
    if (this.freed) return () => undefined;
    this.holders += 1;
    let dropped = false;
    return () => {
      if (dropped) return;
      dropped = true;
      this.holders -= 1;
      if (this.holders > 0) return;
      this.freed = true;
      this.free();
      for (const release of this.releases) release();
    };
  }
}
