import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where the development secret of a data directory is kept. */
export function devSecretPath(dataDir: string): string {
  return path.join(dataDir, 'dev-secret');
}

/**
 * The development secret kept in `dataDir`, created on first use (mode 0600), so that `make run`
 * and `make token` agree without configuration. It belongs to the data directory: a server run
 * with another DATA_DIR has another secret, and refuses the tokens signed with this one.
 */
export async function devSecret(dataDir: string): Promise<string> {
  const file = devSecretPath(dataDir);
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return (await readFile(file, 'utf8')).trim();
}
