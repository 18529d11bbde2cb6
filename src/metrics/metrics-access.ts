import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from '../http/problem.js';

/**
 * The `metricsToken` security scheme: with a METRICS_TOKEN configured, GET /metrics needs it as
 * a Bearer token. Mounted after the OpenAPI validator (a malformed request is a 400 first, as on
 * every operation) and apart from the user authentication, which a scraper has no token for.
 * Without a token configured the metrics are open (a private network is then their protection).
 */
export function requireMetricsToken(token: string | undefined): RequestHandler {
  if (token === undefined) return (_req, _res, next) => next();
  const expected = digest(token);
  return (req, _res, next) => {
    const sent = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '')?.[1];
    // Compared as digests: equal lengths for timingSafeEqual, and no timing hint about the token's length.
    if (sent !== undefined && timingSafeEqual(digest(sent), expected)) return next();
    next(
      new HttpProblem(401, 'The metrics need the Bearer token the server is configured with.', {
        headers: { 'WWW-Authenticate': sent === undefined ? 'Bearer' : 'Bearer error="invalid_token"' },
      }),
    );
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
