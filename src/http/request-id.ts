import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';

/** An incoming id is kept only when it cannot inject anything into logs or headers. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Express's compiled TRUST_PROXY (`trust proxy`): whether the address at this hop is a trusted proxy. */
type TrustProxy = (address: string, hop: number) => boolean;

/**
 * Keeps a safe incoming `X-Request-Id` when the request comes from a trusted proxy (TRUST_PROXY),
 * which made or passed it on; otherwise makes one, so that a client cannot choose the id its
 * requests are logged and audited under (and pass for another's). Echoes it in the response.
 */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id =
    typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) && fromTrustedProxy(req) ? incoming : newRequestId();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** The peer is a trusted proxy by the app's own `trust proxy` setting, the one `req.ip` follows too. */
function fromTrustedProxy(req: IncomingMessage): boolean {
  // 'trust proxy fn' is the function Express compiles from 'trust proxy' for `req.ip` and `req.ips`.
  const trusts = (req as Partial<Request>).app?.get('trust proxy fn') as TrustProxy | undefined;
  const peer = req.socket.remoteAddress;
  return trusts !== undefined && peer !== undefined && trusts(peer, 0);
}

/** A request id of our own: for a request without a safe one, or one that never reached the app. */
export function newRequestId(): string {
  return randomUUID();
}
