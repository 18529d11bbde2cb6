import type { Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import { fromKnex, fromPglite, type Db } from 'pg-boss';

/**
 * pg-boss's statements, run through the server's own Knex: on PostgreSQL its bounded pool (the
 * same statement timeouts, the same pooler), on PGlite its one connection, taken like any request
 * takes it, so that a job's statement never lands inside a request's open transaction.
 */
export function jobDatabase(db: Knex, kind: 'postgres' | 'pglite'): Db {
  const throughKnex = jobTransaction(db);
  if (kind === 'postgres') return throughKnex;
  const client = db.client as {
    acquireConnection(): Promise<PGlite>;
    releaseConnection(connection: PGlite): Promise<void>;
  };
  return {
    async executeSql(text, values) {
      if (values?.length) return throughKnex.executeSql(text, values);
      // Without parameters pg-boss may send several statements at once (its migrations, its
      // locked blocks), which only PGlite's exec runs; fromPglite also rolls back a block that failed.
      const connection = await client.acquireConnection();
      try {
        return await fromPglite(connection).executeSql(text);
      } finally {
        await client.releaseConnection(connection);
      }
    },
  };
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
