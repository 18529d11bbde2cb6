import type { RequestHandler } from 'express';
import cors from 'cors';

/** What browsers may send: the headers the API reads. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'If-None-Match',
  'Idempotency-Key',
  'Last-Event-ID',
  'X-Request-Id',
];
/** What browser code may read besides the CORS-safelisted headers. */
const EXPOSED_HEADERS = ['ETag', 'Location', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-Id'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** How long a browser may reuse a preflight's answer (browsers cap it: Chromium at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the browser apps at CORS_ORIGINS, and no one else: another origin (or a request without
 * one) gets no CORS header at all, and its preflight is left to the routes (405, OPTIONS is no
 * operation). No credentials mode: the API reads Bearer tokens, never cookies.
 */
export function corsPolicy(origins: readonly string[]): RequestHandler {
  if (origins.length === 0) {
    const noCrossOrigin: RequestHandler = (_req, _res, next) => next();
    return noCrossOrigin;
  }
  const allowed = new Set(origins);
  const policy = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
  const corsHeaders: RequestHandler = (req, res, next) => {
    // Every answer depends on Origin once some origins are allowed, refused ones included: a shared
    // cache must not hand an answer made for one origin to another.
    res.vary('Origin');
    policy(req, res, next);
  };
  return corsHeaders;
}
