import type { Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { fromKnex, fromPglite, type Db } from 'pg-boss';

/**
 * pg-boss's statements, run through the server's own Knex: on PostgreSQL its bounded pool (the
 * same statement timeouts, the same pooler), on PGlite its one connection, taken like any request
 * takes it, so that a job's statement never lands inside a request's open transaction.
 */
export function jobDatabase(db: Knex, kind: 'postgres' | 'pglite'): Db {
  const throughKnex = jobTransaction(db);
  const client = db.client as {
    acquireConnection(): Promise<unknown>;
    releaseConnection(connection: unknown): Promise<void>;
  };
  const runBlock = kind === 'pglite' ? pgliteBlock : postgresBlock;
  return {
    async executeSql(text, values) {
      if (values?.length) return throughKnex.executeSql(text, values);
      // Without parameters pg-boss may send several statements at once (its migrations, its
      // locked blocks BEGIN ... COMMIT), on a connection of their own.
      const connection = await client.acquireConnection();
      try {
        return await runBlock(connection, text);
      } finally {
        await client.releaseConnection(connection);
      }
    },
  };
}

/** Only PGlite's exec runs several statements; fromPglite also rolls back a block that failed. */
const pgliteBlock = (connection: unknown, text: string) => fromPglite(connection as PGlite).executeSql(text);

/**
 * A block that failed halfway (the loser of two processes creating pg-boss's schema at once, a
 * statement timeout) leaves its connection in an aborted transaction: it is rolled back before the
 * pool hands the connection to anyone else (pg's own pool would close it; Knex's does not).
 */
async function postgresBlock(connection: unknown, text: string): Promise<{ rows: unknown[] }> {
  const client = connection as pg.Client;
  try {
    const result = (await client.query(text)) as
      pg.QueryResult<pg.QueryResultRow> | pg.QueryResult<pg.QueryResultRow>[];
    // Several statements answer one result each: their rows together, as pg-boss reads them.
    return Array.isArray(result) ? { rows: result.flatMap((each) => each.rows) } : result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

/**
 * pg-boss's statements run in a Knex transaction (or over a pool), as `db` of a call that must
 * commit with the caller's own writes (a job inserted with the row that says it was sent).
 */
export function jobTransaction(trx: Knex): Db {
  const knexAdapter = fromKnex(trx);
  return {
    // pg-boss passes `undefined` for a missing value, which pg sends as NULL and Knex refuses.
    executeSql: (text, values) =>
      knexAdapter.executeSql(
        text,
        values?.map((value) => (value === undefined ? null : value)),
      ),
  };
}
