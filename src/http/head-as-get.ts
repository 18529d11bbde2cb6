import type { Request, RequestHandler } from 'express';

/** The requests that arrived as HEAD (their method now reads GET). */
const heads = new WeakSet<Request>();

/**
 * HEAD is answered wherever GET is (RFC 9110): the request runs as the GET operation and Node
 * leaves the body out, because the response was created for a HEAD request.
 */
export function headAsGet(): RequestHandler {
  const headAsGet: RequestHandler = (req, _res, next) => {
    if (req.method === 'HEAD') {
      req.method = 'GET';
      heads.add(req);
    }
    next();
  };
  return headAsGet;
}

/** Whether the request came as HEAD: its answer is the head alone (a stream must not stay open to send nothing). */
export function cameAsHead(req: Request): boolean {
  return heads.has(req);
}
