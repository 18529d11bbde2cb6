import type { Logger } from 'pino';
import { eventSignalFor, startBackground } from './background.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { startUpFailureLine } from './lifecycle/start-up-failure.js';
import { createLogger, knexLog, logProcessWarnings } from './logger.js';
import { createRedisClient } from './rate-limit/rate-limit.redis-store.js';

/** The configuration once read: the start-up failure line names what it holds. */
let loadedConfig: Config | undefined;

/**
 * `make worker`: a process that runs the background jobs (webhook deliveries, reminders, the
 * trash's purge) and serves no HTTP, for running them apart from the API processes (which then
 * run with RUN_JOBS=false). Any number of them may run: each job runs in one process at a time.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env, { stdoutIsTTY: process.stdout.isTTY });
  loadedConfig = config;
  if (!config.databaseUrl) {
    throw new ConfigError(
      'make worker needs DATABASE_URL: the embedded database serves one process, which runs the jobs itself',
    );
  }
  const logger: Logger = createLogger(config);
  logProcessWarnings(logger);
  const database = await openDatabase(config, knexLog(logger));
  const redis = config.rateLimit.redisUrl ? createRedisClient(config.rateLimit.redisUrl, logger) : undefined;
  const signal = eventSignalFor(config, database.knex, database.kind, redis, logger);
  const engine = await startBackground({
    config: { ...config, background: { ...config.background, runJobs: true } },
    db: database.knex,
    kind: database.kind,
    logger,
    signal,
  });
  logger.info({ database: database.kind }, 'worker running the background jobs');
  const stop = async (signalName: NodeJS.Signals) => {
    logger.info({ signal: signalName }, 'worker stopping');
    await engine.stop();
    await signal.close();
    redis?.disconnect();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', (name) => void stop(name)).once('SIGINT', (name) => void stop(name));
}

main().catch((error: unknown) => {
  console.error(startUpFailureLine(error, loadedConfig) ?? error);
  process.exit(1);
});
