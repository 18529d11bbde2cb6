import { isClientTimeout } from './abandoned-connections.js';

/**
 * Whether a database error means "not now" (the API's 503 with Retry-After) or "this request hit
 * a bug" (a 500, logged). Decided by where the error happened, which the Knex clients of
 * clients.ts record on every error they raise, not by a list of error codes:
 * - getting a connection (waiting for the pool, opening one: refused, unknown host or database,
 *   authentication, CONNECT privilege, a server not accepting connections, …): unavailable, always;
 * - running a statement on a connection that was lost (it ended or errored, the server ended the
 *   session with the statement's own error, or the client gave the statement up): unavailable;
 * - running a statement on a live connection: unavailable when the server refuses it because of
 *   its state rather than the statement's: SQLSTATE classes 08 (connection exception), 40
 *   (transaction rollback: serialization failure, deadlock), 53 (insufficient resources), 57
 *   (operator intervention: statement timeout, shutdown), 58 (system error) and 55P03 (lock not
 *   available). Anything else (a constraint the code did not expect, a syntax error) is a bug.
 * An error that did not come through those clients is not the database's to excuse: a bug too.
 */
export type DatabaseFailure =
  { readonly at: 'connect' } | { readonly at: 'statement'; readonly connectionLost: boolean };

/**
 * Why the database was unavailable, for the log, so that an operator tells an overload from an
 * outage: no connection to be had (refused, not accepting, pool exhausted), a connection lost
 * under a statement, a statement that ran out of time (the server's statement_timeout or the
 * client's bound), or another state of the server (serialization failure, too many connections…).
 */
export type UnavailableCause = 'no_connection' | 'connection_lost' | 'statement_timeout' | 'server_state';

/** SQLSTATE query_canceled: a statement timeout, or the cancel the client sends when its own bound runs out. */
const QUERY_CANCELED = '57014';

const STATE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const STATES = new Set(['55P03']);

const failures = new WeakMap<Error, DatabaseFailure>();

/** Records where `error` happened; returns it as an Error (a driver may reject with anything), to be thrown on. */
export function markFailure(error: unknown, failure: DatabaseFailure): Error {
  const marked = error instanceof Error ? error : new Error(String(error));
  failures.set(marked, failure);
  return marked;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const failure = error instanceof Error ? failures.get(error) : undefined;
  if (failure === undefined) return false;
  if (failure.at === 'connect' || failure.connectionLost) return true;
  const state = sqlState(error);
  return state !== undefined && (STATE_CLASSES.has(state.slice(0, 2)) || STATES.has(state));
}

/** Why `error` made the database unavailable, or undefined when it did not (a bug, or not the database's). */
export function unavailableCause(error: unknown): UnavailableCause | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  const failure = failures.get(error as Error);
  if (failure?.at === 'connect') return 'no_connection';
  if (sqlState(error) === QUERY_CANCELED || isClientTimeout(error)) return 'statement_timeout';
  return failure?.connectionLost ? 'connection_lost' : 'server_state';
}

/** The SQLSTATE the server reported, if it reported one (pg's and PGlite's errors carry it as `code`). */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
