import { createRequire } from 'node:module';
import type { PGlite } from '@electric-sql/pglite';
import type { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { isClientTimeout } from './abandoned-connections.js';
import { markFailure } from './availability.js';

type ClientClass = typeof Knex.Client;

/** Knex's own PostgreSQL client, the class `client: 'pg'` names (Knex's typings do not export it). */
const ClientPg = createRequire(import.meta.url)('knex/lib/dialects/postgres/index.js') as ClientClass;

/** The one method every Knex client runs each statement through (transactions' BEGIN/COMMIT included), missing from the typings. */
interface StatementRunner {
  _query(connection: unknown, query: unknown): Promise<unknown>;
}

/**
 * `Base`, recording on each error where it happened (availability.ts): getting a connection
 * (`acquireConnection`, which plain queries and transactions alike call), or running a statement
 * (`_query`, which transactions run through too: their client shares this prototype), and then
 * whether the connection was lost by the time the error arrived.
 */
function recordingFailures<Connection>(
  Base: ClientClass,
  connectionLost: (connection: Connection, error: unknown) => boolean,
): ClientClass {
  const base = Base.prototype as unknown as StatementRunner;
  return class extends Base {
    override async acquireConnection(): Promise<unknown> {
      try {
        return (await super.acquireConnection()) as unknown;
      } catch (error) {
        throw markFailure(error, { at: 'connect' });
      }
    }

    async _query(connection: Connection, query: unknown): Promise<unknown> {
      try {
        return await base._query.call(this, connection, query);
      } catch (error) {
        throw markFailure(error, { at: 'statement', connectionLost: connectionLost(connection, error) });
      }
    }
  };
}

/**
 * Severities of the error with which the server ends a session (its backend terminated, a shutdown,
 * an idle timeout), as the server names them unless its lc_messages is translated.
 */
const SESSION_ENDING = new Set(['FATAL', 'PANIC']);

/**
 * Knex over pg. A connection is lost once it has errored or ended (Knex then marks it
 * `__knex__disposed`, synchronously on a socket error or an unexpected end, before the statement's
 * own error arrives), when the client gave its statement up (the connection is then retired), or
 * when the server ended the session with the statement's own error: that error reaches the
 * statement before the socket's end reaches Knex (when the server's report arrives while a
 * statement runs), so the connection is marked here, for the pool to destroy it.
 */
export const PostgresClient = recordingFailures<{ __knex__disposed?: unknown }>(ClientPg, (connection, error) => {
  const { severity } = (error ?? {}) as { severity?: unknown };
  if (typeof severity === 'string' && SESSION_ENDING.has(severity)) connection.__knex__disposed ??= error;
  return Boolean(connection.__knex__disposed) || isClientTimeout(error);
});

/** Knex over PGlite: its one connection is lost once the instance is closed (the server shutting down). */
export const PgliteClient = recordingFailures<PGlite>(ClientPgLite, (connection) => connection.closed);
