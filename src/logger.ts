import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';
import type { KnexLog } from './db/database.js';

/**
 * Paths that may hold credentials: the request's headers, which src/http/request-log.ts logs under
 * `req.headers` (every one at `debug`). The response's headers are never logged.
 */
const REDACTED = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]'];

/** The most log output held in memory while stdout's reader is behind (a few thousand lines). */
const LOG_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * `destination` is for tests that read the log; by default pino writes to stdout, asynchronously:
 * a line is written at once when no write is under way, and the lines logged meanwhile go
 * together in the next write, so that under load a request's line is not a system call of its own
 * (a synchronous write each was a tenth of a request's cost, make bench). What is still buffered
 * when the process exits is written then (pino flushes at exit); only a SIGKILL loses it. The
 * buffer is bounded: while whatever reads stdout has fallen LOG_BUFFER_BYTES behind, lines are
 * dropped rather than held, so that a stalled log reader cannot grow the process's memory.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: REDACTED, censor: '[redacted]' },
  };
  if (config.logFormat === 'pretty')
    return pino({ ...options, transport: { target: 'pino-pretty', options: prettyOptions(config) } });
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_BYTES }));
}

/**
 * A terminal's view (development): a line per request, `GET /api/alice/tasks 200 12 ms user=alice
 * id=…` (the message src/http/request-log.ts writes, then who and which request), and every other
 * line's fields on that same line. The request's other fields stay in the JSON form; its headers
 * are shown at `debug`, the level at which they are logged at all.
 */
export function prettyOptions(config: Pick<Config, 'logLevel'>): Record<string, unknown> {
  // The start-up lines' fields (src/lifecycle/start-up-line.ts), which their messages already say.
  const startUpFields = ['host', 'port', 'docs', 'token'];
  const requestFields = ['req.id', 'req.method', 'req.url', 'res', 'responseTime', 'user_id', 'operation'];
  const debug = config.logLevel === 'debug' || config.logLevel === 'trace';
  return {
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    messageFormat: '{msg}{if user_id} user={user_id}{end}{if req.id} id={req.id}{end}',
    ignore: ['pid', 'hostname', ...startUpFields, ...(debug ? requestFields : [...requestFields, 'req'])].join(','),
  };
}

/**
 * Node's process warnings (a deprecation, a library's notice such as pg's about `sslmode`) as log
 * lines (one each, its first line as the message), instead of Node's own printing of them on stderr, several lines each, beside the log.
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    // One line: the message's first line (pg's about `sslmode` runs to ten), the rest beside it.
    const [first, ...rest] = warning.message.split('\n');
    const detail = rest.join('\n').trim();
    logger.warn(
      { warning: warning.name, ...(warning.code ? { code: warning.code } : {}), ...(detail ? { detail } : {}) },
      first,
    );
  });
}

/**
 * Where Knex's own warnings and errors go: this logger, marked as Knex's. Knex appends the stack
 * of the driver's error ("Acquire connection error: …"): the driver's frames say nothing to an
 * operator, and in the pretty log each is a line of its own, so only the message is kept.
 */
export function knexLog(logger: Logger): KnexLog {
  return {
    warn: (message) => logger.warn({ component: 'knex' }, withoutStack(message)),
    error: (message) => logger.error({ component: 'knex' }, withoutStack(message)),
  };
}

function withoutStack(message: string): string {
  return message.replace(/\n\s+at [\s\S]*$/, '');
}
