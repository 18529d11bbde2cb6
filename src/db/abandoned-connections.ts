import { once } from 'node:events';
import type { Knex } from 'knex';
import type pg from 'pg';
import { sendCancelRequest } from './cancel-request.js';

/** What pg's client-side `query_timeout` rejects a statement with. */
const CLIENT_TIMEOUT = /Query read timeout/;

/** Whether the client gave the statement up (pg's `query_timeout`): its connection is then retired. */
export function isClientTimeout(error: unknown): boolean {
  return error instanceof Error && CLIENT_TIMEOUT.test(error.message);
}

/** Knex tags each pooled connection with this id, and names it in its query events; pg keeps the session's cancel key. */
type PooledConnection = pg.Client & { __knexUid: string; processID: number | null; secretKey: number | null };

/**
 * A connection on which the client gave up a statement is retired and never handed out again.
 * The statement may still be running on the server: through a transaction-mode pooler, where
 * the server applies no statement_timeout of ours, it would still commit its writes once its lock
 * wait ends, and inside a transaction it would keep its locks and swallow the next request's
 * statements if the connection were reused. So the server is first asked to cancel it (which
 * PgBouncer forwards), given `settleMs` to answer, and then the connection is closed.
 */
export function abandonedConnectionGuard(settleMs: number) {
  const byUid = new Map<string, PooledConnection>();
  const abandoned = new WeakSet<pg.Client>();
  return {
    /** The pool's `afterCreate`: remembers the connection for as long as it is open. */
    afterCreate: (
      connection: PooledConnection,
      done: (error: Error | null, connection: PooledConnection) => void,
    ): void => {
      byUid.set(connection.__knexUid, connection);
      connection.once('end', () => byUid.delete(connection.__knexUid));
      done(null, connection);
    },
    /** The pool's `validate`: an abandoned connection is destroyed instead of handed out. */
    validate: (connection: pg.Client): boolean => {
      return !abandoned.has(connection);
    },
    /** Listens to `db`'s query errors for client-side timeouts. */
    watch: (db: Knex): void => {
      db.on('query-error', (error: unknown, query: { __knexUid?: string }) => {
        if (!isClientTimeout(error) || !query.__knexUid) return;
        const connection = byUid.get(query.__knexUid);
        if (!connection) return;
        abandoned.add(connection);
        void retire(connection, settleMs);
      });
    },
  };
}

async function retire(connection: PooledConnection, settleMs: number): Promise<void> {
  const { host, port, processID, secretKey } = connection;
  if (processID !== null && secretKey !== null) {
    // Unix-domain sockets are named after the port in the socket directory, as pg does.
    const address = host.startsWith('/') ? { path: `${host}/.s.PGSQL.${port}` } : { host, port };
    await sendCancelRequest({ ...address, processId: processID, secretKey }, settleMs);
    // Closing before the server has answered the cancel would, through a pooler, orphan it.
    await once(connection, 'drain', { signal: AbortSignal.timeout(settleMs) }).catch(() => undefined);
  }
  // pg destroys the socket when a statement is still in flight, rather than waiting on it.
  await connection.end().catch(() => undefined);
}
