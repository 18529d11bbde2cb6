import type { ErrorRequestHandler } from 'express';
import { unavailableCause } from '../db/availability.js';
import { toProblem } from './error-mapping.js';
import { HttpProblem, sendProblem } from './problem.js';
import { logFailure } from './request-log.js';
import type { PatternWords } from './validator-issues.js';

/** The one place that writes error responses: every error becomes problem+json, in the contract's words. */
export function errorHandler(words: PatternWords): ErrorRequestHandler {
  const answerError: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const problem = toProblem(error, req, words);
    if (problem) {
      // A 503 says only "not now": the log says why (no SQL, no values: Knex's message holds both).
      const cause = unavailableCause(error);
      if (cause !== undefined) req.log.warn({ database_unavailable: cause }, `database unavailable: ${cause}`);
      return sendProblem(req, res, problem);
    }
    // Unexpected: the log gets everything (on the request's line), the client gets nothing it
    // could learn internals from.
    logFailure(res, error instanceof Error ? error : new Error(String(error)));
    sendProblem(req, res, new HttpProblem(500, 'An unexpected error occurred.'));
  };
  return answerError;
}
