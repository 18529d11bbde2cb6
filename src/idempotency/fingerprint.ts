import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import { IDEMPOTENCY_KEY_HEADER } from './key.js';

/** What makes two requests "the same request" for an Idempotency-Key, as the handler receives them. */
export interface FingerprintedRequest {
  readonly operationId: string;
  /** Path parameters, as the validator coerced them (`task_id` is a number). */
  readonly path: unknown;
  readonly query: unknown;
  /** The operation's declared header parameters; the key itself is left out. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body (undefined when there is none, which differs from `{}`: an empty complete toggles). */
  readonly body: unknown;
}

/**
 * SHA-256 (hex) over a canonical form of the request: the same operation, path, query, declared
 * headers and body give the same fingerprint whatever order the client wrote the JSON keys in
 * or the headers were sent in. Parsed values are hashed, not bytes, so that whitespace and key
 * order in the body do not turn a retry into a "different request".
 */
export function requestFingerprint({ operationId, path, query, headers, body }: FingerprintedRequest): string {
  const { [IDEMPOTENCY_KEY_HEADER]: _key, ...otherHeaders } = headers;
  const canonical = canonicalJson([operationId, path ?? null, query ?? null, otherHeaders, body ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * JSON with object keys sorted (by code unit) at every level; properties whose value is undefined
 * are left out, and undefined array items are null, as JSON.stringify does.
 */
export const canonicalJson = configure({ deterministic: true }) as (value: unknown) => string;
