import { decodeOpaque, encodeOpaque } from '../contract/opaque-json.js';
import { createHash } from 'node:crypto';
import { DomainError } from '../contract/domain-error.js';

// A change token is base64url JSON: { v: 1, u: the user's hash, s: the change number up to which
// the reader has seen the user's changes }, and, in a token that continues a snapshot, c: the
// user's clock (their last number) when the snapshot was read (the copy holds nothing deleted
// before it, so history pruned up to c cannot matter to it; see changes.service.ts). It carries a
// place, never authority: it is checked against the caller, and every read is scoped by the
// caller's id.

const VERSION = 1;
const USER_HASH_LENGTH = 22; // base64url characters: 132 bits of SHA-256
const KEYS = ['s', 'u', 'v'];
const SNAPSHOT_KEYS = ['c', ...KEYS];

export interface ChangeToken {
  /** Every change numbered up to this one has been read. */
  readonly seq: number;
  /** In a token that continues a snapshot: the clock when the snapshot was read (above `seq`). */
  readonly snapshotClock?: number;
}

/** The `since` this API did not give, or gave another user, or that is ahead of the user's clock. */
export class InvalidChangeTokenError extends DomainError {
  override name = 'InvalidChangeTokenError';

  constructor(readonly reason: string) {
    super('invalid', `The since token ${reason}.`, {
      issues: [{ location: 'query', pointer: '/since', message: reason }],
    });
  }
}

export function encodeChangeToken(userId: string, { seq, snapshotClock }: ChangeToken): string {
  const payload = {
    v: VERSION,
    u: userHash(userId),
    s: seq,
    ...(snapshotClock !== undefined && snapshotClock > seq ? { c: snapshotClock } : {}),
  };
  return encodeOpaque(payload);
}

/** The place a token this API gave this user holds; InvalidChangeTokenError for any other text. */
export function decodeChangeToken(userId: string, token: string): ChangeToken {
  const payload = decodeOpaque(token);
  if (payload === undefined || !isPayload(payload))
    throw new InvalidChangeTokenError('is not a token listChanges gave');
  if (payload.u !== userHash(userId)) throw new InvalidChangeTokenError("is another user's");
  return payload.c === undefined ? { seq: payload.s } : { seq: payload.s, snapshotClock: payload.c };
}

function userHash(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, USER_HASH_LENGTH);
}

/** Exactly the shape `encodeChangeToken` writes: nothing else reaches a query. */
function isPayload(
  payload: Record<string, unknown>,
): payload is { v: number; u: string; s: number; c?: number } & Record<string, unknown> {
  const { v, u, s, c } = payload;
  const keys = Object.keys(payload).sort().join();
  if (keys !== (c === undefined ? KEYS : SNAPSHOT_KEYS).join()) return false;
  return (
    v === VERSION &&
    typeof u === 'string' &&
    u.length === USER_HASH_LENGTH &&
    isSeq(s) &&
    (c === undefined || (isSeq(c) && c > s))
  );
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
