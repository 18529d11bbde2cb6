import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { DomainError, quotaExceeded } from '../contract/domain-error.js';
import { afterCommit, inRequestTransaction } from '../db/request-transaction.js';
import type { TransactionRetries } from '../db/transaction-retry.js';
import { requestFingerprint, type FingerprintedRequest } from './fingerprint.js';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './key.js';
import {
  encodeResponse,
  findKey,
  liveKeys,
  lockUserKeys,
  saveKey,
  sweepExpiredKeys,
  tryLockKey,
  type StoredResponse,
} from './idempotency.store.js';

/** A handler's result, as dispatch sends it. */
export interface HandlerResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface GuardedRequest extends FingerprintedRequest {
  /** The signed-in user, whose keys these are; operations that take a key are never public. */
  readonly user: { readonly id: string } | undefined;
  readonly log: Logger;
}

/**
 * Runs a request under its Idempotency-Key, if it has one (only operations that declare the header
 * receive it), exactly once: the first request runs and its success is stored with its writes, in
 * one transaction; a retry of the same request gets that response again without running; the key
 * with a different request is a 422, and while the first still runs a 409. What is kept is bounded:
 * an answer larger than the limit refuses its request (413, nothing written), and a new key beyond
 * the user's quota of live keys is a 409 until their oldest expires. A request without a key just runs.
 */
export type IdempotencyGuard = (request: GuardedRequest, run: () => Promise<HandlerResult>) => Promise<HandlerResult>;

/**
 * What a 409 tells the client to wait: the request holding the key runs for milliseconds in
 * practice, and at most a few statement timeouts (1.5 s each by default).
 */
export const IN_PROGRESS_RETRY_AFTER_SECONDS = 1;

/** What a guard keeps of each user (the server's settings). */
export interface IdempotencyLimits {
  /** QUOTA_IDEMPOTENCY_KEYS_PER_USER: live keys a user may hold; undefined for no bound. */
  readonly keysPerUser: number | undefined;
  /** IDEMPOTENCY_MAX_ANSWER_BYTES: the largest answer kept (headers and body); a larger one refuses its request. */
  readonly answerBytes: number;
}

/**
 * How an operation keeps its answer when the answer as sent would cost too much to keep (a bulk
 * answer repeats every task): what is stored, and the answer a replay rebuilds from it. It runs
 * in the request's transaction, as the request did.
 */
export interface StoredForm {
  compact(result: HandlerResult): StoredResponse;
  rebuild(stored: StoredResponse, userId: string): Promise<HandlerResult>;
}

/** The answer kept as it is: what most operations store. */
const AS_SENT: StoredForm = {
  compact: ({ status, headers = {}, body }) => ({ status, headers, body }),
  rebuild: async (stored) => ({ ...stored, headers: { ...stored.headers } }),
};

/**
 * The guard over `db`, the pool. The request runs inside `inRequestTransaction(db)`: every query of
 * the features (given `scopedKnex(db)`) joins it, so the key's record, the request's writes and its
 * stored answer commit together or not at all. A process killed or a database lost at any point
 * leaves nothing behind, neither a write without its record nor a key "in progress"; a commit whose
 * acknowledgement is lost is replayed to the retry. A transaction the server rolled back for a
 * deadlock runs again whole, as `retries` allows, its claim of the key included: still exactly once.
 */
export function createIdempotencyGuard(
  db: Knex,
  limits: IdempotencyLimits,
  storedForms: Readonly<Partial<Record<string, StoredForm>>> = {},
  retries?: TransactionRetries,
): IdempotencyGuard {
  /** Refuses a new key while the user holds their quota of live ones, until the oldest expires. */
  const assertRoomForKey = async (trx: Knex.Transaction, userId: string) => {
    if (limits.keysPerUser === undefined) return;
    const live = await liveKeys(trx, userId);
    if (live.count >= limits.keysPerUser)
      throw quotaExceeded(
        { name: 'idempotency_keys', limit: limits.keysPerUser, used: live.count },
        live.oldestExpiresInSeconds,
      );
  };

  return async (request, run) => {
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (header === undefined) return run();
    if (request.user === undefined)
      throw new Error(`${request.operationId} takes an Idempotency-Key but is public: keys belong to users`);
    const userId = request.user.id;
    const key = parseIdempotencyKey(header);
    const fingerprint = requestFingerprint(request);
    const form = storedForms[request.operationId] ?? AS_SENT;

    await sweepExpiredKeys(db);
    return inRequestTransaction(
      db,
      async (trx) => {
        if (!(await tryLockKey(trx, userId, key)))
          throw new DomainError(
            'conflict',
            'A request with this Idempotency-Key is still being processed; retry later.',
            {
              retryAfterSeconds: IN_PROGRESS_RETRY_AFTER_SECONDS,
            },
          );
        const stored = await findKey(trx, userId, key);
        if (stored !== undefined) {
          if (stored.fingerprint !== fingerprint)
            throw new DomainError('unprocessable', 'This Idempotency-Key was already used for a different request.');
          afterCommit(() =>
            request.log.info({ idempotency: 'replayed' }, 'idempotency key: replaying the stored response'),
          );
          return form.rebuild(stored.response, userId);
        }
        await assertRoomForKey(trx, userId); // refused before the request costs anything
        const result = await run();
        // Only successes are kept (a 304, say, is an answer about the moment, not a write's outcome);
        // a failure throws, which rolls its writes back and leaves the key free for the retry.
        if (result.status < 200 || result.status > 299) return result;
        const response = encodeResponse(form.compact(result));
        if (response.bytes > limits.answerBytes)
          throw new DomainError(
            'too_large',
            `The answer to this request (${response.bytes} bytes) is larger than the ${limits.answerBytes} bytes kept for an Idempotency-Key; nothing was written. Send it in smaller parts, or without a key.`,
          );
        if (limits.keysPerUser !== undefined) {
          // Counted again under the user's lock: concurrent requests may all have found the last room.
          await lockUserKeys(trx, userId);
          await assertRoomForKey(trx, userId);
        }
        await saveKey(trx, userId, key, fingerprint, response);
        return result;
      },
      retries,
    );
  };
}
