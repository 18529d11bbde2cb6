// `make reset`: empties the embedded database of DATA_DIR, so that the next `make run` starts on a
// fresh one. Refused while a server holds the directory (its lock, src/db/directory-lock.ts), with
// DATABASE_URL set (that database is not ours to drop) and in production. The development secret
// stays, so tokens from `make token` stay valid.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { dataDirOf } from '../config.js';
import { PGLITE_DIRECTORY } from '../db/database.js';
import { acquireDirectoryLock, DirectoryInUseError } from '../db/directory-lock.js';

if (process.env.NODE_ENV === 'production')
  refuse('make reset is for development; it is refused with NODE_ENV=production');
if (process.env.DATABASE_URL?.trim()) {
  refuse('DATABASE_URL is set: make reset empties only the embedded database (DATA_DIR); unset DATABASE_URL');
}
const dataDir = dataDirOf(process.env);
const database = path.join(dataDir, PGLITE_DIRECTORY);
if (!existsSync(database)) {
  console.log(`Nothing to reset: ${dataDir} holds no database`);
  process.exit(0);
}
try {
  const release = await acquireDirectoryLock(dataDir);
  try {
    await rm(database, { recursive: true, force: true });
  } finally {
    await release();
  }
} catch (error) {
  if (error instanceof DirectoryInUseError) refuse(error.message);
  throw error;
}
console.log(`Emptied the embedded database in ${database} (the development secret is kept: tokens stay valid)`);

function refuse(reason: string): never {
  console.error(`Cannot reset: ${reason}`);
  process.exit(1);
}
