import type { Request } from 'express';
import { isDatabaseUnavailable } from '../db/availability.js';
import { InvalidCursorError, InvalidTaskError, TaskNotFoundError, TaskPreconditionFailedError, TaskPreconditionRequiredError } from '../tasks/task-errors.js';
import { preconditionRequired } from './conditional-requests.js';
import { HttpProblem, noSuchRoute, type ValidationIssue } from './problem.js';
import { toIssue, type ValidatorIssue } from './validator-issues.js';

/** Seconds a client should wait before retrying while the database is unavailable. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Turns any error into the problem the client sees, or `undefined` for an unexpected error
 * (answered with a bare 500). Library messages are not passed through: every detail is ours.
 */
export function toProblem(error: unknown, req: Request): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (
    error instanceof TaskNotFoundError ||
    error instanceof InvalidCursorError ||
    error instanceof InvalidTaskError ||
    error instanceof TaskPreconditionFailedError ||
    error instanceof TaskPreconditionRequiredError
  ) {
    return taskProblem(error);
  }
  if (isBodyReadingError(error)) return fromBodyReading(error, req);
  if (isValidatorError(error)) return fromValidator(error, req);
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  return undefined;
}

/** The problem a task rule's error means; it needs no request, so one action of a bulk request maps alike. */
export function taskProblem(
  error: TaskNotFoundError | InvalidCursorError | InvalidTaskError | TaskPreconditionFailedError | TaskPreconditionRequiredError,
): HttpProblem {
  if (error instanceof TaskNotFoundError) return new HttpProblem(404, error.message, namedInBody(error.pointer, 'is not the id of one of your tasks'));
  if (error instanceof TaskPreconditionFailedError) {
    return new HttpProblem(412, 'The task has changed since it was read (If-Match); nothing was written.', namedInBody(error.pointer, "is not the task's current ETag"));
  }
  if (error instanceof TaskPreconditionRequiredError) return preconditionRequired(error.pointer);
  if (error instanceof InvalidCursorError) {
    return new HttpProblem(400, error.message, { errors: [{ location: 'query', pointer: '/cursor', message: error.reason }] });
  }
  return new HttpProblem(400, 'The request is not valid.', { errors: error.issues.map((issue) => ({ location: 'body', ...issue })) });
}

/** The issue at the pointer into the body where a bulk action went wrong, when the error has one (a single write's has none). */
function namedInBody(pointer: string | undefined, message: string): { errors?: ValidationIssue[] } {
  return pointer === undefined ? {} : { errors: [{ location: 'body', pointer, message }] };
}

export function databaseUnavailable(): HttpProblem {
  return serviceUnavailable('The database is unavailable; try again shortly.');
}

/** A 503 the client should retry after RETRY_AFTER_SECONDS. */
export function serviceUnavailable(detail: string): HttpProblem {
  return new HttpProblem(503, detail, { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } });
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

function fromValidator(error: ValidatorError, req: Request): HttpProblem | undefined {
  switch (error.status) {
    case 400:
      return new HttpProblem(400, 'The request is not valid.', { errors: error.errors.map((item) => toIssue(item, req.body)) });
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
