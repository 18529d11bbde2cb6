import { webcrypto } from 'node:crypto';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import type { AuthConfig } from '../config.js';
import { createJwksKeyCache, type TrustedKeyResolver } from './jwks-key-cache.js';
import { lifetimeRefusal, type LifetimeRefusal } from './token-lifetime.js';
import { rememberVerifiedTokens } from './verified-tokens.js';

/** Why a token was refused; each has its own words for the client (see the authenticator). */
export type TokenRefusal =
  'expired' | 'not-yet-valid' | 'not-for-this-service' | 'unknown-key' | 'ambiguous-key' | 'invalid' | LifetimeRefusal;

/** A token that does not verify; carries the reason, never the library's message. */
export class TokenRefused extends Error {
  override name = 'TokenRefused';
  constructor(readonly refusal: TokenRefusal) {
    super(`token refused: ${refusal}`);
  }
}

/** Checks a token's signature and standard claims and returns its claims, or throws `TokenRefused`. */
export type TokenVerifier = (token: string) => Promise<JWTPayload>;

/** What Better Auth's JWT plugin can sign with (EdDSA, on Ed25519, by default). */
const JWKS_ALGORITHMS = ['EdDSA', 'ES256', 'ES512', 'RS256', 'PS256'] as const;
/** What the shared secret signs with. */
const SECRET_ALGORITHM = 'HS256';

export function createTokenVerifier(auth: AuthConfig, logger: Logger): TokenVerifier {
  // Each algorithm has exactly one source of keys: HS256 the secret, the asymmetric ones the JWKS.
  // A token therefore cannot have itself checked with a public key used as an HMAC secret, and
  // an algorithm whose source is not configured is refused before any key is looked at.
  const keySources = new Map<string, TrustedKeyResolver>();
  if (auth.secret !== undefined) {
    // Imported once: given the raw bytes, jose would import a CryptoKey for every token.
    const secretKey = importSecret(auth.secret);
    // The secret cannot change while the process runs: what it verified stays verified.
    keySources.set(SECRET_ALGORITHM, async () => ({ key: await secretKey, trustedForMs: Infinity }));
  }
  if (auth.jwksUrl !== undefined) {
    const jwksUrl = auth.jwksUrl;
    const jwksKeys = createJwksKeyCache({
      url: jwksUrl,
      cacheSeconds: auth.jwksCacheSeconds,
      cooldownSeconds: auth.jwksCooldownSeconds,
      timeoutMs: auth.jwksTimeoutMs,
      onFetchFailed: (reason) =>
        logger.warn(
          { jwks_url: withoutCredentials(jwksUrl), reason },
          `JWKS refresh failed: the endpoint ${reason}; keys fetched before, if any, stay in use`,
        ),
    });
    for (const algorithm of JWKS_ALGORITHMS) keySources.set(algorithm, jwksKeys);
  }
  const algorithms = [...keySources.keys()];
  const options = {
    algorithms,
    issuer: auth.issuer,
    audience: auth.audience,
    clockTolerance: auth.clockSkewSeconds,
  };

  return rememberVerifiedTokens(async (token) => {
    let trustedForMs = 0;
    // jwtVerify refuses any `alg` outside `algorithms` before it asks for a key, so a source exists.
    const keyFor: JWTVerifyGetKey = async (header, jws) => {
      const trusted = await keySources.get(header.alg)!(header, jws);
      trustedForMs = trusted.trustedForMs;
      return trusted.key;
    };
    let claims: JWTPayload;
    try {
      claims = (await jwtVerify(token, keyFor, options)).payload;
    } catch (error) {
      // Anything else is a fault of ours, not of the token: it must surface as one.
      if (!(error instanceof errors.JOSEError)) throw error;
      throw new TokenRefused(refusalFor(error));
    }
    const refusal = lifetimeRefusal(claims, auth);
    if (refusal) throw new TokenRefused(refusal);
    return { claims, trustedForMs };
  }, auth.clockSkewSeconds);
}

function importSecret(secret: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
}

function refusalFor(error: errors.JOSEError): TokenRefusal {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' && error.reason === 'check_failed') return 'not-yet-valid';
    if (error.claim === 'iss' || error.claim === 'aud') return 'not-for-this-service';
  }
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown-key';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'ambiguous-key';
  return 'invalid';
}

/** The URL as logged: without user name, password or query, any of which may carry a secret. */
function withoutCredentials(url: string): string {
  const { origin, pathname } = new URL(url);
  return `${origin}${pathname}`;
}
