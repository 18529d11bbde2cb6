import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where to create the benchmark's database: any database of the server, as a role that may create one. */
export const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database `bench_<random>` (our server migrates it at start); returns its URL. */
export async function createDatabase(): Promise<{ name: string; url: string }> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** Drops it, closing any connection still open to it (a server that could not be stopped cleanly). */
export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`drop database if exists ${name} with (force)`));
}

export async function postgresVersion(): Promise<string> {
  return admin(
    async (client) => (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version,
  );
}
