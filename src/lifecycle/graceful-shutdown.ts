import type { Server } from 'node:http';
import type { Logger } from 'pino';
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
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests finish (bounded),
 * close the database (bounded too), exit 0, or 1 when something could not be closed in time.
 * A second signal during shutdown is ignored.
 */
export function installGracefulShutdown({ server, logger, timeoutMs, close }: ShutdownOptions): void {
  let stopping = false;

  // Responses sent while stopping ask keep-alive clients to reconnect elsewhere (first, before the app answers).
  server.prependListener('request', (_req, res) => {
    if (stopping) res.setHeader('Connection', 'close');
  });

  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const cutOff = setTimeout(() => {
      logger.warn({ timeoutMs }, 'shutdown timeout: closing remaining connections');
      server.closeAllConnections();
    }, timeoutMs);
    cutOff.unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
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

  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
