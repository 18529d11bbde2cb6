import type { CounterStore, WindowCount } from './counter-store.js';

/**
 * Counters in this process's memory: exact where one process serves (the embedded database).
 * Ended windows are swept once a window, so that keys seen once do not pile up.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { hits: number; resetAt: Date }>();
  private nextSweepAt = 0;

  constructor(private readonly windowSeconds: number) {}

  hit(key: string, weight: number): Promise<WindowCount> {
    const now = Date.now();
    if (now >= this.nextSweepAt) this.sweep(now);
    let window = this.windows.get(key);
    if (window === undefined || window.resetAt.getTime() <= now) {
      window = { hits: 0, resetAt: new Date(now + this.windowSeconds * 1000) };
      this.windows.set(key, window);
    }
    window.hits += weight;
    return Promise.resolve({ hits: window.hits, resetAt: window.resetAt });
  }

  private sweep(now: number): void {
    for (const [key, { resetAt }] of this.windows) if (resetAt.getTime() <= now) this.windows.delete(key);
    this.nextSweepAt = now + this.windowSeconds * 1000;
  }
}
