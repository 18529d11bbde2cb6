import { createLocalJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { fetchJwks, type JwksFetchError } from './jwks-fetch.js';

/** A verification key, and how long a token it verified may be taken as verified without asking again. */
export interface TrustedKey {
  readonly key: Awaited<ReturnType<JWTVerifyGetKey>>;
  /** Milliseconds from now: until the key set it came from is due to be fetched again (Infinity: never). */
  readonly trustedForMs: number;
}

/** jose's key resolver, telling also how long the key it gives stays trusted. */
export type TrustedKeyResolver = (...args: Parameters<JWTVerifyGetKey>) => Promise<TrustedKey>;

export interface JwksKeyCacheOptions {
  readonly url: string;
  /** How long fetched keys are used before they are fetched again. */
  readonly cacheSeconds: number;
  /** The least time between the starts of two fetches, whether they succeed or fail. */
  readonly cooldownSeconds: number;
  readonly timeoutMs: number;
  /** Told why a fetch failed (our words); the keys already held stay in use. */
  readonly onFetchFailed: (reason: string) => void;
}

/**
 * The public keys of a JWKS endpoint, as a key resolver for `jwtVerify` (through `TrustedKey.key`).
 *
 * jose's `createRemoteJWKSet` is not used because it drops its keys when a refresh after their
 * max age fails, and it does not rate-limit failed fetches: an auth server that is down would
 * take every token down with it, and every request would wait for a fetch. Here:
 * - keys are fetched again once they are `cacheSeconds` old, and a token naming an unknown `kid`
 *   asks for a fetch too (a rotated key);
 * - a fetch starts at most once per `cooldownSeconds`, so a flood of unknown kids or an endpoint
 *   that is down costs the auth server one request per cooldown;
 * - concurrent callers share the fetch under way;
 * - when a fetch fails, the keys held (however old) stay in use until a fetch succeeds.
 * Each key comes with the time left until the set is due to be fetched again, which bounds how long
 * a token it verified is remembered (verified-tokens.ts): a withdrawn key then stops working within
 * `cacheSeconds` (the cooldown is at most that long, config.ts).
 */
export function createJwksKeyCache(options: JwksKeyCacheOptions): TrustedKeyResolver {
  const cacheMs = options.cacheSeconds * 1000;
  const cooldownMs = options.cooldownSeconds * 1000;
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = -Infinity; // of the keys held
  let attemptedAt = -Infinity; // of the last fetch started
  let inFlight: Promise<void> | undefined;

  // Monotonic: a change of the wall clock neither expires the keys nor lifts the cooldown.
  const now = () => performance.now();

  /** Fetches the keys again, unless one fetch is under way (then it is shared) or the cooldown forbids. */
  function refresh(): Promise<void> {
    if (inFlight) return inFlight;
    if (now() - attemptedAt < cooldownMs) return Promise.resolve();
    attemptedAt = now();
    const fetching = fetchJwks(options.url, options.timeoutMs).then(
      (jwks) => {
        keys = createLocalJWKSet(jwks);
        fetchedAt = now();
      },
      // fetchJwks fails with JwksFetchError only.
      (error: JwksFetchError) => options.onFetchFailed(error.message),
    );
    inFlight = fetching.finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  /**
   * Until the next fetch that may replace the keys held: when they are `cacheSeconds` old, or, after
   * a failed fetch that left old keys in use, when the cooldown lets the next fetch start.
   */
  const trustedForMs = () => Math.max(fetchedAt + cacheMs, attemptedAt + cooldownMs) - now();

  async function keyFromHeldKeys(...args: Parameters<JWTVerifyGetKey>): Promise<TrustedKey> {
    // No keys held yet (the endpoint has not answered once): no key can match.
    if (!keys) throw new errors.JWKSNoMatchingKey();
    try {
      return { key: await keys(...args), trustedForMs: trustedForMs() };
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      // A published key that cannot be imported (bad key material): the token cannot be checked.
      throw new errors.JWKInvalid('unusable key in the JSON Web Key Set');
    }
  }

  return async (...args) => {
    if (now() - fetchedAt >= cacheMs) await refresh();
    try {
      return await keyFromHeldKeys(...args);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      await refresh(); // the token may be signed with a key published since the last fetch
      return keyFromHeldKeys(...args);
    }
  };
}
