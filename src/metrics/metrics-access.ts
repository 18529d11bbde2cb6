import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../contract/domain-error.js';

/** Checks the Authorization header of a scrape; throws the refusal. */
export type MetricsAccessCheck = (authorization: string | undefined) => void;

/**
 * The `metricsToken` security scheme: with a METRICS_TOKEN configured, GET /metrics needs it as
 * a Bearer token; it is checked apart from the user authentication, which a scraper has no token
 * for. Without a token configured the metrics are open (a private network is then their protection).
 */
export function metricsAccessCheck(token: string | undefined): MetricsAccessCheck {
  if (token === undefined) return () => undefined;
  const expected = digest(token);
  return (authorization) => {
    const sent = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
    // Compared as digests: equal lengths for timingSafeEqual, and no timing hint about the token's length.
    if (sent !== undefined && timingSafeEqual(digest(sent), expected)) return;
    throw new DomainError('unauthenticated', 'The metrics need the Bearer token the server is configured with.', {
      challenge: sent === undefined ? 'Bearer' : 'Bearer error="invalid_token"',
    });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
