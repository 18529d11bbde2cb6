import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An incoming id is kept only when it cannot inject anything into logs or headers. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a safe incoming `X-Request-Id`, otherwise makes one; echoes it in the response. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** A request id of our own: for a request without a safe one, or one that never reached the app. */
export function newRequestId(): string {
  return randomUUID();
}
