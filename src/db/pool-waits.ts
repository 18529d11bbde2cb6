import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';

/** What is read of Knex's connection pool (tarn.js): its acquire events, each with the acquire's id. */
interface TarnPool {
  on(event: 'acquireRequest' | 'acquireSuccess' | 'acquireFail', listener: (eventId: number) => void): void;
}

/**
 * When each waiting acquire of a pool began, by id, in the order they asked (a Map keeps insertion
 * order, so the first is the oldest). One per pool, however many apps read it (the tests build many
 * over one pool), so that its listeners are added once.
 */
const waitingByPool = new WeakMap<TarnPool, Map<number, number>>();

function waitingOf(pool: TarnPool): Map<number, number> {
  let waiting = waitingByPool.get(pool);
  if (waiting === undefined) {
    const started = new Map<number, number>();
    const settled = (eventId: number) => started.delete(eventId);
    pool.on('acquireRequest', (eventId) => started.set(eventId, performance.now()));
    pool.on('acquireSuccess', settled);
    pool.on('acquireFail', settled);
    waitingByPool.set(pool, started);
    waiting = started;
  }
  return waiting;
}

/**
 * How long the query or transaction that has waited longest for a database connection has been
 * waiting: the pool's queue, measured at its head. tarn.js announces every acquire and its end;
 * following them costs a Map insert and delete per acquire, and no timer.
 */
export class PoolWaits {
  constructor(private readonly db: Knex) {}

  /** Milliseconds the oldest waiting acquire has waited; 0 when none waits. */
  longestMs(): number {
    // The pool Knex has now: it makes one lazily, and a new one after destroy() and initialize().
    const pool = (this.db.client as { pool?: TarnPool }).pool;
    if (pool === undefined) return 0;
    const oldest = waitingOf(pool).values().next();
    return oldest.done ? 0 : performance.now() - oldest.value;
  }
}
