import path from 'node:path';
import { open, readFile, unlink } from 'node:fs/promises';

/** Another live process holds the directory. */
export class DirectoryInUseError extends Error {
  override name = 'DirectoryInUseError';
}

const LOCK_FILE = 'server.pid';

/**
 * Takes the directory for this process, so that two servers never open one embedded database
 * (PGlite has no lock of its own, and two writers corrupt it silently). The lock is a file holding
 * the owner's pid; a lock left by a process that no longer runs is taken over.
 * Returns the function that releases it.
 */
export async function acquireDirectoryLock(directory: string): Promise<() => Promise<void>> {
  const lockPath = path.join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(lockPath).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      // Our own pid in the file is a lock left by an earlier run (a container's pid 1, say).
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw new DirectoryInUseError(`${directory} is in use by process ${owner}; stop it or choose another DATA_DIR`);
      }
      await unlink(lockPath).catch(() => undefined);
    }
  }
  throw new DirectoryInUseError(`${directory} is being taken by another process; try again`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
