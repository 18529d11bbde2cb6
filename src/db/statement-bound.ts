import pg from 'pg';
import { markFailure } from './availability.js';
import type { PostgresBounds } from './bounds.js';

/**
 * Who ends a statement that runs past DB_STATEMENT_TIMEOUT_MS:
 * - `server`: PostgreSQL itself (the `statement_timeout` startup parameter), the client a little later;
 * - `client`: the client alone (a cancel request once its query_timeout fires, see
 *   abandoned-connections.ts), because the server does not apply the startup parameter;
 * - `none`: nobody (migrations, which may legitimately run long).
 */
export type StatementBound = 'server' | 'client' | 'none';

/**
 * Which bound connections to `url` can have. PostgreSQL applies a `statement_timeout` startup
 * parameter; a transaction-mode pooler (PgBouncer, Neon's pooled endpoint) shares server
 * connections between clients and so refuses unknown startup parameters (SQLSTATE 08P01,
 * "unsupported startup parameter") or, when told to ignore them, silently drops them. The answer
 * is therefore read back from the server over one short-lived connection, never assumed.
 * Session `SET` is no alternative: through such a pooler it would leak into other clients'
 * transactions and miss our own next statement.
 */
export async function detectStatementBound(
  url: string,
  bounds: PostgresBounds,
): Promise<Exclude<StatementBound, 'none'>> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: bounds.connectTimeoutMs,
    query_timeout: bounds.statementTimeoutMs,
    statement_timeout: bounds.statementTimeoutMs,
  });
  client.on('error', () => undefined); // a connection lost after connecting fails the query below instead
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    if (isRefusedStartupParameter(error)) return 'client';
    throw markFailure(error, { at: 'connect' });
  }
  try {
    const { rows } = await client.query<{ ms: number }>(
      `select setting::integer as ms from pg_settings where name = 'statement_timeout'`,
    );
    return rows[0]?.ms === bounds.statementTimeoutMs ? 'server' : 'client';
  } catch (error) {
    // A fixed query that reads a setting: only a connection that failed on the way can fail it.
    throw markFailure(error, { at: 'connect' });
  } finally {
    await client.end().catch(() => undefined);
  }
}

function isRefusedStartupParameter(error: unknown): boolean {
  return error instanceof Error && /unsupported startup parameter/i.test(error.message);
}
