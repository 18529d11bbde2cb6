import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { resolvedOperation } from './operation-index.js';
import { requestId } from './request-id.js';

/** What pino-http hands a `req` serializer: pino's standard form of the request, and the request itself. */
interface SerializedRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, unknown>;
  readonly raw: IncomingMessage;
}

/**
 * One line per request, holding what an operator searches by: the request id, method, URL
 * (path and query), status, time taken, the caller's user id, the operation, the client's
 * address (through trusted proxies, as Express sees it) and the error of a failure. The request's
 * headers are bulk on every line (and may carry credentials): of them only User-Agent, which tells
 * an SDK from a browser or a script; every header, credentials redacted (src/logger.ts), at `debug`.
 * The response's headers are the same on every answer (the security headers) or already on the
 * line (the request id): never logged.
 */
export function requestLog(logger: Logger): RequestHandler {
  const allHeaders = logger.isLevelEnabled('debug');
  return pinoHttp({
    logger,
    genReqId: requestId,
    serializers: {
      req: (req: SerializedRequest) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: (req.raw as Partial<Request>).ip ?? req.raw.socket?.remoteAddress,
        headers: allHeaders ? req.headers : userAgentOf(req.headers),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // On every line logged for the request (its audit lines too), bound when it arrives.
    customProps: (req) => {
      const operation = resolvedOperation(req as Request)?.entry.operationId;
      return operation ? { operation } : {};
    },
    // Known once it is answered (authentication comes later): on the request's own line.
    customSuccessObject: (req, _res, line: object) => withCaller(req, line),
    customErrorObject: (req, _res, _error, line: object) => withCaller(req, line),
    // The line's message reads as an access log line: `GET /api/alice/tasks 200 12 ms`.
    customSuccessMessage: (req, res, responseTime) => accessLine(req, res, responseTime),
    customErrorMessage: (req, res, error, responseTime?: number) =>
      `${accessLine(req, res, responseTime)} ${error.message}`,
    // A refusal by a limit is the limit working, not a client's mistake: an access line at info,
    // so that a flood of them does not flood the warnings (nor cost a warning's work each).
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 && res.statusCode !== 429 ? 'warn' : 'info',
  });
}

function withCaller(req: IncomingMessage, line: object): object {
  const { user } = req as Request;
  return user ? { ...line, user_id: user.id } : line;
}

function userAgentOf(headers: Record<string, unknown>): Record<string, unknown> {
  const userAgent = headers['user-agent'];
  return userAgent === undefined ? {} : { 'user-agent': userAgent };
}

function accessLine(req: IncomingMessage, res: ServerResponse, responseTime: number | undefined): string {
  // Express rewrites `req.url` inside routers; `originalUrl` is the one the client sent.
  const url = (req as Partial<Request>).originalUrl ?? req.url;
  const time = responseTime === undefined ? '' : ` ${responseTime} ms`;
  // A client that went away before the answer was sent: pino-http logs it as a success, so say so.
  const aborted = res.writableEnded ? '' : ' (aborted)';
  return `${req.method} ${url} ${res.headersSent ? res.statusCode : '-'}${time}${aborted}`;
}
