import { createServer } from 'node:http';
import { once } from 'node:events';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { isDatabaseUnavailable } from './db/availability.js';
import { DirectoryInUseError } from './db/directory-lock.js';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown.js';
import { createLogger } from './logger.js';

/** The only file that opens a port. */
async function main(): Promise<void> {
  const config = loadConfig(process.env, { stdoutIsTTY: process.stdout.isTTY });
  const logger = createLogger(config);
  // A stop asked for while starting (migrations can take a while) is honoured once the database is open.
  let stopDuringStart: NodeJS.Signals | undefined;
  const rememberStop = (signal: NodeJS.Signals) => (stopDuringStart = signal);
  process.on('SIGTERM', rememberStop).on('SIGINT', rememberStop);
  logger.info('opening the database');
  const database = await openDatabase(config, {
    warn: (message) => logger.warn({ component: 'knex' }, message),
    error: (message) => logger.error({ component: 'knex' }, message),
  });
  logger.info(
    { database: database.kind, ...(database.kind === 'pglite' ? { data_dir: config.dataDir } : {}) },
    'database ready',
  );

  process.off('SIGTERM', rememberStop).off('SIGINT', rememberStop);
  if (stopDuringStart) {
    logger.info({ signal: stopDuringStart }, 'stopped before serving');
    await database.close();
    return;
  }

  const server = createServer(createApp({ config, db: database.knex, logger }));
  installGracefulShutdown({ server, logger, timeoutMs: config.shutdownTimeoutMs, close: database.close });
  server.listen(config.port, config.host);
  try {
    await once(server, 'listening');
  } catch (error) {
    await database.close(); // releases the data directory for the next start
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
  else if (isDatabaseUnavailable(error)) console.error(`Cannot start: the database is unreachable (${describeCode(error)})`);
  else console.error(error);
  process.exit(1);
});

function describeCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'no connection';
}

function isListenError(error: unknown): error is Error {
  const code = (error as { code?: unknown })?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL';
}
