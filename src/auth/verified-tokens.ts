import type { JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';

/** Enough for the tokens of this many active clients per process (about 1 KB each). */
const MAX_TOKENS = 5_000;

/** A token's claims, and how long the key that verified them stays trusted (jwks-key-cache.ts). */
export interface VerifiedToken {
  readonly claims: JWTPayload;
  readonly trustedForMs: number;
}

/**
 * Remembers tokens that verified, by their exact text (signature included, so no other token can
 * match), until they expire or the key that verified them is no longer trusted without asking the
 * JWKS again, whichever comes first: a key the JWKS withdraws then stops working within
 * JWT_JWKS_CACHE_SECONDS, remembered tokens included. A client sends the same token with every
 * request until it renews it, and checking the signature and claims again each time was the
 * largest single cost of an authenticated request (make bench profile). Refused tokens are not
 * remembered: each is checked, and refused, again; nor are tokens without `exp` (claims.ts refuses them).
 */
export function rememberVerifiedTokens(
  verify: (token: string) => Promise<VerifiedToken>,
  clockSkewSeconds: number,
): (token: string) => Promise<JWTPayload> {
  const verified = new LRUCache<string, JWTPayload>({ max: MAX_TOKENS });
  return async (token) => {
    const known = verified.get(token);
    if (known) return known;
    const { claims, trustedForMs } = await verify(token);
    if (claims.exp === undefined) return claims;
    // Expires with the token: exp plus the clock skew the verifier allows.
    const validForMs = (claims.exp + clockSkewSeconds) * 1000 - Date.now();
    const ttl = Math.floor(Math.min(validForMs, trustedForMs));
    if (ttl > 0) verified.set(token, claims, { ttl });
    return claims;
  };
}
