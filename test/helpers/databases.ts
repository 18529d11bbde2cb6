import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createPglite, migrate, pgliteKnex, postgresKnex } from '../../src/db/database.js';

export type DatabaseKind = 'pglite' | 'postgres';

/** The server every run creates its own database on; trust auth, as on the CI machine. */
export const POSTGRES_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresReachable(): Promise<boolean> {
  const admin = postgresKnex(POSTGRES_ADMIN_URL, 1);
  try {
    await admin.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await admin.destroy();
  }
}

async function detectKinds(): Promise<DatabaseKind[]> {
  if (await postgresReachable()) return ['pglite', 'postgres'];
  if (process.env.CI) {
    // Under CI the real-database half must never be skipped silently.
    throw new Error(`PostgreSQL is unreachable at ${POSTGRES_ADMIN_URL}; CI requires it`);
  }
  console.warn(`\n  WARNING: PostgreSQL unreachable at ${POSTGRES_ADMIN_URL}: running on PGlite only\n`);
  return ['pglite'];
}

/** The databases every API suite runs against. */
export const DATABASE_KINDS: DatabaseKind[] = await detectKinds();

export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly knex: Knex;
  close(): Promise<void>;
}

/** A fresh, migrated database of that kind, owned by the caller; PostgreSQL ones are dropped on close. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const knex = pgliteKnex(await createPglite());
    await migrate(knex);
    return { kind, knex, close: () => knex.destroy() };
  }
  const name = `todo_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgresKnex(POSTGRES_ADMIN_URL, 1);
  await admin.raw(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const knex = postgresKnex(url.toString(), 10);
  await migrate(knex);
  return {
    kind,
    knex,
    close: async () => {
      await knex.destroy();
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    },
  };
}

const shared = new Map<DatabaseKind, Promise<TestDatabase>>();

/** One database per kind shared by the suites of a run: tests isolate themselves by user. */
export function sharedTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  let database = shared.get(kind);
  if (!database) {
    database = createTestDatabase(kind);
    shared.set(kind, database);
  }
  return database;
}

export async function closeSharedTestDatabases(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  await Promise.all(all.map(async (database) => (await database).close()));
}
