import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { DomainError } from '../contract/domain-error.js';
import { requestFingerprint, type FingerprintedRequest } from './fingerprint.js';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './key.js';
import { createIdempotencyStore, type IdempotencyStore } from './idempotency.store.js';

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
 * receive it): the first request runs and its success is stored; a retry of the same request gets
 * that response again without running; the key with a different request is a 422, and while the
 * first still runs a 409. A request without a key just runs.
 */
export type IdempotencyGuard = (request: GuardedRequest, run: () => Promise<HandlerResult>) => Promise<HandlerResult>;

/**
 * How old an unfinished claim must be before the same request may take its key over: its request
 * is then taken to have been abandoned (its process died between claiming and answering).
 * Taking over a claim whose request is still running would let the write happen twice, so the
 * bound is set by how long a request can run after it claimed its key, not by REQUEST_TIMEOUT_MS,
 * which only bounds receiving the request (all received before the claim). After the claim come a
 * few statements (a bulk request: some per action, up to 100 actions), each ended by the statement
 * timeout (1.5 s by default, 60 s at most); they take milliseconds in practice. Five minutes is
 * far beyond that, and short enough that a client retrying after a crash gets through soon (409
 * until then, which tells it to retry later).
 */
export const ABANDONED_AFTER_MS = 5 * 60_000;

export function createIdempotencyGuard(db: Knex): IdempotencyGuard {
  return idempotencyGuard(createIdempotencyStore(db, { takeoverAfterMs: ABANDONED_AFTER_MS }));
}

export function idempotencyGuard(store: IdempotencyStore): IdempotencyGuard {
  return async (request, run) => {
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (header === undefined) return run();
    if (request.user === undefined)
      throw new Error(`${request.operationId} takes an Idempotency-Key but is public: keys belong to users`);
    const userId = request.user.id;
    const key = parseIdempotencyKey(header);
    const { log } = request;

    const claim = await store.claim(userId, key, requestFingerprint(request));
    switch (claim.outcome) {
      case 'replay':
        log.info({ idempotency: 'replayed' }, 'idempotency key: replaying the stored response');
        return { ...claim.response, headers: { ...claim.response.headers } };
      case 'reused':
        throw new DomainError('unprocessable', 'This Idempotency-Key was already used for a different request.');
      case 'in_progress':
        throw new DomainError('conflict', 'A request with this Idempotency-Key is still being processed; retry later.');
    }

    let result: HandlerResult;
    try {
      result = await run();
    } catch (error) {
      // A failed request wrote nothing: free the key so that a retry runs again.
      await store.release(userId, key, claim.attempt).catch((releaseError: unknown) => {
        log.warn(
          { err: releaseError },
          'idempotency key: could not release after a failure; it frees itself once the claim counts as abandoned',
        );
      });
      throw error;
    }
    // Only successes are kept (a 304, say, is an answer about the moment, not a write's outcome).
    if (result.status < 200 || result.status > 299) {
      await store.release(userId, key, claim.attempt);
      return result;
    }
    try {
      if (
        !(await store.complete(userId, key, claim.attempt, {
          status: result.status,
          headers: result.headers ?? {},
          body: result.body,
        }))
      ) {
        log.warn('idempotency key: the claim was taken over before this request finished; its response is not stored');
      }
    } catch (error) {
      // The write is done: the client gets its answer. A retry sees the claim in progress (409) until it counts as abandoned.
      log.error({ err: error }, 'idempotency key: could not store the response');
    }
    return result;
  };
}
