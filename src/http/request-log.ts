import type { Request, RequestHandler, Response } from 'express';
import type { Level, Logger } from 'pino';
import { resolvedOperation } from './operation-index.js';
import { requestId } from './request-id.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request's id: echoed in X-Request-Id, on its problem documents and its log lines. */
      id: string;
      /** The request's logger: every line it writes names the request (id, method, URL…) and its operation. */
      readonly log: Logger;
    }
  }
}

/** What the request log keeps of a request from its arrival: later middleware rewrites the method (HEAD runs as GET). */
interface Arrival {
  readonly at: number;
  readonly method: string;
}

const ARRIVAL = Symbol('arrival');
const FAILURE = Symbol('failure');
const REFUSAL = Symbol('refusal');
const CHILD = Symbol('request logger');

interface Logged {
  [ARRIVAL]: Arrival;
  [CHILD]?: Logger;
}

/** The failure a response answers (its 500), or that it refuses the request for overload, for its log line. */
interface Failed {
  [FAILURE]?: Error;
  [REFUSAL]?: true;
}

/**
 * One line per request, holding what an operator searches by: the request id, method, URL
 * (path and query), status, time taken, the caller's user id, the operation, the client's
 * address (through trusted proxies, as Express sees it) and the error of a failure. The request's
 * headers are bulk on every line (and may carry credentials): of them only User-Agent, which tells
 * an SDK from a browser or a script; every header, credentials redacted (src/logger.ts), at `debug`.
 * The response's headers are the same on every answer (the security headers) or already on the
 * line (the request id): never logged.
 *
 * A request costs little more than its line: the line is built only when its level is enabled,
 * from a few flat fields, and `req.log` (for a handler's own lines) is made on first use only.
 */
export function requestLog(logger: Logger): RequestHandler {
  const allHeaders = logger.isLevelEnabled('debug');
  const requestFields = (req: Request & Logged) => fieldsOf(req, allHeaders);
  // Below debug the line holds no header that could carry a credential (User-Agent only): it is
  // written without the redaction pass (a copy of `req` and a lookup of each path, on every line).
  const requestLogger = allHeaders ? logger : logger.child({}, { redact: [] });

  /** `req.log`, made the first time it is read, for the few requests that write lines of their own. */
  const lazyLog: PropertyDescriptor = {
    configurable: true,
    get(this: Request & Logged): Logger {
      return (this[CHILD] ??= requestLogger.child({ req: requestFields(this), operation: operationOf(this) }));
    },
  };

  // Shared by every request (`this` is the response): no closure to allocate per request.
  function onClose(this: Response): void {
    this.off('error', onError);
    writeLine(this, undefined);
  }
  function onError(this: Response, error: Error): void {
    this.off('close', onClose);
    this.off('error', onError);
    writeLine(this, error);
  }

  function writeLine(res: Response & Failed, streamError: Error | undefined): void {
    const req = res.req as Request & Logged;
    const failure = streamError ?? res[FAILURE];
    const status = res.statusCode;
    const refused = status === 429 || res[REFUSAL] === true;
    const level = levelOf(status, failure !== undefined, refused);
    if (!requestLogger.isLevelEnabled(level)) return;
    const responseTime = Date.now() - req[ARRIVAL].at;
    const error = failure ?? (level === 'error' ? new Error(`failed with status code ${status}`) : undefined);
    const line = accessLine(req, res, responseTime);
    requestLogger[level](
      {
        req: requestFields(req),
        operation: operationOf(req),
        res: { statusCode: res.headersSent ? status : null },
        err: error,
        responseTime,
        // Known once it is answered (authentication comes later): on the request's own line only.
        user_id: req.user?.id,
      },
      error ? `${line} ${error.message}` : line,
    );
  }

  const logRequest: RequestHandler = (req, res, next) => {
    req.id = requestId(req, res);
    (req as Request & Logged)[ARRIVAL] = { at: Date.now(), method: req.method };
    Object.defineProperty(req, 'log', lazyLog);
    // 'close' ends every response, answered or abandoned (after 'finish' when answered).
    res.on('close', onClose);
    res.on('error', onError);
    next();
  };
  return logRequest;
}

/** The error a 500 answers: its request's log line carries it (the client is told nothing of it). */
export function logFailure(res: Response, error: Error): void {
  (res as Response & Failed)[FAILURE] = error;
}

/**
 * A 503 that refuses a request for overload (load-shedding.ts) is the shedding working, like a
 * 429: an access line at info, without an error, so that an overload does not flood the errors
 * (http_requests_shed_total counts them).
 */
export function logAsRefusal(res: Response): void {
  (res as Response & Failed)[REFUSAL] = true;
}

/**
 * A failure is an error; a refusal (a limit's 429, an overload's 503) is the server protecting
 * itself, not a client's mistake nor a fault: an access line at info, so that a flood of them does
 * not flood the warnings or the errors.
 */
function levelOf(status: number, failed: boolean, refused: boolean): Level {
  if (failed) return 'error';
  if (refused) return 'info';
  if (status >= 500) return 'error';
  return status >= 400 ? 'warn' : 'info';
}

function fieldsOf(req: Request & Logged, allHeaders: boolean): object {
  return {
    id: req.id,
    method: req[ARRIVAL].method,
    // Express rewrites `req.url` inside routers; `originalUrl` is the one the client sent.
    url: req.originalUrl,
    remoteAddress: req.ip ?? req.socket.remoteAddress,
    headers: allHeaders ? req.headers : userAgentOf(req.headers),
  };
}

function operationOf(req: Request): string | undefined {
  return resolvedOperation(req)?.entry.operationId;
}

function userAgentOf(headers: Request['headers']): Record<string, string> {
  const userAgent = headers['user-agent'];
  return userAgent === undefined ? {} : { 'user-agent': userAgent };
}

/** The line's message reads as an access log line: `GET /api/alice/tasks 200 12 ms`. */
function accessLine(req: Request & Logged, res: Response, responseTime: number): string {
  // A client that went away before the answer was sent.
  const aborted = res.writableEnded ? '' : ' (aborted)';
  const status = res.headersSent ? res.statusCode : '-';
  return `${req[ARRIVAL].method} ${req.originalUrl} ${status} ${responseTime} ms${aborted}`;
}
