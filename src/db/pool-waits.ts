import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';

/** What is read of Knex's connection pool (tarn.js): its acquire events, each with the acquire's id. */
interface TarnPool {
  on(event: 'acquireRequest' | 'acquireSuccess' | 'acquireFail', listener: (eventId: number) => void): void;
}

/**
 * How long the query or transaction that has waited longest for a database connection has been
 * waiting: the pool's queue, measured at its head. tarn.js announces every acquire and its end;
 * the waiting ones are kept in the order they asked (a Map keeps insertion order), so the first is
 * the oldest. Costs a Map insert and delete per acquire, and no timer.
 */
export class PoolWaits {
  private readonly waitingSince = new Map<number, number>();
  private watched: TarnPool | undefined;

  constructor(private readonly db: Knex) {}

  /** Milliseconds the oldest waiting acquire has waited; 0 when none waits. */
  longestMs(): number {
    this.watch();
    if (this.waitingSince.size === 0) return 0;
    const now = performance.now();
    for (const since of this.waitingSince.values()) return now - since;
    return 0;
  }

  /** Follows the pool Knex has now: it makes one lazily, and a new one after destroy() and initialize(). */
  private watch(): void {
    const pool = (this.db.client as { pool?: TarnPool }).pool;
    if (pool === undefined || pool === this.watched) return;
    this.watched = pool;
    this.waitingSince.clear();
    const settled = (eventId: number) => {
      if (this.watched === pool) this.waitingSince.delete(eventId);
    };
    pool.on('acquireRequest', (eventId) => {
      if (this.watched === pool) this.waitingSince.set(eventId, performance.now());
    });
    pool.on('acquireSuccess', settled);
    pool.on('acquireFail', settled);
  }
}
