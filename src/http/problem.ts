import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import type { components } from '../../generated/api.js';

export type ProblemDocument = components['schemas']['Problem'];
export type ValidationIssue = components['schemas']['ValidationIssue'];

/**
 * An error that is meant for the client: thrown anywhere, turned into an RFC 9457 problem
 * document by the one error handler. `detail` must never carry secrets or internals.
 */
export class HttpProblem extends Error {
  override name = 'HttpProblem';

  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extras: { errors?: ValidationIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

export function sendProblem(req: Request, res: Response, problem: HttpProblem): void {
  const body: ProblemDocument = {
    type: 'about:blank',
    title: STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    instance: req.originalUrl.split('?')[0] ?? '/',
    request_id: String(req.id),
    ...(problem.extras.errors ? { errors: problem.extras.errors } : {}),
  };
  res.status(problem.status);
  if (problem.extras.headers) res.set(problem.extras.headers);
  res.set('Content-Type', 'application/problem+json; charset=utf-8');
  res.send(JSON.stringify(body));
}
