import type { CounterStore } from './counter-store.js';

/** What a limiter decided for one request. */
export interface Verdict {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** When the window ends (ms since the epoch). */
  readonly resetAt: number;
}

/** Keys remembered as over their limit, at most: forgetting one costs only one more store call. */
export const REMEMBERED_REFUSALS = 10_000;

/**
 * A fixed-window limit of `limit` (weighted) hits per window over a shared counter store. Once a
 * key is over its limit, this process remembers until when, and refuses its requests until then
 * without asking the store again: a flood beyond the limit costs no write and no round trip.
 */
export class FixedWindowLimiter {
  /** Insertion order is age: the first entry is the one forgotten when the map is full. */
  private readonly overUntil = new Map<string, number>();

  constructor(
    readonly limit: number,
    readonly windowSeconds: number,
    private readonly store: CounterStore,
    private readonly maxRemembered = REMEMBERED_REFUSALS,
  ) {}

  /** Counts `weight` for `key`, unless the key is known to be over the limit until later. */
  async hit(key: string, weight: number): Promise<Verdict> {
    const now = Date.now();
    const refusedUntil = this.overUntil.get(key);
    if (refusedUntil !== undefined) {
      if (refusedUntil > now) return { allowed: false, limit: this.limit, remaining: 0, resetAt: refusedUntil };
      this.overUntil.delete(key);
    }
    const { hits, resetAt } = await this.store.hit(key, weight, this.limit);
    const allowed = hits <= this.limit;
    if (!allowed) this.remember(key, resetAt.getTime());
    return { allowed, limit: this.limit, remaining: Math.max(0, this.limit - hits), resetAt: resetAt.getTime() };
  }

  private remember(key: string, until: number): void {
    this.overUntil.delete(key);
    this.overUntil.set(key, until);
    if (this.overUntil.size > this.maxRemembered) this.overUntil.delete(this.overUntil.keys().next().value!);
  }
}
