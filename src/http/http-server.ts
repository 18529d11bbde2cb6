import { createServer, maxHeaderSize, type RequestListener, type Server } from 'node:http';
import type { Logger } from 'pino';
import { clientErrorAnswer } from './client-errors.js';

export interface HttpServerOptions {
  /** REQUEST_TIMEOUT_MS: the most a client may take to send its whole request, headers included (then 408). */
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
}

/**
 * The HTTP server the app is served by, wherever it is served (the process, the tests): slow
 * senders cannot hold connections open, and what Node refuses before the app sees it is answered
 * with a problem document too (client-errors.ts).
 */
export function createHttpServer(app: RequestListener, { requestTimeoutMs, logger }: HttpServerOptions): Server {
  // Node checks the timeouts every connectionsCheckingInterval (30 s by default): checked every
  // second, the timeout holds to about a second.
  const server = createServer(
    { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval: 1_000 },
    app,
  );
  server.on('clientError', clientErrorAnswer({ requestTimeoutMs, maxHeaderSize }, logger));
  return server;
}
