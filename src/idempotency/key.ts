/** The header as the spec names it among an operation's header parameters. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * The key a header value names: `"abc"` (the draft's structured-field string) and `abc` are the
 * same key. The OpenAPI validator has already held the value to the spec's pattern, under which a
 * bare key has no `"` and a quoted one no escapes, so removing the quotes is all there is to do.
 */
export function parseIdempotencyKey(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
