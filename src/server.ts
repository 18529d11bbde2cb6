import cluster from 'node:cluster';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { eventSignalFor, startBackground } from './background.js';
import { runPrimary, WORKER_SERVING } from './cluster/primary.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { holdRequests } from './http/held-requests.js';
import { createHttpServer } from './http/http-server.js';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown.js';
import { startUpFailureLine } from './lifecycle/start-up-failure.js';
import { startUpLine } from './lifecycle/start-up-line.js';
import { createRedisClient, waitUntilReady } from './rate-limit/rate-limit.redis-store.js';
import { createLogger, knexLog, logProcessWarnings } from './logger.js';

/** How long start-up waits for Redis; without it the server starts anyway (not rate limited until it connects). */
const REDIS_START_WAIT_MS = 2_000;

/** The configuration once read: the start-up failure line names what it holds (the port, the database). */
let loadedConfig: Config | undefined;

/** The only file that opens a port: one server, or with WEB_CONCURRENCY > 1 the primary of that many. */
async function main(): Promise<void> {
  const loaded = loadConfig(process.env, { stdoutIsTTY: process.stdout.isTTY });
  loadedConfig = loaded;
  const logger = createLogger(loaded);
  logProcessWarnings(logger);
  if (cluster.isPrimary && loaded.webConcurrency > 1) return runPrimary(loaded, logger);
  return serve(loaded, logger);
}

/**
 * Binds the port, opens the database and serves until SIGTERM/SIGINT; a cluster worker leaves the
 * migrations to its primary. The port comes first: one in use stops the start at once, before the
 * embedded database's first initdb; requests that arrive meanwhile wait (held-requests.ts).
 */
async function serve(config: Config, logger: Logger): Promise<void> {
  // A stop asked for while starting (migrations can take a while) is honoured once the database is open.
  let stopDuringStart: NodeJS.Signals | undefined;
  const rememberStop = (signal: NodeJS.Signals) => (stopDuringStart = signal);
  process.on('SIGTERM', rememberStop).on('SIGINT', rememberStop);

  const held = holdRequests();
  const server = createHttpServer(held.listener, { requestTimeoutMs: config.http.requestTimeoutMs, logger });
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // Requests to the port wait from now on until the database is ready (held-requests.ts).
  logger.info({ host: config.host, port }, 'opening the database');
  const database = await openDatabase(config, knexLog(logger), { applyMigrations: cluster.isPrimary });
  logger.info(
    {
      database: database.kind,
      ...(database.kind === 'pglite' ? { data_dir: config.dataDir } : { statement_timeout: database.statementBound }),
    },
    'database ready',
  );
  if (database.statementBound === 'client') {
    // Through a transaction-mode pooler the client ends a long statement with a cancel request;
    // a server-side setting also bounds what the client cannot reach (a stalled network).
    logger.warn(
      { statement_timeout_ms: config.dbTimeouts.statementTimeoutMs },
      'the database ignores the statement_timeout startup parameter (a transaction-mode pooler?): statements are cancelled by the client; also set it on the role, e.g. ALTER ROLE app SET statement_timeout',
    );
  }

  process.off('SIGTERM', rememberStop).off('SIGINT', rememberStop);
  if (stopDuringStart) {
    logger.info({ signal: stopDuringStart }, 'stopped before serving');
    server.close();
    server.closeAllConnections(); // requests held while starting: never taken in, like a backlog's
    await database.close();
    return;
  }

  const redis = config.rateLimit.redisUrl ? createRedisClient(config.rateLimit.redisUrl, logger) : undefined;
  if (redis) await waitUntilReady(redis, REDIS_START_WAIT_MS);
  const signal = eventSignalFor(config, database.knex, database.kind, redis, logger);
  const jobs = await startBackground({ config, db: database.knex, kind: database.kind, logger, signal });
  const app = createApp({ config, db: database.knex, logger, redis, clusterWorker: cluster.isWorker, signal, jobs });
  const close = async () => {
    await app.stop(); // rate-limit counts still in memory are written while the database is open
    await jobs.stop();
    await signal.close();
    redis?.disconnect();
    await database.close();
  };

  installGracefulShutdown({ server, logger, timeoutMs: config.shutdownTimeoutMs, close });
  held.release(server, app);
  const { fields, msg } = startUpLine(config, port);
  logger.info(fields, msg);
  if (cluster.isWorker) process.send?.(WORKER_SERVING);
}

main().catch((error: unknown) => {
  // Start-up problems the operator can fix get one clear line, not a stack trace.
  console.error(startUpFailureLine(error, loadedConfig) ?? error);
  process.exit(1);
});
