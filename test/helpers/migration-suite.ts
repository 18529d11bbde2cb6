import type { Knex } from 'knex';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './databases.js';

/**
 * Declares a migration's suite once per database server (PgBouncer is PostgreSQL underneath, and
 * migrations run directly against it), each over a fresh, migrated database of its own, closed
 * (and dropped) after the suite. `db()` is its Knex, inside tests and hooks.
 */
export function describeEachFreshDatabase(title: string, body: (db: () => Knex) => void): void {
  for (const kind of new Set(DATABASE_KINDS.map((each) => (each === 'pgbouncer' ? 'postgres' : each)))) {
    describe(`${title} [${kind}]`, function () {
      this.timeout(60_000);
      let database: TestDatabase | undefined;
      before(async () => {
        database = await createTestDatabase(kind);
      });
      after(async () => database?.close());
      body(() => {
        if (!database) throw new Error('the database is not created yet: use it inside tests or hooks');
        return database.knex;
      });
    });
  }
}
