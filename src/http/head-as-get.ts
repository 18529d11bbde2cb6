import type { RequestHandler } from 'express';

/**
 * HEAD is answered wherever GET is (RFC 9110): the request runs as the GET operation and Node
 * leaves the body out, because the response was created for a HEAD request.
 */
export function headAsGet(): RequestHandler {
  const headAsGet: RequestHandler = (req, _res, next) => {
    if (req.method === 'HEAD') req.method = 'GET';
    next();
  };
  return headAsGet;
}
