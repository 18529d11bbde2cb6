import type { Server, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Logger } from 'pino';
import { isLongLived, whenAnswered } from './long-lived.js';
import { withTimeout } from './with-timeout.js';

interface ShutdownOptions {
  readonly server: Server;
  readonly logger: Logger;
  /** How long in-flight requests may take to finish before their connections are cut. */
  readonly timeoutMs: number;
  /** Releases everything else (the database) once the server has stopped. */
  readonly close: () => Promise<void>;
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests finish (bounded) and
 * end the event streams, close the database (bounded too), exit 0, or 1 when something could not be closed in time.
 * A second signal during shutdown is ignored.
 */
export function installGracefulShutdown({ server, logger, timeoutMs, close }: ShutdownOptions): void {
  let stopping = false;
  const inFlight = new Set<ServerResponse>();

  // First, before the app answers: requests that arrive on a kept-alive connection while stopping
  // are served, and their connection closed after them; earlier ones are tracked until they end.
  server.prependListener('request', (_req, res) => {
    if (stopping) return stopAfter(res);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });

  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, in_flight: inFlight.size }, 'shutting down: finishing in-flight requests');
    // Without this a keep-alive connection would outlive its in-flight response, idle, and be cut
    // while its client may already be sending the next request on it.
    for (const res of inFlight) stopAfter(res);
    const cutOff = setTimeout(() => {
      logger.warn({ timeoutMs }, 'shutdown timeout: closing remaining connections');
      server.closeAllConnections();
    }, timeoutMs);
    cutOff.unref();
    // Stop listening, but leave kept-alive connections open: http's close() would cut the idle ones
    // at once, while their clients may be sending the next request on them. Each of those is now
    // closed after its next response (Connection: close), or by the keep-alive timeout.
    await new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
    clearTimeout(cutOff);
    let exitCode = 0;
    try {
      await withTimeout(close(), timeoutMs, 'the database to close');
    } catch (error) {
      logger.error({ err: error }, 'could not close the database');
      exitCode = 1;
    }
    logger.info('stopped');
    logger.flush();
    process.exit(exitCode);
  };

  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}

/**
 * Ends the response's connection once the response is complete (`Connection: close`, or a FIN once
 * it is sent). A long-lived response (an event stream) has no end of its own to wait for: it is
 * ended as soon as it streams, and its client reconnects, to a server that is not stopping.
 */
function stopAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
  else res.once('finish', () => res.socket?.end());
  if (isLongLived(res)) res.end();
  else whenAnswered(res, () => isLongLived(res) && res.end());
}
