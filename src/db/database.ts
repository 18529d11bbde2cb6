import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import knex, { type Knex } from 'knex';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Config } from '../config.js';
import { CLIENT_GRACE_MS, DEFAULT_POSTGRES_BOUNDS, type PostgresBounds } from './bounds.js';
import { abandonedConnectionGuard } from './abandoned-connections.js';
import { PgliteClient, PostgresClient } from './clients.js';
import { acquireDirectoryLock } from './directory-lock.js';
import { migrationSource } from './migration-source.js';
import { seedFromTemplate } from './pglite-template.js';
import { detectStatementBound, type StatementBound } from './statement-bound.js';

/** PostgreSQL's type oids for int8 (bigint and count(*)) and date. */
const INT8_OID = 20;
const DATE_OID = 1082;
const TIMESTAMPTZ_OID = 1184;

export interface Database {
  readonly knex: Knex;
  readonly kind: 'postgres' | 'pglite';
  /** On PostgreSQL, who ends a statement that runs too long (see statement-bound.ts). */
  readonly statementBound?: StatementBound;
  /** Closes every connection and releases the data directory. */
  close(): Promise<void>;
}

/**
 * Our ids stay far below 2^53, so int8 is parsed to a JS number on both drivers
 * (pg returns strings, PGlite numbers or BigInts otherwise).
 */
const parseInt8 = (value: string) => Number(value);
/** A date stays the calendar date it is (`2026-12-01`): no Date object, no time zone involved. */
const parseDate = (value: string) => value;

/** The embedded database's own directory inside DATA_DIR (which also holds the lock and the development secret). */
export const PGLITE_DIRECTORY = 'pgdata';

/** Where Knex's own warnings go (pino in the server; silence by default, e.g. for tests' probes). */
export interface KnexLog {
  warn(message: string): void;
  error(message: string): void;
}
/** How Knex's warning about a connection it could not open begins. */
const ACQUIRE_ERROR = 'Acquire connection error';
const SILENT: KnexLog = { warn: () => undefined, error: () => undefined };

export interface PostgresOptions {
  readonly bounds?: PostgresBounds;
  /** `client` unless the server is known to apply the startup parameter (detectStatementBound). */
  readonly statementBound?: StatementBound;
  readonly log?: KnexLog;
}

/**
 * Knex over PostgreSQL (directly or through a pooler), every wait bounded by `bounds`, so that a
 * database that is down, stalled or saturated costs a request a 503, never a hang.
 */
export function postgresKnex(
  connectionString: string,
  poolMax: number,
  { bounds = DEFAULT_POSTGRES_BOUNDS, statementBound = 'client', log = SILENT }: PostgresOptions = {},
): Knex {
  const guard = abandonedConnectionGuard(bounds.connectTimeoutMs);
  const db = knex({
    client: PostgresClient,
    log: {
      warn: (message: string) => log.warn(message),
      error: (message: string) => log.error(message),
      deprecate: (message: string) => log.warn(message),
      debug: () => undefined,
    },
    connection: {
      connectionString,
      types: { getTypeParser: pgTypeParser },
      // Client-side bounds hold whatever is in between (a pooler, a stalled network).
      connectionTimeoutMillis: bounds.connectTimeoutMs,
      ...(statementBound === 'none' ? {} : { query_timeout: bounds.statementTimeoutMs + CLIENT_GRACE_MS }),
      ...(statementBound === 'server' ? { statement_timeout: bounds.statementTimeoutMs } : {}),
      keepAlive: true,
    } as Knex.PgConnectionConfig,
    pool: { min: 0, max: poolMax, afterCreate: guard.afterCreate, validate: guard.validate } satisfies Knex.PoolConfig,
    acquireConnectionTimeout: bounds.acquireTimeoutMs,
  });
  guard.watch(db);
  return db;
}

function pgTypeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === INT8_OID) return parseInt8;
  if (oid === DATE_OID) return parseDate;
  return pg.types.getTypeParser(oid, format as 'text') as (value: string) => unknown;
}

/** Knex over an existing PGlite instance; closing the Knex closes the instance. */
export function pgliteKnex(instance: PGlite): Knex {
  return knex({ client: PgliteClient, connection: () => ({ pglite: instance }) } as Knex.Config);
}

export function createPglite(dataDir?: string): Promise<PGlite> {
  // Timestamps through pg's parser: PGlite's reads years 1-99 as 1901-1999 (JavaScript's Date parsing).
  const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (value: string) => Date;
  return PGlite.create(dataDir, {
    parsers: { [INT8_OID]: parseInt8, [DATE_OID]: parseDate, [TIMESTAMPTZ_OID]: parseTimestamptz },
  });
}

/** Applies db/migrations, recorded under their source names whether running compiled or not (see migration-source.ts). */
export async function migrate(db: Knex): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

/**
 * Opens the configured database (PostgreSQL with DATABASE_URL, embedded PGlite otherwise) and
 * migrates it, unless `applyMigrations` is false (a cluster worker: its primary has migrated PostgreSQL).
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dbPoolMax' | 'dbTimeouts' | 'dataDir'>,
  log?: KnexLog,
  { applyMigrations = true }: { applyMigrations?: boolean } = {},
): Promise<Database> {
  if (config.databaseUrl) {
    if (applyMigrations) await migratePostgres(config.databaseUrl, config.dbTimeouts, log);
    const { knex: db, statementBound } = await openPostgresPool(
      config.databaseUrl,
      config.dbPoolMax,
      config.dbTimeouts,
      log,
    );
    return { knex: db, kind: 'postgres', statementBound, close: () => db.destroy() };
  }

  await mkdir(config.dataDir, { recursive: true });
  const release = await acquireDirectoryLock(config.dataDir);
  try {
    const pgdata = path.join(config.dataDir, PGLITE_DIRECTORY);
    await seedFromTemplate(pgdata);
    const db = pgliteKnex(await createPglite(pgdata));
    await migrateOrClose(db);
    return {
      knex: db,
      kind: 'pglite',
      close: async () => {
        try {
          await db.destroy();
        } finally {
          await release();
        }
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * Applies the migrations over a connection of their own, without the statement bound: a migration
 * may take longer than any request's statement should.
 */
export async function migratePostgres(
  url: string,
  bounds: PostgresBounds = DEFAULT_POSTGRES_BOUNDS,
  log?: KnexLog,
): Promise<void> {
  // A connection that cannot be had fails the migrations with that error, which the caller
  // reports: Knex's own warning about it would say it a second time.
  const quiet = log && {
    ...log,
    warn: (message: string) => {
      if (!message.startsWith(ACQUIRE_ERROR)) log.warn(message);
    },
  };
  const db = postgresKnex(url, 1, { bounds, statementBound: 'none', log: quiet });
  try {
    await migrate(db);
  } finally {
    await db.destroy();
  }
}

/** The serving pool over `url`, its statements bounded by the server when it allows that. */
export async function openPostgresPool(
  url: string,
  poolMax: number,
  bounds: PostgresBounds = DEFAULT_POSTGRES_BOUNDS,
  log?: KnexLog,
): Promise<{ knex: Knex; statementBound: StatementBound }> {
  const statementBound = await detectStatementBound(url, bounds);
  return { knex: postgresKnex(url, poolMax, { bounds, statementBound, log }), statementBound };
}

async function migrateOrClose(db: Knex): Promise<void> {
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
