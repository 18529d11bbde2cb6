/**
 * How long the service waits on PostgreSQL before it answers 503 instead. Every bound is below
 * two seconds, so a request never hangs on a database that is down, stalled or saturated.
 */
export interface PostgresBounds {
  /**
   * DB_CONNECT_TIMEOUT_MS: opening one connection (TCP, TLS, authentication). A reachable server,
   * or a pooler in front of it, answers in milliseconds; one that has not within this time is
   * treated as down. Raise it for a database that scales to zero and wakes on the first connection.
   */
  readonly connectTimeoutMs: number;
  /**
   * DB_ACQUIRE_TIMEOUT_MS: waiting for a pooled connection, which includes opening a new one when
   * the pool is not full, so it is never shorter than the connect timeout (config.ts checks that).
   * The margin above the connect timeout is the queueing a burst of requests may add while the
   * pool is busy: at a few milliseconds a query, hundreds of waiting requests get through in time.
   */
  readonly acquireTimeoutMs: number;
  /**
   * DB_STATEMENT_TIMEOUT_MS: one statement, lock waits included. Enforced by the server when it
   * honours the `statement_timeout` startup parameter (PostgreSQL does, a transaction-mode pooler
   * refuses or drops it), and always by the client a little later (see CLIENT_GRACE_MS), which
   * then sends the server a cancel request, honoured through PgBouncer too.
   */
  readonly statementTimeoutMs: number;
}

export const DEFAULT_POSTGRES_BOUNDS: PostgresBounds = {
  connectTimeoutMs: 1_000,
  acquireTimeoutMs: 1_500,
  statementTimeoutMs: 1_500,
};

/**
 * The client gives up this much after the server's own statement timeout, so that where the
 * server enforces it the server's cancellation arrives first (a clean error on a connection that
 * stays usable); the client's bound then only fires when the server cannot answer at all.
 */
export const CLIENT_GRACE_MS = 250;
