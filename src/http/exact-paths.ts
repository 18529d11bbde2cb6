import type { RequestHandler } from 'express';
import { noSuchRoute } from './problem.js';

/**
 * Refuses a path with a trailing slash (`/docs/`, `/api/me/`): the spec does not declare it, and
 * the validator's route matching would otherwise take it for the path without the slash.
 */
export function exactPaths(): RequestHandler {
  const exactPath: RequestHandler = (req, _res, next) => {
    if (req.path.length > 1 && req.path.endsWith('/')) return next(noSuchRoute(req.path));
    next();
  };
  return exactPath;
}
