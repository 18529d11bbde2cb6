// `make migrate`: brings the configured database (DATABASE_URL, or the embedded one) up to date.
import { ConfigError, loadDatabaseConfig } from '../config.js';
import { openDatabase } from '../db/database.js';

try {
  const database = await openDatabase(loadDatabaseConfig(process.env));
  await database.close();
  console.log(`migrations applied (${database.kind})`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration error: ${error.message}`);
  process.exit(1);
}
