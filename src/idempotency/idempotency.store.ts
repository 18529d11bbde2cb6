import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

/** How long a key and its response are kept, as the spec promises clients. */
export const RETENTION_HOURS = 24;

/**
 * The most expired rows one claim deletes. Each claim adds at most one row and removes up to this
 * many expired ones, so expired rows cannot pile up while keys are in use, and no claim pays for
 * more than one bounded, index-ordered delete.
 */
export const SWEEP_LIMIT = 100;

/** A successful response, as the handler returned it. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** What a claim on a key comes to. */
export type Claim =
  /** The key is this request's: run it, then complete or release the claim with this attempt. */
  | { readonly outcome: 'claimed'; readonly attempt: string }
  /** The same request already succeeded: answer with its response. */
  | { readonly outcome: 'replay'; readonly response: StoredResponse }
  /** The key was used for a different request. */
  | { readonly outcome: 'reused' }
  /** The same request is still running (or was abandoned less than the takeover bound ago). */
  | { readonly outcome: 'in_progress' };

export interface IdempotencyStore {
  claim(userId: string, key: string, fingerprint: string): Promise<Claim>;
  /** Stores the response of a claimed attempt; false if the attempt no longer owns the key (it was taken over). */
  complete(userId: string, key: string, attempt: string, response: StoredResponse): Promise<boolean>;
  /** Frees the key of an attempt that failed, so that a retry runs again; a taken-over claim is left to its new owner. */
  release(userId: string, key: string, attempt: string): Promise<void>;
}

export interface IdempotencyStoreOptions {
  /** An in-progress claim older than this is abandoned: the same request may take the key over. */
  readonly takeoverAfterMs: number;
}

/**
 * Idempotency keys in PostgreSQL, so that every server process sees the same ones. Each step is
 * one atomic statement on the row (no transaction spanning statements, no advisory or session
 * lock, no named prepared statement), so it works through a transaction-mode pooler, and times
 * come from the database's clock, the one every process shares.
 */
export function createIdempotencyStore(db: Knex, { takeoverAfterMs }: IdempotencyStoreOptions): IdempotencyStore {
  const rowOf = (userId: string, key: string) => db('idempotency_keys').where({ user_id: userId, key });

  /**
   * Inserts the claim, or takes over the existing row when it has expired (any request may reuse
   * the key) or is an abandoned claim of the same request. Concurrent claims of one key
   * serialise on the row: exactly one of them gets it.
   */
  const tryClaim = async (userId: string, key: string, fingerprint: string, attempt: string): Promise<boolean> => {
    const result = await db.raw<{ rows: unknown[] }>(
      `insert into idempotency_keys as stored (user_id, key, fingerprint, attempt, claimed_at, expires_at)
       values (?, ?, ?, ?, now(), now() + ?::integer * interval '1 hour')
       on conflict (user_id, key) do update
         set fingerprint = excluded.fingerprint, attempt = excluded.attempt, claimed_at = excluded.claimed_at,
             expires_at = excluded.expires_at, response_status = null, response_headers = null, response_body = null
         where stored.expires_at <= now()
            or (stored.response_status is null
                and stored.fingerprint = excluded.fingerprint
                and stored.claimed_at <= now() - ?::integer * interval '1 millisecond')
       returning attempt`,
      [userId, key, fingerprint, attempt, RETENTION_HOURS, takeoverAfterMs],
    );
    return result.rows.length === 1;
  };

  /**
   * Deletes a bounded batch of expired rows (of any user); rows another sweep holds are skipped, not
   * waited for. It runs before the claim, so that a failing sweep never leaves a claim behind.
   */
  const sweep = async () => {
    await db.raw(
      `delete from idempotency_keys where (user_id, key) in (
         select user_id, key from idempotency_keys where expires_at <= now()
         order by expires_at limit ? for update skip locked)`,
      [SWEEP_LIMIT],
    );
  };

  return {
    async claim(userId, key, fingerprint) {
      await sweep();
      const attempt = randomUUID();
      // A row that vanishes between the two statements was released by its failed attempt: claim again.
      for (let round = 0; round < 3; round += 1) {
        if (await tryClaim(userId, key, fingerprint, attempt)) return { outcome: 'claimed', attempt };
        const existing = await rowOf(userId, key).first<StoredRow | undefined>(
          'fingerprint',
          'response_status',
          'response_headers',
          'response_body',
        );
        if (existing === undefined) continue;
        if (existing.fingerprint !== fingerprint) return { outcome: 'reused' };
        if (existing.response_status === null) return { outcome: 'in_progress' };
        const body = existing.response_body === null ? undefined : (JSON.parse(existing.response_body) as unknown);
        return {
          outcome: 'replay',
          response: { status: existing.response_status, headers: existing.response_headers ?? {}, body },
        };
      }
      // Claimed and released over and over by others: the key is as busy as a running request.
      return { outcome: 'in_progress' };
    },

    async complete(userId, key, attempt, response) {
      const updated = await rowOf(userId, key)
        .andWhere({ attempt })
        .whereNull('response_status')
        .update({
          response_status: response.status,
          response_headers: JSON.stringify(response.headers),
          response_body: response.body === undefined ? null : JSON.stringify(response.body),
          // Kept for the retention period from the response, not from the claim.
          expires_at: db.raw(`now() + ?::integer * interval '1 hour'`, [RETENTION_HOURS]),
        });
      return updated === 1;
    },

    async release(userId, key, attempt) {
      await rowOf(userId, key).andWhere({ attempt }).whereNull('response_status').delete();
    },
  };
}

interface StoredRow {
  fingerprint: string;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}
