// `make migrate`: brings the configured database (DATABASE_URL, or the embedded one) up to date.
import { ConfigError, loadDatabaseConfig } from '../config.js';
import { describeDatabaseFailure } from '../db/connection-failure.js';
import { openDatabase } from '../db/database.js';
import { DirectoryInUseError } from '../db/directory-lock.js';

let config: ReturnType<typeof loadDatabaseConfig> | undefined;
try {
  config = loadDatabaseConfig(process.env);
  const database = await openDatabase(config);
  await database.close();
  console.log(`migrations applied (${database.kind})`);
} catch (error) {
  // As the server says it at start (src/lifecycle/start-up-failure.ts): one line, no stack trace, no password.
  if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
  else if (error instanceof DirectoryInUseError) console.error(`Cannot migrate: ${error.message}`);
  else {
    const line = config?.databaseUrl && describeDatabaseFailure(error, config.databaseUrl, config.dbTimeouts);
    if (!line) throw error;
    console.error(`Cannot migrate: ${line}`);
  }
  process.exit(1);
}
