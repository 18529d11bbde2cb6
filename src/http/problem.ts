import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { ClientAnswer } from '../contract/client-answer.js';
import type { Issue, QuotaUsage } from '../contract/domain-error.js';
import type { ProblemDocument } from '../contract/operations.js';

/**
 * An answer the adapter itself gives (a route, a method, a body it cannot take), and the HTTP form
 * of every DomainError (error-mapping.ts): turned into an RFC 9457 problem document by the one
 * error handler. `detail` must never carry secrets or internals.
 */
export class HttpProblem extends ClientAnswer {
  override name = 'HttpProblem';

  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
  }
}

/** What a problem may say beyond its status and detail. */
export interface ProblemExtras {
  readonly errors?: readonly Issue[];
  readonly headers?: Record<string, string>;
  /** The problem type's URI reference, when the status alone does not say it (`about:blank` otherwise). */
  readonly type?: string;
  /** The quota a refusal names. */
  readonly quota?: QuotaUsage;
}

/** The answer to a path the spec does not declare. */
export function noSuchRoute(path: string): HttpProblem {
  return new HttpProblem(404, `No resource at ${path}.`);
}

/**
 * The spec's limits on a problem document. Details, paths and messages can echo what the client
 * sent (a path, a parameter name), so they are cut to size rather than trusted to be short.
 */
const LIMITS = { detail: 1000, instance: 2048, errors: 100, pointer: 1000, message: 1000 } as const;

/** What a problem document says of the request it answers: its id, and its path as `instance` (when it could be read). */
export interface ProblemSource {
  readonly requestId: string;
  readonly path: string | undefined;
}

export function problemSource(req: Request): ProblemSource {
  return { requestId: req.id, path: req.originalUrl.split('?')[0] ?? '/' };
}

export function sendProblem(req: Request, res: Response, problem: HttpProblem): void {
  res.status(problem.status);
  if (problem.extras.headers) res.set(problem.extras.headers);
  res.set('Content-Type', 'application/problem+json; charset=utf-8');
  res.send(JSON.stringify(problemDocument(problemSource(req), problem)));
}

/** The document for a problem: the body of an error response, or one failed action's in a bulk answer. */
export function problemDocument(source: ProblemSource, problem: HttpProblem): ProblemDocument {
  const { errors, type, quota } = problem.extras;
  const omitted =
    errors && errors.length > LIMITS.errors
      ? ` Only the first ${LIMITS.errors} of ${errors.length} problems are listed.`
      : '';
  return {
    type: type ?? 'about:blank',
    title: STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    detail: cut(problem.detail, LIMITS.detail - omitted.length) + omitted,
    ...(source.path !== undefined ? { instance: cut(source.path, LIMITS.instance) } : {}),
    request_id: source.requestId,
    ...(errors
      ? {
          errors: errors.slice(0, LIMITS.errors).map((issue) => ({
            location: issue.location,
            pointer: cut(issue.pointer, LIMITS.pointer).replace(/~$/, ''), // no escape cut in half
            message: cut(issue.message, LIMITS.message),
          })),
        }
      : {}),
    ...(quota ? { quota } : {}),
  };
}

/** At most `max` code points (the unit JSON Schema's maxLength counts). */
function cut(text: string, max: number): string {
  const codePoints = [...text];
  return codePoints.length <= max ? text : codePoints.slice(0, max).join('');
}
