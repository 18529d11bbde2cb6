import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/** How long a key and its response are kept, as the spec promises clients. */
export const RETENTION_HOURS = 24;

/**
 * The most expired rows one keyed request deletes. Each adds at most one row and removes up to
 * this many expired ones, so expired rows cannot pile up while keys are in use, and no request
 * pays for more than one bounded, index-ordered delete.
 */
export const SWEEP_LIMIT = 100;

/** A successful response, as the handler returned it. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A response as it is written: its headers and body as JSON text, and their size. */
export interface EncodedResponse {
  readonly status: number;
  readonly headers: string;
  /** The JSON text as produced, not jsonb (which reorders keys): a replay answers with the same bytes. */
  readonly body: string | null;
  /** UTF-8 bytes of the headers and body: what the record costs beyond its fixed columns. */
  readonly bytes: number;
}

export function encodeResponse({ status, headers, body }: StoredResponse): EncodedResponse {
  const headersText = JSON.stringify(headers);
  const bodyText = body === undefined ? null : JSON.stringify(body);
  const bytes = Buffer.byteLength(headersText) + (bodyText === null ? 0 : Buffer.byteLength(bodyText));
  return { status, headers: headersText, body: bodyText, bytes };
}

/** A key's record: the request it was used for, and that request's answer. */
export interface StoredKey {
  readonly fingerprint: string;
  readonly response: StoredResponse;
}

// A key's record is written in the same transaction as the request's own writes, so it exists
// exactly when they committed: there is no "in progress" row to take over. While the request runs
// it holds a transaction-scoped advisory lock on the key; the lock ends with the transaction
// however it ends (commit, rollback, a lost connection, a killed process), and needs no session
// state, so it works through a transaction-mode pooler.

/**
 * The key's lock for the rest of the transaction, taken without waiting: false while another
 * request with the key (or, rarely, one whose key hashes alike: a spurious "in progress") runs.
 */
export async function tryLockKey(trx: Knex.Transaction, userId: string, key: string): Promise<boolean> {
  const { rows } = await trx.raw<{ rows: { locked: boolean }[] }>(
    'select pg_try_advisory_xact_lock(?::bigint) as locked',
    [lockId(userId, key)],
  );
  return rows[0]?.locked === true;
}

/**
 * The user's keys lock for the rest of the transaction, waited for: one request of the user at a
 * time counts their live keys and adds one, so that concurrent requests cannot all find room for
 * the last key. Taken only just before the record is written, so it is held for the commit only.
 */
export async function lockUserKeys(trx: Knex.Transaction, userId: string): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(?::bigint)', [lockId(userId)]);
}

/**
 * An advisory lock's 64-bit id: the first 8 bytes of a SHA-256 of its parts, unambiguously joined
 * (a user's keys lock, `[userId]`, is never a key's lock, `[userId, key]`).
 */
export function lockId(...parts: string[]): string {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest();
  return digest.readBigInt64BE(0).toString();
}

/** The query liveKeys runs (the migration test EXPLAINs it). */
export function liveKeysQuery(
  db: Knex,
  userId: string,
): Knex.Raw<{ rows: { count: number; expires_in: number | null }[] }> {
  return db.raw(
    `select count(*)::integer as count, ceil(extract(epoch from min(expires_at) - now()))::integer as expires_in
       from idempotency_keys where user_id = ? and expires_at > now()`,
    [userId],
  );
}

/** The user's live keys (expired ones do not count): how many, and the seconds until the oldest expires. */
export async function liveKeys(db: Knex, userId: string): Promise<{ count: number; oldestExpiresInSeconds: number }> {
  const [row] = (await liveKeysQuery(db, userId)).rows;
  return { count: row?.count ?? 0, oldestExpiresInSeconds: Math.max(1, row?.expires_in ?? 0) };
}

/** The key's record, unless it has expired (an expired key is new: any request may use it). */
export async function findKey(db: Knex, userId: string, key: string): Promise<StoredKey | undefined> {
  const row = await db('idempotency_keys')
    .where({ user_id: userId, key })
    .andWhere('expires_at', '>', db.fn.now())
    .first<StoredRow | undefined>('fingerprint', 'response_status', 'response_headers', 'response_body');
  if (row === undefined) return undefined;
  const body = row.response_body === null ? undefined : (JSON.parse(row.response_body) as unknown);
  return {
    fingerprint: row.fingerprint,
    response: { status: row.response_status, headers: row.response_headers, body },
  };
}

/**
 * Records the key with the request's fingerprint and answer, for the retention period; replaces an
 * expired record of the key that the sweep has not deleted yet. The caller holds the key's lock and
 * found no live record, so there is nothing else to replace.
 */
export async function saveKey(
  db: Knex,
  userId: string,
  key: string,
  fingerprint: string,
  response: EncodedResponse,
): Promise<void> {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `insert into idempotency_keys as stored
       (user_id, key, fingerprint, response_status, response_headers, response_body, expires_at)
     values (?, ?, ?, ?, ?::jsonb, ?, now() + ?::integer * interval '1 hour')
     on conflict (user_id, key) do update
       set fingerprint = excluded.fingerprint, response_status = excluded.response_status,
           response_headers = excluded.response_headers, response_body = excluded.response_body,
           expires_at = excluded.expires_at
       where stored.expires_at <= now()
     returning 1`,
    [userId, key, fingerprint, response.status, response.headers, response.body, RETENTION_HOURS],
  );
  if (rows.length !== 1) throw new Error('idempotency key: a live record appeared while its lock was held');
}

/**
 * Deletes a bounded batch of expired rows (of any user), oldest first; rows another sweep holds
 * are skipped, not waited for. Run on its own, before the request's transaction, so that its row
 * locks last one statement, not a request.
 */
export async function sweepExpiredKeys(db: Knex): Promise<void> {
  await db.raw(
    `delete from idempotency_keys where (user_id, key) in (
       select user_id, key from idempotency_keys where expires_at <= now()
       order by expires_at limit ? for update skip locked)`,
    [SWEEP_LIMIT],
  );
}

interface StoredRow {
  fingerprint: string;
  response_status: number;
  response_headers: Record<string, string>;
  response_body: string | null;
}
