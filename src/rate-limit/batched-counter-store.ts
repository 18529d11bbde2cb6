import type { CounterStore, WindowCount } from './counter-store.js';

/**
 * How often the weight counted in memory is written, and the other processes' counts learned.
 * A flush is one statement per limiter whatever the traffic, so 5 a second per process cost
 * nothing next to the one or two statements per request they replace. 200 ms (0.3 % of the
 * default 60 s window) is also the longest a process counting a key goes on answering it from a
 * count the other processes have moved on from, which bounds what they can admit beyond a limit
 * between them (see the class comment).
 */
export const FLUSH_EVERY_MS = 200;

/**
 * Near the limit, hits are counted in the shared store one by one: in the last tenth of the
 * limit, and at least in its last NEAR_LIMIT_MIN_HITS. A key that reaches the limit thus costs at
 * most that many more statements per window, and a small limit, where one request too many is a
 * large error, is counted exactly hit by hit.
 */
export const NEAR_LIMIT_SHARE = 0.1;
export const NEAR_LIMIT_MIN_HITS = 10;

/** The weights this process may count in memory before `limit`: hits beyond go to the store. */
export function countedInMemoryUpTo(limit: number): number {
  return limit - Math.max(Math.ceil(limit * NEAR_LIMIT_SHARE), NEAR_LIMIT_MIN_HITS);
}

/** A shared store that can count many keys in one round trip (rate-limit.postgres-store.ts). */
export interface BatchableCounterStore {
  hit(key: string, weight: number): Promise<WindowCount>;
  hitMany(weights: ReadonlyMap<string, number>): Promise<Map<string, WindowCount>>;
}

export interface BatchingOptions {
  /** Told of the first failed flush of a run of them (a database outage is one warning, not five a second). */
  readonly onFlushError: (error: unknown) => void;
  readonly flushEveryMs?: number;
  /** The clock that tells when a window has ended (tests move it). */
  readonly now?: () => number;
}

/** What this process knows of one key's window. */
interface KeyWindow {
  /** The key's count in the shared store when this process last learned it, its own weight sent included. */
  shared: number;
  resetAt: Date;
  /** Counted here since the last flush, not sent yet. */
  pending: number;
  /** Sent in the flush under way. */
  flushing: number;
}

/**
 * Counts over a shared store (PostgreSQL) without a statement per hit. Per key this process keeps
 * the shared count it last learned, the window's end and the weight it counted since; a hit is
 * answered from memory (learned count + own weight) and the weights of every key are written in
 * one statement every FLUSH_EVERY_MS, whose answer teaches the process the other processes'
 * counts. Two kinds of hit go to the store at once, one statement each, and answer its count:
 * the first of a key in a window (a window starts exact), and any that would bring this process's
 * estimate into the near-limit zone (`countedInMemoryUpTo`), carrying the key's unsent
 * weight with it. Refusals thus always come from the shared count.
 *
 * Accuracy: one process is exact: only the shared count ever refuses, and it then holds all of
 * this process's weight. Across processes a key may go beyond its limit by what the processes
 * admitted from memory before they learned the shared count: each does so for at most one flush
 * interval (its flush teaches it the count), and only while its view is below the near-limit zone.
 * A process that has learned that the count is in that zone counts every hit in the store; once
 * all have, the limit is exact across processes.
 *
 * A failed flush fails no request: its weight is kept, to be sent with the next one (bounded: a
 * key's unsent weight stays below its limit, and is forgotten with its window). Memory is bounded
 * the same way: a key whose window has ended is forgotten at the next flush.
 */
export class BatchedCounterStore implements CounterStore {
  private readonly windows = new Map<string, KeyWindow>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly onFlushError: (error: unknown) => void;
  private flushUnderWay: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly store: BatchableCounterStore,
    { onFlushError, flushEveryMs = FLUSH_EVERY_MS, now = Date.now }: BatchingOptions,
  ) {
    this.onFlushError = onFlushError;
    this.now = now;
    this.timer = setInterval(() => void this.flush(), flushEveryMs).unref();
  }

  /** Keys this process keeps a window for. */
  get keysKept(): number {
    return this.windows.size;
  }

  hit(key: string, weight: number, limit: number): Promise<WindowCount> {
    const window = this.liveWindow(key);
    if (window === undefined || estimate(window) + weight > countedInMemoryUpTo(limit))
      return this.countNow(key, weight);
    window.pending += weight;
    return Promise.resolve({ hits: estimate(window), resetAt: window.resetAt });
  }

  /** Sends every key's unsent weight in one statement (or joins the flush under way). Never rejects. */
  flush(): Promise<void> {
    this.flushUnderWay ??= this.sendPending().finally(() => (this.flushUnderWay = undefined));
    return this.flushUnderWay;
  }

  /** Stops the timer and writes what is left (after the flush under way, if any). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.flush();
  }

  /** Counts in the store at once, with the key's unsent weight: the answer is the shared count. */
  private async countNow(key: string, weight: number): Promise<WindowCount> {
    // Weight of the key already on its way lands first, so that the count answered holds it.
    if (this.windows.get(key)?.flushing) await this.flushUnderWay;
    const carried = this.liveWindow(key);
    const carriedWeight = carried?.pending ?? 0;
    if (carried) carried.pending = 0;
    let count: WindowCount;
    try {
      count = await this.store.hit(key, carriedWeight + weight);
    } catch (error) {
      // This request fails (as it would unbatched); the weight counted before it is still owed.
      if (carried) carried.pending += carriedWeight;
      throw error;
    }
    let window = this.windows.get(key);
    if (window === undefined)
      this.windows.set(key, (window = { shared: 0, resetAt: count.resetAt, pending: 0, flushing: 0 }));
    learn(window, count);
    return count;
  }

  /** The key's window, unless it has ended: then it is forgotten, with any weight it had not sent. */
  private liveWindow(key: string): KeyWindow | undefined {
    const window = this.windows.get(key);
    if (window === undefined || window.resetAt.getTime() > this.now()) return window;
    this.windows.delete(key);
    return undefined;
  }

  private async sendPending(): Promise<void> {
    const batch = new Map<string, KeyWindow>();
    for (const key of this.windows.keys()) {
      const window = this.liveWindow(key);
      if (window === undefined || window.pending === 0) continue;
      window.flushing = window.pending;
      window.pending = 0;
      batch.set(key, window);
    }
    if (batch.size === 0) return;
    try {
      const counts = await this.store.hitMany(new Map([...batch].map(([key, window]) => [key, window.flushing])));
      for (const [key, window] of batch) {
        window.flushing = 0;
        const count = counts.get(key);
        if (count) learn(window, count);
      }
      this.failing = false;
    } catch (error) {
      for (const window of batch.values()) {
        window.pending += window.flushing;
        window.flushing = 0;
      }
      if (!this.failing) this.onFlushError(error);
      this.failing = true;
    }
  }
}

/** This process's view of the key's count: the shared count it learned, and its own weight since. */
function estimate(window: KeyWindow): number {
  return window.shared + window.flushing + window.pending;
}

/**
 * Takes in a count the store answered. Answers can arrive out of order (a flush and a hit at
 * once): within a window the larger count is the later one; a later window replaces the count.
 */
function learn(window: KeyWindow, { hits, resetAt }: WindowCount): void {
  if (resetAt.getTime() > window.resetAt.getTime()) {
    window.shared = hits;
    window.resetAt = resetAt;
  } else if (resetAt.getTime() === window.resetAt.getTime()) window.shared = Math.max(window.shared, hits);
}
