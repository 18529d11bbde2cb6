import type { JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';

/** Enough for the tokens of this many active clients per process (about 1 KB each). */
const MAX_TOKENS = 5_000;
/**
 * How long a verified token is taken on trust: a key the JWKS withdraws stops working within this
 * time (the key cache itself holds keys for JWT_JWKS_CACHE_SECONDS).
 */
const TRUST_FOR_MS = 60_000;

/**
 * Remembers tokens that verified, by their exact text (signature included, so no other token can
 * match), until they expire or TRUST_FOR_MS has passed. A client sends the same token with every
 * request until it renews it, and checking the signature and claims again each time was the
 * largest single cost of an authenticated request (make bench profile). Refused tokens are not
 * remembered: each is checked, and refused, again.
 */
type Verify = (token: string) => Promise<JWTPayload>;

export function rememberVerifiedTokens(verify: Verify, clockSkewSeconds: number): Verify {
  const verified = new LRUCache<string, JWTPayload>({ max: MAX_TOKENS });
  return async (token) => {
    const known = verified.get(token);
    if (known) return known;
    const claims = await verify(token);
    // Expires with the token: exp plus the clock skew the verifier allows.
    const validForMs = claims.exp === undefined ? TRUST_FOR_MS : (claims.exp + clockSkewSeconds) * 1000 - Date.now();
    if (validForMs > 0) verified.set(token, claims, { ttl: Math.min(validForMs, TRUST_FOR_MS) });
    return claims;
  };
}
