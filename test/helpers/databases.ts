import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { Knex } from 'knex';
import type { PostgresBounds } from '../../src/db/bounds.js';
import {
  createPglite,
  migrate,
  migratePostgres,
  openPostgresPool,
  pgliteKnex,
  postgresKnex,
} from '../../src/db/database.js';
import type { StatementBound } from '../../src/db/statement-bound.js';
import { pgbouncerPath, startPgBouncer, type PgBouncer } from './pgbouncer.js';

/**
 * `pgbouncer`: PostgreSQL through a PgBouncer in transaction pooling mode that the run starts
 * itself, so every API suite also proves the service keeps no session state between statements.
 */
export type DatabaseKind = 'pglite' | 'postgres' | 'pgbouncer';

/** The server every run creates its own database on; trust auth, as on the CI machine. */
export const POSTGRES_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Bounds for the tests' own work on PostgreSQL (creating, migrating, inspecting, dropping
 * databases), not the service's: generous, since on a loaded machine `drop database ... with
 * (force)` alone has taken longer than the service's 1.5 s statement bound. Still bounds: a
 * database that does not answer fails the test with the driver's timeout.
 */
export const ADMIN_BOUNDS: PostgresBounds = {
  connectTimeoutMs: 30_000,
  acquireTimeoutMs: 30_000,
  statementTimeoutMs: 60_000,
};

/** A pool for the tests' own statements on the database at `url`, under ADMIN_BOUNDS. */
export function adminKnex(url: string, poolMax = 1): Knex {
  return postgresKnex(url, poolMax, { bounds: ADMIN_BOUNDS });
}

async function postgresReachable(): Promise<boolean> {
  const admin = adminKnex(POSTGRES_ADMIN_URL);
  try {
    await admin.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await admin.destroy();
  }
}

/** Under CI no real-database half may be skipped silently; locally a missing one is a warning. */
function unavailable(what: string): [] {
  if (process.env.CI) throw new Error(`${what}; CI requires it`);
  console.warn(`\n  WARNING: ${what}: skipping it\n`);
  return [];
}

async function detectKinds(): Promise<DatabaseKind[]> {
  if (!(await postgresReachable()))
    return ['pglite', ...unavailable(`PostgreSQL unreachable at ${POSTGRES_ADMIN_URL}`)];
  const pooled: DatabaseKind[] = pgbouncerPath()
    ? ['pgbouncer']
    : unavailable('pgbouncer is not installed (Debian: apt-get install pgbouncer)');
  return ['pglite', 'postgres', ...pooled];
}

/** The databases every API suite runs against. */
export const DATABASE_KINDS: DatabaseKind[] = await detectKinds();

export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly knex: Knex;
  /** On PostgreSQL, who ends a statement that runs too long: `server` directly, `client` through the pooler. */
  readonly statementBound?: StatementBound;
  /** On PostgreSQL, the database's own URL (not the pooler's): for work the request bounds would cut short. */
  readonly directUrl?: string;
  /** On PostgreSQL, the URL `knex` connects to (the pooler's for `pgbouncer`): for another pool, as another process has. */
  readonly url?: string;
  close(): Promise<void>;
}

/** A fresh, migrated database of that kind, owned by the caller; PostgreSQL ones are dropped on close. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const knex = pgliteKnex(await createPglite());
    await migrate(knex);
    return { kind, knex, close: () => knex.destroy() };
  }
  const { url: directUrl, drop } = await createEmptyPostgresDatabase('todo_test');
  try {
    // Migrations run directly against PostgreSQL, as a deployment would run them; the suites go through the pooler.
    await migratePostgres(directUrl, ADMIN_BOUNDS);
    const url =
      kind === 'pgbouncer' ? (await sharedPgBouncer()).urlFor(new URL(directUrl).pathname.slice(1)) : directUrl;
    const { knex, statementBound } = await openPostgresPool(url, 10);
    return {
      kind,
      knex,
      statementBound,
      directUrl,
      url,
      close: async () => {
        await knex.destroy();
        await drop();
      },
    };
  } catch (error) {
    await drop();
    throw error;
  }
}

let pgbouncer: Promise<PgBouncer> | undefined;

/** The run's one PgBouncer, in front of the PostgreSQL at POSTGRES_ADMIN_URL, started on first use. */
function sharedPgBouncer(): Promise<PgBouncer> {
  if (!pgbouncer) {
    const { hostname, port } = new URL(POSTGRES_ADMIN_URL);
    pgbouncer = startPgBouncer({ host: hostname, port: Number(port || 5432) });
    pgbouncer.catch(() => (pgbouncer = undefined)); // a failed start is retried by the next suite, not cached
  }
  return pgbouncer;
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

/** Closes (and drops) the shared databases, then stops the PgBouncer in front of them. */
export async function closeSharedTestDatabases(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  try {
    await Promise.all(all.map(async (database) => (await database).close()));
  } finally {
    const running = pgbouncer;
    pgbouncer = undefined;
    await running?.then(
      (bouncer) => bouncer.stop(),
      () => undefined,
    );
  }
}

/** A new, empty PostgreSQL database next to POSTGRES_ADMIN_URL (named `<prefix>_<pid>_<random>`), and the way to drop it. */
export async function createEmptyPostgresDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = adminKnex(POSTGRES_ADMIN_URL);
  const drop = async () => {
    try {
      await admin.raw(`drop database if exists ${name} with (force)`);
    } finally {
      await admin.destroy();
    }
  };
  try {
    await admin.raw(`create database ${name}`);
  } catch (error) {
    await admin.destroy();
    throw error;
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop };
}

/** The migrations' names as the sources give them and databases record them: their file names, in order. */
export const MIGRATION_FILES: readonly string[] = readdirSync(new URL('../../db/migrations/', import.meta.url))
  .filter((file) => file.endsWith('.ts'))
  .sort();

/** A row of knex_migrations: what a database records of each migration applied to it. */
export interface MigrationRow {
  readonly id: number;
  readonly name: string;
  readonly batch: number;
  readonly migration_time: Date;
}

/** The migrations the database at `url` has recorded, in the order they were applied. */
export async function migrationRows(url: string): Promise<MigrationRow[]> {
  const db = adminKnex(url);
  try {
    return await db<MigrationRow>('knex_migrations').select('id', 'name', 'batch', 'migration_time').orderBy('id');
  } finally {
    await db.destroy();
  }
}
