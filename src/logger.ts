import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';
import type { KnexLog } from './db/database.js';

/** Paths that may hold credentials; pino-http logs request and response headers under these keys. */
const REDACTED = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

/** `destination` is for tests that read the log; by default pino writes to stdout. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: REDACTED, censor: '[redacted]' },
    ...(config.logFormat === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Where Knex's own warnings and errors go: this logger, marked as Knex's. */
export function knexLog(logger: Logger): KnexLog {
  return {
    warn: (message) => logger.warn({ component: 'knex' }, message),
    error: (message) => logger.error({ component: 'knex' }, message),
  };
}
