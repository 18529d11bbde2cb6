import type { components } from '../../generated/api.js';
import { ClientAnswer } from './client-answer.js';

/** One problem with the request, where it is: the `errors` items of a problem document. */
export type Issue = components['schemas']['ValidationIssue'];

/**
 * What went wrong, in the words of the rules rather than of HTTP: the adapter's one table
 * (src/http/error-mapping.ts) gives each kind its status.
 */
export type DomainErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'precondition_failed'
  | 'unprocessable'
  | 'precondition_required'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'too_large'
  | 'unavailable';

export interface DomainErrorDetails {
  /** Each problem at its place in the request, when the error is about its content. */
  readonly issues?: readonly Issue[];
  /** When a retry may succeed (a busy key, an unavailable database). */
  readonly retryAfterSeconds?: number;
  /** How to authenticate (an `unauthenticated` error's RFC 6750 challenge). */
  readonly challenge?: string;
  /** The quota a `quota_exceeded` error names. */
  readonly quota?: QuotaUsage;
}

/** A per-user quota as a refusal reports it: its name, its limit and what the user holds now. */
export type QuotaUsage = components['schemas']['QuotaUsage'];

/**
 * An error meant for the client, thrown by any rule anywhere. `message` is the problem's detail:
 * it must never carry secrets or internals.
 */
export class DomainError extends ClientAnswer {
  override name = 'DomainError';

  constructor(
    readonly kind: DomainErrorKind,
    detail: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(detail);
  }
}

/** The request is not valid: every problem listed. */
export function invalidRequest(issues: readonly Issue[]): DomainError {
  return new DomainError('invalid', 'The request is not valid.', { issues });
}

/** Seconds a client should wait before retrying while a dependency is unavailable. */
const RETRY_UNAVAILABLE_AFTER_SECONDS = 5;

/** A 503 the client should retry shortly. */
export function serviceUnavailable(detail: string): DomainError {
  return new DomainError('unavailable', detail, { retryAfterSeconds: RETRY_UNAVAILABLE_AFTER_SECONDS });
}

/** The write would take the user past a quota: nothing is written. */
export function quotaExceeded(quota: QuotaUsage, retryAfterSeconds?: number): DomainError {
  return new DomainError(
    'quota_exceeded',
    `This request would exceed the ${quota.name} quota of ${quota.limit} (${quota.used} in use); nothing was written.`,
    { quota, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) },
  );
}

export function databaseUnavailable(): DomainError {
  return serviceUnavailable('The database is unavailable; try again shortly.');
}
