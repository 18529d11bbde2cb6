import type { JSONWebKeySet } from 'jose';

/** A fetch of the JWKS that failed; its message is ours (fit for a log line), never a library's. */
export class JwksFetchError extends Error {
  override name = 'JwksFetchError';
}

/**
 * The key set published at `url`, fetched within `timeoutMs` (connecting, waiting and reading the
 * body all count). Redirects are refused: the URL must name the keys themselves, so that a
 * redirect cannot send the service to keys it was not configured to trust.
 */
export async function fetchJwks(url: string, timeoutMs: number): Promise<JSONWebKeySet> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      signal,
      redirect: 'manual',
      headers: { accept: 'application/jwk-set+json, application/json' },
    });
    if (response.status !== 200) throw new JwksFetchError(`answered HTTP ${response.status} instead of 200`);
    const body: unknown = JSON.parse(await response.text());
    if (!isKeySet(body)) throw new JwksFetchError('did not answer with a key set (JWKS)');
    return body;
  } catch (error) {
    throw asFetchError(error, signal, timeoutMs);
  }
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  if (typeof value !== 'object' || value === null || !('keys' in value)) return false;
  const { keys } = value;
  return Array.isArray(keys) && keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key));
}

function asFetchError(error: unknown, signal: AbortSignal, timeoutMs: number): JwksFetchError {
  if (error instanceof JwksFetchError) return error;
  if (signal.aborted) return new JwksFetchError(`did not answer within ${timeoutMs} ms`);
  if (error instanceof SyntaxError) return new JwksFetchError('did not answer with JSON');
  // The system's error code (ECONNREFUSED, ENOTFOUND...) says why; the library's message would not add to it.
  const code = systemErrorCode(error);
  return new JwksFetchError(code ? `could not be reached (${code})` : 'could not be reached');
}

function systemErrorCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? cause.code : undefined;
  return typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? code : undefined;
}
