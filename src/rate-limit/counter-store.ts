/** A key's count in its current fixed window. */
export interface WindowCount {
  /** The weight counted in the window so far, this hit's included. */
  readonly hits: number;
  /** When the window ends and the count starts again from zero. */
  readonly resetAt: Date;
}

/**
 * Where fixed-window counters are kept (memory, PostgreSQL, Redis). `hit` adds `weight` to the
 * key's window, starting a new window when the last one has ended, atomically.
 */
export interface CounterStore {
  hit(key: string, weight: number): Promise<WindowCount>;
}
