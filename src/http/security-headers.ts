import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Helmet's headers, set for an API rather than for web pages: a Content-Security-Policy that
 * allows nothing (a JSON or problem document has nothing to load or run, and must never be framed),
 * and framing refused outright. The one HTML page, /docs, replaces the policy with its own
 * (src/docs/docs.handlers.ts). Helmet's other defaults stand: nosniff, no referrer, HSTS,
 * same-origin resource and opener policies (CORS-mode requests from allowed origins are not
 * affected by the resource policy).
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    frameguard: { action: 'deny' },
  });
}

/** Every /api answer, errors included, is private to the caller and of the moment: never stored by a cache. */
export function noStore(): RequestHandler {
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
  return noStore;
}
