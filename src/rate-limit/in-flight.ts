/**
 * How many requests each key (a user) has running in this process: at most `max`, and of them at
 * most `costlyMax` costly ones (searches, bulk requests), so that one user cannot keep the
 * process's cores busy with its most expensive work while others wait. Counted in memory only:
 * acquiring or refusing a slot costs no database work.
 */
export class InFlightLimit {
  private readonly running = new Map<string, { all: number; costly: number }>();

  constructor(
    readonly max: number,
    readonly costlyMax = 1,
  ) {}

  /** Whether `key` runs as many costly requests as it may. */
  isFullOfCostly(key: string): boolean {
    return (this.running.get(key)?.costly ?? 0) >= this.costlyMax;
  }

  /** A slot for `key`, or undefined when `max` of its requests (or `costlyMax` costly ones) are running. */
  tryAcquire(key: string, costly = false): Slot | undefined {
    const count = this.running.get(key) ?? { all: 0, costly: 0 };
    if (count.all >= this.max || (costly && count.costly >= this.costlyMax)) return undefined;
    const taken = costly ? 1 : 0;
    this.running.set(key, { all: count.all + 1, costly: count.costly + taken });
    return new Slot(() => {
      const left = this.running.get(key) ?? { all: 1, costly: taken };
      if (left.all === 1) this.running.delete(key);
      else this.running.set(key, { all: left.all - 1, costly: left.costly - taken });
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

  constructor(private readonly free: () => void) {}

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
    };
  }
}
