import type { Request } from 'express';
import { databaseUnavailable, DomainError, type DomainErrorKind } from '../contract/domain-error.js';
import { isDatabaseUnavailable } from '../db/availability.js';
import { HttpProblem, noSuchRoute } from './problem.js';
import { NOT_UTF8, type NotUtf8Error } from './json-body.js';
import { adviseOnQuery } from './query-advice.js';
import { toIssues, type PatternWords, type ValidatorIssue } from './validator-issues.js';

/** The one table from the rules' words to HTTP's. */
const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  precondition_failed: 412,
  unprocessable: 422,
  precondition_required: 428,
  rate_limited: 429,
  quota_exceeded: 409,
  too_large: 413,
  unavailable: 503,
};

/** Where the spec explains quotas (the docs portal's section of that name). */
const QUOTA_PROBLEM_TYPE = '/docs#section/Quotas';

/**
 * Turns any error into the problem the client sees, or `undefined` for an unexpected error
 * (answered with a bare 500). Library messages are not passed through: every detail is ours.
 */
export function toProblem(error: unknown, req: Request, words: PatternWords): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (error instanceof DomainError) return domainProblem(error);
  if (isBodyReadingError(error)) return fromBodyReading(error, req);
  if (isValidatorError(error)) return fromValidator(error, req, words);
  if (isDatabaseUnavailable(error)) return domainProblem(databaseUnavailable());
  return undefined;
}

/** The problem a rule's error means; it needs no request, so one action of a bulk request maps alike. */
export function domainProblem({ kind, message, details }: DomainError): HttpProblem {
  const headers: Record<string, string> = {};
  if (details.retryAfterSeconds !== undefined) headers['Retry-After'] = String(details.retryAfterSeconds);
  if (details.challenge !== undefined) headers['WWW-Authenticate'] = details.challenge;
  return new HttpProblem(STATUS_OF_KIND[kind], message, {
    ...(details.issues ? { errors: details.issues } : {}),
    ...(details.quota ? { type: QUOTA_PROBLEM_TYPE, quota: details.quota } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  });
}

/** An error raised while reading the body (body-parser's, or zlib's for a bad Content-Encoding): http-errors style. */
interface BodyReadingError extends Error {
  type?: string;
  status: number;
  expose: true;
  limit?: number;
}

function isBodyReadingError(error: unknown): error is BodyReadingError {
  const { status, expose } = error as { status?: unknown; expose?: unknown };
  return error instanceof Error && expose === true && typeof status === 'number' && status >= 400 && status < 500;
}

function fromBodyReading(error: BodyReadingError, req: Request): HttpProblem {
  switch (error.type) {
    case 'entity.parse.failed':
      return new HttpProblem(400, 'The request body is not valid JSON, or not a JSON object.', {
        errors: [{ location: 'body', pointer: '', message: 'must be a well-formed JSON object' }],
      });
    case NOT_UTF8:
      return new HttpProblem(
        400,
        `The request body is not valid UTF-8 (from byte ${(error as NotUtf8Error).offset}).`,
        {
          errors: [{ location: 'body', pointer: '', message: 'must be UTF-8' }],
        },
      );
    case 'entity.too.large':
      return new HttpProblem(413, `The request body exceeds the limit of ${error.limit ?? 'the allowed'} bytes.`);
    case 'encoding.unsupported':
      return new HttpProblem(415, `Unsupported Content-Encoding: ${header(req, 'content-encoding')}.`);
    case 'charset.unsupported':
      return new HttpProblem(415, `Unsupported Content-Type: ${header(req, 'content-type')}.`);
    case 'request.aborted':
      return new HttpProblem(400, 'The request body was not received in full.');
    default:
      return new HttpProblem(error.status, 'The request body could not be read or decoded.');
  }
}

interface ValidatorError extends Error {
  status: number;
  errors: ValidatorIssue[];
  headers?: { Allow?: string };
}

function isValidatorError(error: unknown): error is ValidatorError {
  return (
    error instanceof Error &&
    typeof (error as { status?: unknown }).status === 'number' &&
    Array.isArray((error as { errors?: unknown }).errors)
  );
}

function fromValidator(error: ValidatorError, req: Request, words: PatternWords): HttpProblem | undefined {
  switch (error.status) {
    case 400:
      return new HttpProblem(400, 'The request is not valid.', {
        errors: adviseOnQuery(toIssues(error.errors, req.body, words), req),
      });
    case 404:
      return noSuchRoute(req.path);
    case 405: {
      const allow = error.headers?.Allow ?? '';
      return new HttpProblem(405, `${req.method} is not allowed on ${req.path}; allowed: ${allow}.`, {
        headers: { Allow: allow },
      });
    }
    case 415:
      return new HttpProblem(415, `Unsupported Content-Type: ${header(req, 'content-type')}.`);
    default:
      return undefined; // response validation (500) and anything unforeseen stay internal
  }
}

function header(req: Request, name: string): string {
  const value = req.headers[name];
  return (typeof value === 'string' ? value : 'none').slice(0, 100);
}
