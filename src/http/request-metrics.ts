import type { RequestHandler } from 'express';
import { UNMATCHED_OPERATION, type Metrics } from '../metrics/metrics.js';
import { resolvedOperation } from './operation-index.js';
import { whenAnswered } from '../lifecycle/long-lived.js';

/**
 * Counts and times every answered response, under the operation `resolveOperations` found (so
 * that requests answered before the validator runs, rate limited or refused by the URL checks,
 * count too). Mounted right after it, so that the time covers the whole pipeline.
 */
export function recordRequests(metrics: Metrics): RequestHandler {
  const recordRequest: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    // Read now: later middleware rewrites the method (HEAD is answered as GET).
    const method = req.method;
    const operation = resolvedOperation(req)?.entry.operationId ?? UNMATCHED_OPERATION;
    // Only answered requests are counted: one whose client went away has no status to count under.
    // An event stream counts once it streams, timed to its head: its length is its client's.
    whenAnswered(res, () => {
      metrics.observeRequest(
        { operation, method, status: String(res.statusCode) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  };
  return recordRequest;
}
