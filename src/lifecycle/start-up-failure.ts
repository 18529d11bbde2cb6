import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { isDatabaseUnavailable } from '../db/availability.js';
import { describeDatabaseFailure } from '../db/connection-failure.js';
import { DirectoryInUseError } from '../db/directory-lock.js';

/**
 * The one line that says why the server could not start, for the problems an operator can fix
 * (a setting, the port, the database): the cause and the variable to change, never a stack trace
 * nor a secret. Undefined for anything else: a bug, whose stack trace is then what helps.
 * `config` is undefined when the configuration itself could not be read.
 */
export function startUpFailureLine(
  error: unknown,
  config: Pick<Config, 'host' | 'port' | 'databaseUrl' | 'dbTimeouts' | 'dataDir'> | undefined,
): string | undefined {
  if (error instanceof ConfigError) return `Configuration error: ${error.message}`;
  if (error instanceof DirectoryInUseError) return `Cannot start: ${error.message}`;
  if (config === undefined) return undefined;
  const listen = describeListenFailure(error, config);
  if (listen) return `Cannot start: ${listen}`;
  if (config.databaseUrl) {
    const database = describeDatabaseFailure(error, config.databaseUrl, config.dbTimeouts);
    return database && `Cannot start: ${database}`;
  }
  if (isDatabaseUnavailable(error))
    return `Cannot start: the embedded database in DATA_DIR (${config.dataDir}) could not be opened: ${(error as Error).message.split('\n', 1)[0]}`;
  return undefined;
}

function describeListenFailure(error: unknown, { host, port }: Pick<Config, 'host' | 'port'>): string | undefined {
  const { syscall, code } = (error ?? {}) as { syscall?: unknown; code?: unknown };
  // `bind` in a cluster worker, whose primary binds the shared socket for it.
  if (syscall !== 'listen' && syscall !== 'bind') return undefined;
  switch (code) {
    case 'EADDRINUSE':
      return `PORT ${port} is already in use on HOST ${host} (EADDRINUSE): stop what listens there or choose another PORT`;
    case 'EACCES':
      return `listening on PORT ${port} is not permitted (EACCES): choose a PORT above 1023`;
    case 'EADDRNOTAVAIL':
      return `HOST ${host} is not an address of this machine (EADDRNOTAVAIL): choose another HOST`;
    default:
      return `cannot listen on HOST ${host}, PORT ${port} (${String(code)})`;
  }
}
