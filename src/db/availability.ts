/** Socket errors: the database (or the pooler in front of it) cannot be reached right now. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

/** SQLSTATEs that mean "not now", not "this query is wrong": retrying later can succeed. */
const TRANSIENT_SQLSTATES = new Set([
  '57014', // query_canceled: DB_STATEMENT_TIMEOUT_MS ran out (lock waits included)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up or shutting down)
  '53300', // too_many_connections
]);

/**
 * Class 08 is "connection exception": PostgreSQL's lost connections, and every error a pooler
 * raises for a server it cannot reach or a client it cannot serve yet (PgBouncer uses 08P01).
 */
const CONNECTION_EXCEPTION_CLASS = '08';

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'KnexTimeoutError') return true; // no pooled connection within DB_ACQUIRE_TIMEOUT_MS
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) || code.startsWith(CONNECTION_EXCEPTION_CLASS))
      return true;
  }
  // pg's own words for a lost or timed-out connection and for its client-side query_timeout.
  return /Connection terminated|connection is closed|Query read timeout/i.test(error.message);
}
