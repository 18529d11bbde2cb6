import { setTimeout as sleep } from 'node:timers/promises';
import { sqlState } from './availability.js';

/**
 * SQLSTATEs of a transaction the server rolled back for how it met others (a deadlock it broke,
 * a serialization failure), not for what it does: run again, it meets them no more (the other
 * has gone on by then) and succeeds. A deadlock near a quota limit is one: two transactions that
 * each write several times may each keep a stripe that the other then needs
 * (db/migrations/20261213000000_user_usage.ts).
 */
const RETRYABLE_STATES = new Set(['40P01', '40001']);

/** The first pause before a retry, at most: the survivor commits within milliseconds. */
const BACKOFF_MS = 20;

export interface TransactionRetries {
  /** Attempts in all, the first included: one that fails then fails as it did (a 503). */
  readonly attempts: number;
  /** Told of each retry (a metric, a log line): the SQLSTATE that caused it, and the attempt about to run (2, 3…). */
  readonly onRetry?: (retry: { readonly state: string; readonly attempt: number }) => void;
}

export const DEFAULT_TRANSACTION_RETRIES: TransactionRetries = { attempts: 3 };

/**
 * Runs `attempt` (a whole transaction, each call a new one), again when it failed for a
 * retryable SQLSTATE, up to `retries.attempts` times, after a short random pause that grows with
 * each retry, so that transactions rolled back together do not meet again at once. The caller
 * vouches that a failed attempt left nothing behind outside the database. Costs nothing more
 * than a try on the first attempt.
 */
export async function retryingConflicts<T>(retries: TransactionRetries, attempt: () => Promise<T>): Promise<T> {
  for (let made = 1; ; made++) {
    try {
      return await attempt();
    } catch (error) {
      const state = sqlState(error);
      if (state === undefined || !RETRYABLE_STATES.has(state) || made >= retries.attempts) throw error;
      retries.onRetry?.({ state, attempt: made + 1 });
      await sleep(Math.random() * BACKOFF_MS * 2 ** (made - 1));
    }
  }
}
