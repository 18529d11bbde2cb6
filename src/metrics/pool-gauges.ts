import type { Knex } from 'knex';
import { Gauge, type Registry } from 'prom-client';

/** What the gauges read of Knex's connection pool (tarn.js). */
interface Pool {
  readonly max: number;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/**
 * The database pool, read when scraped. On the embedded database Knex runs a pool of exactly one
 * connection, so the same gauges tell how often requests queue for it. Before the pool exists
 * (or once it is destroyed) the gauges have no value rather than a made-up zero.
 */
export function registerPoolGauges(registry: Registry, db: Knex): void {
  const pool = () => (db.client as { pool?: Pool }).pool;
  const gauge = (name: string, help: string, read: (pool: Pool) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        const current = pool();
        if (current) this.set(read(current));
      },
    });
  gauge('db_pool_connections_in_use', 'Database connections lent to a query or transaction.', (p) => p.numUsed());
  gauge('db_pool_connections_idle', 'Open database connections waiting in the pool.', (p) => p.numFree());
  gauge('db_pool_pending_acquires', 'Queries and transactions waiting for a database connection.', (p) =>
    p.numPendingAcquires(),
  );
  gauge('db_pool_connections_max', 'The most database connections the pool opens.', (p) => p.max);
}
