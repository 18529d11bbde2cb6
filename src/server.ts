import cluster from 'node:cluster';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { runPrimary } from './cluster/primary.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { isDatabaseUnavailable } from './db/availability.js';
import { DirectoryInUseError } from './db/directory-lock.js';
import { createHttpServer } from './http/http-server.js';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown.js';
import { createRedisClient, waitUntilReady } from './rate-limit/rate-limit.redis-store.js';
import { createLogger, knexLog } from './logger.js';

/** How long start-up waits for Redis; without it the server starts anyway (not rate limited until it connects). */
const REDIS_START_WAIT_MS = 2_000;

/** The only file that opens a port: one server, or with WEB_CONCURRENCY > 1 the primary of that many. */
async function main(): Promise<void> {
  const config = loadConfig(process.env, { stdoutIsTTY: process.stdout.isTTY });
  const logger = createLogger(config);
  if (cluster.isPrimary && config.webConcurrency > 1) return runPrimary(config, logger);
  return serve(config, logger);
}

/** Opens the database and serves until SIGTERM/SIGINT; a cluster worker leaves the migrations to its primary. */
async function serve(config: Config, logger: Logger): Promise<void> {
  // A stop asked for while starting (migrations can take a while) is honoured once the database is open.
  let stopDuringStart: NodeJS.Signals | undefined;
  const rememberStop = (signal: NodeJS.Signals) => (stopDuringStart = signal);
  process.on('SIGTERM', rememberStop).on('SIGINT', rememberStop);
  logger.info('opening the database');
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
    await database.close();
    return;
  }

  const redis = config.rateLimit.redisUrl ? createRedisClient(config.rateLimit.redisUrl, logger) : undefined;
  if (redis) await waitUntilReady(redis, REDIS_START_WAIT_MS);
  const close = async () => {
    redis?.disconnect(); // counters need no flushing: every hit was written when it was counted
    await database.close();
  };

  const server = createHttpServer(
    createApp({ config, db: database.knex, logger, redis, clusterWorker: cluster.isWorker }),
    { requestTimeoutMs: config.http.requestTimeoutMs, logger },
  );
  installGracefulShutdown({ server, logger, timeoutMs: config.shutdownTimeoutMs, close });
  server.listen(config.port, config.host);
  try {
    await once(server, 'listening');
  } catch (error) {
    await close(); // releases the data directory for the next start
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ host: config.host, port }, `listening on http://${config.host}:${port}`);
}

main().catch((error: unknown) => {
  // Start-up problems the operator can fix get one clear line, not a stack trace.
  if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
  else if (error instanceof DirectoryInUseError) console.error(`Cannot start: ${error.message}`);
  else if (isListenError(error)) console.error(`Cannot start: ${error.message}`);
  else if (isDatabaseUnavailable(error))
    console.error(`Cannot start: the database is unreachable (${describeCode(error)})`);
  else console.error(error);
  process.exit(1);
});

/** The driver's code (ECONNREFUSED, a SQLSTATE), or its message when it has none (an embedded database that failed to open). */
function describeCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : (error as Error).message.slice(0, 200);
}

function isListenError(error: unknown): error is Error {
  const code = (error as { code?: unknown })?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL';
}
