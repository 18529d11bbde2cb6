import type { RequestHandler } from 'express';
import type { MetricsAccessCheck } from '../metrics/metrics-access.js';

/**
 * Mounted on GET /metrics after the OpenAPI validator (a malformed request is a 400 first, as on
 * every operation) and apart from the user authentication, which a scraper has no token for.
 */
export function checkMetricsAccess(check: MetricsAccessCheck): RequestHandler {
  const checkMetricsAccess: RequestHandler = (req, _res, next) => {
    try {
      check(req.get('authorization'));
      next();
    } catch (error) {
      next(error);
    }
  };
  return checkMetricsAccess;
}
