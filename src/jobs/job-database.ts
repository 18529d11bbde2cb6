import type { Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import { fromKnex, fromPglite, type Db } from 'pg-boss';

/** What Knex's client lends: a driver connection (pg's Client, or the PGlite instance). */
interface ConnectionLender<Connection> {
  acquireConnection(): Promise<Connection>;
  releaseConnection(connection: Connection): Promise<void>;
}

/** The part of pg's Client used here. */
interface PgConnection {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Runs `work` on a connection borrowed from the pool (the pool's bounds apply), given back after. */
function lending<Connection>(client: ConnectionLender<Connection>) {
  return async <T>(work: (connection: Connection) => Promise<T>): Promise<T> => {
    const connection = await client.acquireConnection();
    try {
      return await work(connection);
    } finally {
      await client.releaseConnection(connection);
    }
  };
}

/** pg-boss passes `undefined` for a missing value, which pg sends as NULL and Knex refuses. */
const nulled = (values: unknown[] | undefined) => values?.map((value) => (value === undefined ? null : value));

/**
 * pg-boss's statements, run through the server's own Knex: on PostgreSQL its bounded pool (the
 * same statement timeouts, the same pooler), on PGlite its one connection, taken like any request
 * takes it, so that a job's statement never lands inside a request's open transaction.
 *
 * Without parameters pg-boss may send several statements at once (its migrations, its blocks
 * under an advisory lock, each its own transaction): those run on a connection borrowed for them,
 * rolled back if they fail, so that no connection goes back to the pool inside an aborted
 * transaction (Knex would hand it back so, and the next query on it would fail: two processes
 * starting pg-boss at once did).
 *
 * Statements every session must have run (pg-boss's `setSessionStatements`) are none in
 * production; a test's TestClock gives one (its clock's opt-in), which each connection then runs
 * before its first pg-boss statement (PGlite's one connection, at once).
 */
export function jobDatabase(db: Knex, kind: 'postgres' | 'pglite'): Db {
  const knexAdapter = fromKnex(db);
  const throughKnex: Db = { executeSql: (text, values) => knexAdapter.executeSql(text, nulled(values)) };
  return kind === 'postgres'
    ? onPostgres(db.client as ConnectionLender<PgConnection>, throughKnex)
    : onPglite(db.client as ConnectionLender<PGlite>, throughKnex);
}

function onPostgres(client: ConnectionLender<PgConnection>, throughKnex: Db): Db {
  const onConnection = lending(client);
  let statements: string[] = [];
  let prepared = new WeakSet<PgConnection>();
  return {
    async executeSql(text, values) {
      const block = !values?.length;
      if (!block && statements.length === 0) return throughKnex.executeSql(text, values);
      return onConnection(async (connection) => {
        if (statements.length > 0 && !prepared.has(connection)) {
          for (const statement of statements) await connection.query(statement);
          prepared.add(connection);
        }
        try {
          return await connection.query(text, nulled(values));
        } catch (error) {
          if (block) await connection.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    },
    async setSessionStatements(given) {
      statements = given;
      prepared = new WeakSet();
    },
  };
}

function onPglite(client: ConnectionLender<PGlite>, throughKnex: Db): Db {
  const onConnection = lending(client);
  return {
    async executeSql(text, values) {
      if (values?.length) return throughKnex.executeSql(text, values);
      // Only PGlite's exec runs several statements; fromPglite also rolls back a block that failed.
      return onConnection((connection) => fromPglite(connection).executeSql(text));
    },
    async setSessionStatements(statements) {
      await onConnection(async (connection) => {
        for (const statement of statements) await connection.exec(statement);
      });
    },
  };
}
