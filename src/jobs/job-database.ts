import type { Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import { fromKnex, fromPglite, type Db } from 'pg-boss';
import { scopedKnex } from '../db/request-transaction.js';

/** Where pg-boss's statements run: its own work, and the jobs the server sends. */
export interface JobDatabases {
  /**
   * The engine's statements (fetching, completing, maintenance), through the server's own Knex: on
   * PostgreSQL its bounded pool (the same statement timeouts, the same pooler), on PGlite its one
   * connection, taken like any request takes it, so that they never land inside a request's open
   * transaction (and wait for it to end instead).
   */
  readonly engine: Db;
  /**
   * A send: inside a request's transaction it joins it, so the job exists if and only if the
   * request commits (and on PGlite, one connection, it would wait for that transaction forever
   * otherwise); elsewhere it runs on the pool.
   */
  readonly sends: Db;
}

export function jobDatabases(db: Knex, kind: 'postgres' | 'pglite'): JobDatabases {
  const requestOrPool = scopedKnex(db);
  if (kind === 'postgres') return pooledDatabases(db, requestOrPool);
  const client = db.client as {
    acquireConnection(): Promise<PGlite>;
    releaseConnection(connection: PGlite): Promise<void>;
  };
  const onConnection = async <T>(use: (connection: PGlite) => Promise<T>): Promise<T> => {
    const connection = await client.acquireConnection();
    try {
      return await use(connection);
    } finally {
      await client.releaseConnection(connection);
    }
  };
  return {
    engine: {
      executeSql: (text, values) =>
        values?.length
          ? throughKnex(db, text, values)
          : // Without parameters pg-boss may send several statements at once (its migrations, its
            // locked blocks), which only PGlite's exec runs; fromPglite also rolls back a block that failed.
            onConnection((connection) => fromPglite(connection).executeSql(text)),
      // One session, the connection's: set once (a TestClock's opt-in to its time).
      setSessionStatements: (statements) =>
        onConnection(async (connection) => {
          for (const statement of statements) await connection.exec(statement);
        }),
    },
    sends: { executeSql: (text, values) => throughKnex(requestOrPool, text, values) },
  };
}

/**
 * On PostgreSQL a pooled connection (a pooler's above all) keeps no session of its own for pg-boss:
 * the session's statements (only a TestClock's opt-in to its time sets any) go with each
 * statement, in one simple query or one transaction, which a transaction-mode pooler keeps on one
 * server connection.
 */
function pooledDatabases(db: Knex, requestOrPool: Knex): JobDatabases {
  let session: readonly string[] = [];
  const client = db.client as {
    acquireConnection(): Promise<unknown>;
    releaseConnection(connection: unknown): Promise<void>;
  };
  const withSession = async (knex: Knex, text: string, values?: unknown[]) => {
    if (session.length === 0) return throughKnex(knex, text, values);
    return knex.transaction(async (trx) => {
      for (const statement of session) await trx.raw(statement);
      return throughKnex(trx, text, values);
    });
  };
  /**
   * Statements without parameters, which pg-boss sends several at once (its migrations, its locked
   * blocks, which open and commit a transaction of their own), on one connection of the pool: a
   * block that fails is rolled back there, or the pool would hand that connection on inside an
   * aborted transaction (pg's own pool closes it instead). Engines starting together on a new
   * database (a cluster's workers) fail their first migration that way, and retry.
   */
  const block = async (text: string) => {
    const connection = await client.acquireConnection();
    const onConnection = {
      raw: (sql: string, bindings: Knex.RawBinding[]) => db.raw(sql, bindings).connection(connection),
    } as unknown as Knex;
    try {
      return await throughKnex(onConnection, [...session, text].join(';\n'));
    } catch (error) {
      await db
        .raw('rollback')
        .connection(connection)
        .catch(() => undefined);
      throw error;
    } finally {
      await client.releaseConnection(connection);
    }
  };
  return {
    engine: {
      executeSql: (text, values) => (values?.length ? withSession(db, text, values) : block(text)),
      setSessionStatements: async (statements) => {
        session = statements;
      },
    },
    sends: { executeSql: (text, values) => withSession(requestOrPool, text, values) },
  };
}

/**
 * pg-boss's statements in a Knex transaction, as `db` of a call that must commit with the caller's
 * own writes (a job inserted with the row that says it was sent).
 */
export function jobTransaction(trx: Knex.Transaction): Db {
  return { executeSql: (text, values) => throughKnex(trx, text, values) };
}

/** `text` on `knex` (a pool or a transaction); pg-boss passes `undefined` for a missing value, which Knex refuses (pg sends NULL). */
function throughKnex(knex: Knex, text: string, values?: unknown[]) {
  return fromKnex(knex).executeSql(
    text,
    values?.map((value) => (value === undefined ? null : value)),
  );
}
