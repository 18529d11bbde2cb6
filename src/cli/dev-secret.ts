// Prints the development secret kept under DATA_DIR, creating it on first use, so that `make run`
// and `make token` work without configuration. Never used when BETTER_AUTH_SECRET is set (nor by
// `make run` when JWT_JWKS_URL is), and refused in production: there, trust must be configured.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

if (process.env.NODE_ENV === 'production') {
  console.error('Configuration error: BETTER_AUTH_SECRET or JWT_JWKS_URL is required in production');
  process.exit(1);
}
const dataDir = path.resolve(process.env.DATA_DIR?.trim() || 'data');
const file = path.join(dataDir, 'dev-secret');
await mkdir(dataDir, { recursive: true });
try {
  await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
}
console.log((await readFile(file, 'utf8')).trim());
