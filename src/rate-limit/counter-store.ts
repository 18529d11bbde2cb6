/** A key's count in its current fixed window. */
export interface WindowCount {
  /** The weight counted in the window so far, this hit's included. */
  readonly hits: number;
  /** When the window ends and the count starts again from zero. */
  readonly resetAt: Date;
}

/**
 * Where fixed-window counters are kept (memory, PostgreSQL, Redis). `hit` adds `weight` to the
 * key's window, starting a new window when the last one has ended, atomically. `limit` is the
 * count the key is held to: a store that counts lazily (batched-counter-store.ts) counts exactly
 * near it; the others ignore it.
 */
export interface CounterStore {
  hit(key: string, weight: number, limit: number): Promise<WindowCount>;
  /** Writes what the store still holds in memory; a store that holds nothing has no `close`. */
  close?(): Promise<void>;
}
