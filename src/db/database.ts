import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Config } from '../config.js';
import { acquireDirectoryLock } from './directory-lock.js';

/** Bounds on talking to PostgreSQL; beyond them the request gets a 503. */
const CONNECT_TIMEOUT_MS = 5_000;
const ACQUIRE_TIMEOUT_MS = 5_000; // waiting for a free pooled connection
const QUERY_TIMEOUT_MS = 10_000;

/** PostgreSQL's type oids for int8 (bigint and count(*)) and date. */
const INT8_OID = 20;
const DATE_OID = 1082;
const TIMESTAMPTZ_OID = 1184;

const MIGRATIONS_DIR = fileURLToPath(new URL('../../db/migrations', import.meta.url));

export interface Database {
  readonly knex: Knex;
  readonly kind: 'postgres' | 'pglite';
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

/** Where Knex's own warnings go (pino in the server; silence by default, e.g. for tests' probes). */
export interface KnexLog {
  warn(message: string): void;
  error(message: string): void;
}
const SILENT: KnexLog = { warn: () => undefined, error: () => undefined };

export function postgresKnex(connectionString: string, poolMax: number, log: KnexLog = SILENT): Knex {
  return knex({
    client: 'pg',
    log: { ...log, deprecate: log.warn, debug: () => undefined },
    connection: {
      connectionString,
      types: { getTypeParser: pgTypeParser },
      // Client-side bounds, so a stalled server or network never hangs a request (they hold through a pooler too).
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      keepAlive: true,
    } as Knex.PgConnectionConfig,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
  });
}

function pgTypeParser(oid: number, format?: string) {
  if (oid === INT8_OID) return parseInt8;
  if (oid === DATE_OID) return parseDate;
  return pg.types.getTypeParser(oid, format as 'text');
}

/** Knex over an existing PGlite instance; closing the Knex closes the instance. */
export function pgliteKnex(instance: PGlite): Knex {
  return knex({ client: ClientPgLite, connection: () => ({ pglite: instance }) } as Knex.Config);
}

export function createPglite(dataDir?: string): Promise<PGlite> {
  // Timestamps through pg's parser: PGlite's reads years 1-99 as 1901-1999 (JavaScript's Date parsing).
  const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text');
  return PGlite.create(dataDir, { parsers: { [INT8_OID]: parseInt8, [DATE_OID]: parseDate, [TIMESTAMPTZ_OID]: parseTimestamptz } });
}

export async function migrate(db: Knex): Promise<void> {
  await db.migrate.latest({ directory: MIGRATIONS_DIR, loadExtensions: ['.ts'] });
}

/** Opens the configured database (PostgreSQL with DATABASE_URL, embedded PGlite otherwise) and migrates it. */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dbPoolMax' | 'dataDir'>,
  log?: KnexLog,
): Promise<Database> {
  if (config.databaseUrl) {
    const db = postgresKnex(config.databaseUrl, config.dbPoolMax, log);
    await migrateOrClose(db);
    return { knex: db, kind: 'postgres', close: () => db.destroy() };
  }

  await mkdir(config.dataDir, { recursive: true });
  const release = await acquireDirectoryLock(config.dataDir);
  try {
    const db = pgliteKnex(await createPglite(path.join(config.dataDir, 'pgdata')));
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

async function migrateOrClose(db: Knex): Promise<void> {
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
