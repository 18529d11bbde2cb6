import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

export interface HeldRequests {
  /** The server's request listener until `release`: it keeps each request waiting. */
  readonly listener: RequestListener;
  /** Serves every request from now on with `app`, the waiting ones first (through `server`'s listeners, so graceful shutdown counts them). */
  release(server: Server, app: RequestListener): void;
}

/**
 * The port is bound before the database opens, so that a port in use stops the start at once
 * rather than after the embedded database's first initdb (many seconds). Requests that arrive
 * meanwhile wait, as they would in the listen backlog of a server that binds late: no answer
 * the contract does not list (a /health that is a 503 while starting), only a slower first one.
 */
export function holdRequests(): HeldRequests {
  const waiting: [IncomingMessage, ServerResponse][] = [];
  let app: RequestListener | undefined;
  return {
    listener: (req, res) => (app ? app(req, res) : void waiting.push([req, res])),
    release(server, ready) {
      app = ready;
      // Emitted again rather than handed to `app` directly: listeners added since (graceful
      // shutdown's count of requests in flight) see them as they see every other request.
      for (const [req, res] of waiting.splice(0)) if (!res.destroyed) server.emit('request', req, res);
    },
  };
}
