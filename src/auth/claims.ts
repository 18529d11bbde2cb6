import type { AuthenticatedUser } from './authenticated-user.js';

/** The longest user id we accept; matches the `user_id` path parameter and the users table. */
const MAX_SUBJECT_LENGTH = 255;

/**
 * The user a verified token speaks for, or `undefined` when its claims are unusable:
 * `sub` must be a non-empty string and `exp` must be present (tokens that never expire are refused).
 */
export function userFromClaims(claims: Record<string, unknown>): AuthenticatedUser | undefined {
  const { sub, exp } = claims;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) return undefined;
  if (typeof exp !== 'number') return undefined;
  return { id: sub, email: optionalText(claims.email), name: optionalText(claims.name) };
}

function optionalText(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
