import type { AuthenticatedUser } from '../contract/authenticated-user.js';

/** The longest user id we accept; matches the `user_id` path parameter and the users table. */
const MAX_SUBJECT_LENGTH = 255;
/** The longest `email` and `name` claims kept (the spec's limits); longer ones are dropped. */
const MAX_EMAIL_LENGTH = 320;
const MAX_NAME_LENGTH = 255;
/** Ids that cannot be a URL path segment: clients resolve them away, even percent-encoded. */
const UNADDRESSABLE = new Set(['.', '..']);

/**
 * The user a verified token speaks for, or `undefined` when its claims are unusable: `sub` must be
 * 1-255 characters of storable text and `exp` must be present (tokens that never expire are refused).
 */
export function userFromClaims(claims: Record<string, unknown>): AuthenticatedUser | undefined {
  const { sub, exp } = claims;
  if (!isStorableText(sub)) return undefined;
  const length = [...sub].length; // code points, as PostgreSQL and the path parameter count them
  if (length === 0 || length > MAX_SUBJECT_LENGTH || UNADDRESSABLE.has(sub)) return undefined;
  if (typeof exp !== 'number') return undefined;
  return {
    id: sub,
    email: optionalText(claims.email, MAX_EMAIL_LENGTH),
    name: optionalText(claims.name, MAX_NAME_LENGTH),
  };
}

/**
 * Text stored and read back exactly as given: no NUL (PostgreSQL refuses it), no lone UTF-16
 * surrogate (it would become U+FFFD), no byte order mark (the embedded database drops a leading one
 * when reading).
 */
function isStorableText(value: unknown): value is string {
  return typeof value === 'string' && value.isWellFormed() && !value.includes('\u0000') && !value.includes('\uFEFF');
}

function optionalText(value: unknown, maxLength: number): string | null {
  return isStorableText(value) && value.length > 0 && [...value].length <= maxLength ? value : null;
}
