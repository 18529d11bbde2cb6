import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Authenticator } from '../auth/bearer-authenticator.js';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import type { IdempotencyGuard } from '../idempotency/guard.js';
import type { UserProvisioner } from '../users/user-provisioning.js';
import { PUBLIC_OPERATIONS, type OperationHandlers, type OperationId } from './operations.js';
import { headerValues } from './header-parameters.js';
import { HttpProblem, noSuchRoute, problemSource } from './problem.js';

interface DispatchDependencies {
  readonly handlers: OperationHandlers;
  /** Each operation's header parameters (from the spec), handed to its handler as `headers`. */
  readonly headerParameters: ReadonlyMap<string, readonly string[]>;
  readonly authenticate: Authenticator;
  readonly provisionUser: UserProvisioner;
  /** The per-user rate limit: counts the authenticated request, throws the 429 beyond the limit. */
  readonly limitUser: (req: Request, res: Response) => Promise<void>;
  /** Runs requests that carry an Idempotency-Key at most once per key (retries get the stored answer). */
  readonly idempotency: IdempotencyGuard;
}

const PUBLIC: ReadonlySet<string> = new Set(PUBLIC_OPERATIONS);

/** What the OpenAPI validator adds to a request it matched to an operation. */
interface MatchedRequest extends Request {
  openapi?: { schema: { operationId?: string }; pathParams: Record<string, unknown> };
}

/** Any handler's result, once its precise type has done its work at compile time. */
interface AnyResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * Runs after the OpenAPI validator has matched the request to an operation and validated it:
 * authenticates (unless the operation is public), checks that the path's user is the caller,
 * calls the operation's handler with plain values and sends what it returns.
 */
export function dispatchOperations({ handlers, headerParameters, authenticate, provisionUser, limitUser, idempotency }: DispatchDependencies): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const { openapi } = req as MatchedRequest;
    const operationId = openapi?.schema.operationId as OperationId | undefined;
    // The validator answers every request outside the spec; this is only a safety net.
    if (openapi === undefined || operationId === undefined) return next(noSuchRoute(req.path));
    // The validator's path parameters, coerced to their spec types (Express's own are per route).
    const path = openapi.pathParams;
    try {
      let user: AuthenticatedUser | undefined;
      if (!PUBLIC.has(operationId)) {
        user = await authenticate(req, res);
        req.user = user;
        assertOwnPath(path, user);
        await limitUser(req, res);
        await provisionUser(user);
      }
      const handler = handlers[operationId] as (input: unknown) => Promise<AnyResult>;
      const headers = headerValues(headerParameters.get(operationId) ?? [], (name) => req.get(name));
      const input = { path, query: req.query, headers, body: req.body, log: req.log, problemSource: problemSource(req), user };
      const result = await idempotency({ operationId, ...input }, () => handler(input));
      send(res, result);
    } catch (error) {
      next(error);
    }
  };
}

function assertOwnPath(path: Record<string, unknown>, user: AuthenticatedUser): void {
  if ('user_id' in path && path.user_id !== user.id) {
    throw new HttpProblem(403, "The token does not grant access to this user's resources.");
  }
}

function send(res: Response, result: AnyResult): void {
  if (result.headers) res.set(result.headers);
  res.status(result.status);
  if (result.body === undefined) res.end();
  else if (typeof result.body === 'string') res.send(result.body); // a document; its handler set Content-Type
  else res.json(result.body);
}
