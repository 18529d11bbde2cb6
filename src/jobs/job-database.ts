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

/**
 * pg-boss's statements, run through the server's own Knex: on PostgreSQL its bounded pool (the
 * same statement timeouts, the same pooler), on PGlite its one connection, taken like any request
 * takes it, so that a job's statement never lands inside a request's open transaction.
 *
 * Statements every session must have run (pg-boss's `setSessionStatements`) are none in
 * production; a test's TestClock gives one (its clock's opt-in), which each connection then runs
 * before its first pg-boss statement (PGlite's one connection, at once).
 */
export function jobDatabase(db: Knex, kind: 'postgres' | 'pglite'): Db {
  const knexAdapter = fromKnex(db);
  // pg-boss passes `undefined` for a missing value, which pg sends as NULL and Knex refuses.
  const nulled = (values: unknown[] | undefined) => values?.map((value) => (value === undefined ? null : value));
  const throughKnex: Db = { executeSql: (text, values) => knexAdapter.executeSql(text, nulled(values)) };
  if (kind === 'postgres') return sessionsPrepared(db.client as ConnectionLender<PgConnection>, throughKnex, nulled);
  const client = db.client as ConnectionLender<PGlite>;
  const onConnection = async <T>(work: (connection: PGlite) => Promise<T>): Promise<T> => {
    const connection = await client.acquireConnection();
    try {
      return await work(connection);
    } finally {
      await client.releaseConnection(connection);
    }
  };
  return {
    async executeSql(text, values) {
      if (values?.length) return throughKnex.executeSql(text, values);
      // Without parameters pg-boss may send several statements at once (its migrations, its
      // locked blocks), which only PGlite's exec runs; fromPglite also rolls back a block that failed.
      return onConnection((connection) => fromPglite(connection).executeSql(text));
    },
    async setSessionStatements(statements) {
      await onConnection(async (connection) => {
        for (const statement of statements) await connection.exec(statement);
      });
    },
  };
}

/** On PostgreSQL: each pooled connection runs the session statements once, before the first pg-boss statement it runs. */
function sessionsPrepared(
  client: ConnectionLender<PgConnection>,
  throughKnex: Db,
  nulled: (values: unknown[] | undefined) => unknown[] | undefined,
): Db {
  let statements: string[] = [];
  let prepared = new WeakSet<PgConnection>();
  return {
    async executeSql(text, values) {
      if (statements.length === 0) return throughKnex.executeSql(text, values);
      const connection = await client.acquireConnection();
      try {
        if (!prepared.has(connection)) {
          for (const statement of statements) await connection.query(statement);
          prepared.add(connection);
        }
        return await connection.query(text, nulled(values));
      } finally {
        await client.releaseConnection(connection);
      }
    },
    async setSessionStatements(given) {
      statements = given;
      prepared = new WeakSet();
    },
  };
}
