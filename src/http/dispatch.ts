import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthenticatedUser } from '../contract/authenticated-user.js';
import { DomainError } from '../contract/domain-error.js';
import { PUBLIC_OPERATIONS, type OperationHandlers, type OperationId } from '../contract/operations.js';
import type { ResponseStream } from '../contract/response-stream.js';
import type { IdempotencyGuard } from '../idempotency/idempotency.service.js';
import { requestWeight } from '../rate-limit/weights.js';
import type { UserProvisioner } from '../users/users.service.js';
import type { Authenticator } from './authentication.js';
import { domainProblem } from './error-mapping.js';
import { resolvedOperation } from './operation-index.js';
import { noSuchRoute, problemDocument, problemSource } from './problem.js';
import { sendStream } from './stream-response.js';

interface DispatchDependencies {
  readonly handlers: OperationHandlers;
  readonly authenticate: Authenticator;
  readonly provisionUser: UserProvisioner;
  /**
   * The per-user limits: counts the authenticated request's weight, throws the 429 beyond a limit;
   * returns what lets go of the request's in-flight slot, held while the handler runs.
   */
  readonly limitUser: (req: Request, res: Response, weight: number) => Promise<() => void>;
  /** Runs requests that carry an Idempotency-Key at most once per key (retries get the stored answer). */
  readonly idempotency: IdempotencyGuard;
  /** Told of the user after each write that succeeded (committed): their new events wake the live streams. */
  readonly announce: (userId: string) => void;
}

/** The methods that may write: a success of one may have recorded events. */
const WRITES: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const PUBLIC: ReadonlySet<string> = new Set(PUBLIC_OPERATIONS);

/** What the OpenAPI validator adds to a request it validated: the path parameters coerced to their spec types. */
interface ValidatedRequest extends Request {
  openapi?: { pathParams: Record<string, unknown> };
}

/** Any handler's result, once its precise type has done its work at compile time: a body, or a stream. */
interface AnyResult {
  status: number;
  body: unknown;
  stream?: ResponseStream;
  headers?: Record<string, string>;
}

/**
 * Runs after the OpenAPI validator has validated the request against its operation (the one
 * `resolveOperations` found): authenticates (unless the operation is public), checks that the
 * path's user is the caller, calls the operation's handler with plain values and sends what it returns.
 */
export function dispatchOperations({
  handlers,
  authenticate,
  provisionUser,
  limitUser,
  idempotency,
  announce,
}: DispatchDependencies): RequestHandler {
  const dispatch: RequestHandler = async (req: Request, res: Response, next: NextFunction) => {
    const resolved = resolvedOperation(req);
    const { openapi } = req as ValidatedRequest;
    // The validator answers every request outside the spec; this is only a safety net.
    if (resolved === undefined || openapi === undefined) return next(noSuchRoute(req.path));
    const operationId = resolved.entry.operationId as OperationId;
    const path = openapi.pathParams;
    let letGo: () => void = () => undefined;
    try {
      let user: AuthenticatedUser | undefined;
      if (!PUBLIC.has(operationId)) {
        // Known already when its token verified before the body was read (identifyCaller).
        user = req.user ?? (await authenticate(req, res));
        req.user = user;
        assertOwnPath(path, user);
        letGo = await limitUser(req, res, requestWeight(operationId, req.query, req.body));
        await provisionUser(user);
      }
      const handler = handlers[operationId] as (input: unknown) => Promise<AnyResult>;
      const headers = headerValues(resolved.entry.headers, req);
      const problemFor = (error: DomainError) => problemDocument(problemSource(req), domainProblem(error));
      const input = {
        operationId,
        path,
        query: req.query,
        headers,
        body: req.body as unknown,
        // Read only by a handler that logs: the request's logger is made then (src/http/request-log.ts).
        get log() {
          return req.log;
        },
        problemFor,
        user,
      };
      const result: AnyResult = await idempotency(input, () => handler(input));
      if (user && result.status < 300 && WRITES.has(req.method)) announce(user.id);
      // A stream takes the response over once the request was admitted, validated and settled.
      if (result.stream) sendStream(req, res, { ...result, stream: result.stream });
      else send(res, result);
    } catch (error) {
      next(error);
    } finally {
      letGo();
    }
  };
  return dispatch;
}

function assertOwnPath(path: Record<string, unknown>, user: AuthenticatedUser): void {
  if ('user_id' in path && path.user_id !== user.id) {
    throw new DomainError('forbidden', "The token does not grant access to this user's resources.");
  }
}

/** The request's values of the operation's header parameters, keyed as the spec names them; absent ones are left out. */
function headerValues(names: readonly string[], req: Request): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    const value = req.get(name);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

function send(res: Response, result: AnyResult): void {
  if (result.headers) res.set(result.headers);
  res.status(result.status);
  if (result.body === undefined) res.end();
  else if (typeof result.body === 'string')
    res.send(result.body); // a document; its handler set Content-Type
  else res.json(result.body);
}
