import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

// A PostgreSQL server of a test's own, on a free loopback port, that the test may stop and start
// at will (the machine's own server on 5432 is never touched). Every step is bounded in time;
// `remove()` stops the server and deletes its directory, and a process 'exit' hook does the same
// for any instance a failed run left behind.

const run = promisify(execFile);

/**
 * Bounds on initdb and on pg_ctl's own waits (`-w`: pg_ctl waits for the server to accept
 * connections, or for it to be gone): a step that takes longer fails the test, with the server's
 * log. Generous: both take a second or two on an idle machine, many more on a loaded one.
 */
const INITDB_TIMEOUT_MS = 120_000;
const PG_CTL_WAIT_SECONDS = 90;
const PG_CTL_TIMEOUT_MS = (PG_CTL_WAIT_SECONDS + 10) * 1000;

export interface ThrowawayPostgres {
  readonly port: number;
  /** The `postgres` database as the `postgres` superuser, trust authentication. */
  readonly adminUrl: string;
  urlFor(database: string): string;
  /** Fast shutdown: open connections are terminated, new ones refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server if it runs and deletes its directory; safe to call more than once. */
  remove(): Promise<void>;
}

/** The directory holding initdb and pg_ctl, or undefined when PostgreSQL's server tools are not installed. */
export function postgresBinDir(): string | undefined {
  const versioned = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => `/usr/lib/postgresql/${version}/bin`)
    : [];
  const candidates = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/bin', ...versioned];
  return candidates.find(
    (dir) => dir && isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'pg_ctl')),
  );
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Who the PostgreSQL tools run as: initdb, postgres and PgBouncer refuse to run as root, so a test
 * run as root runs them as the `postgres` system user (in directories that user owns).
 */
export interface SystemUser {
  readonly uid: number;
  readonly gid: number;
}

export function unprivilegedUser(): SystemUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A fresh directory under the OS temp dir, owned by `user` when one is given. */
export async function makeOwnedTempDir(prefix: string, user: SystemUser | undefined): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  if (user) await chown(dir, user.uid, user.gid);
  return dir;
}

/** A TCP port on loopback that nothing listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const live = new Set<{ dataDir: string; dir: string; pgCtl: string; user: SystemUser | undefined }>();

process.once('exit', () => {
  for (const instance of live) {
    try {
      execFileSync(instance.pgCtl, ['stop', '-D', instance.dataDir, '-m', 'immediate', '-w', '-t', '10'], {
        stdio: 'ignore',
        timeout: 15_000,
        ...instance.user,
      });
    } catch {
      // not running
    }
    rmSync(instance.dir, { recursive: true, force: true });
  }
});

export interface ThrowawayOptions {
  /**
   * The lines of its pg_hba.conf (who may connect, and how), in place of initdb's trust for
   * everyone: for a server that asks for a password, or accepts some roles only over TLS.
   */
  readonly hba?: readonly string[];
}

export async function createThrowawayPostgres({ hba }: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('initdb and pg_ctl are not installed');
  const user = unprivilegedUser();
  const dir = await makeOwnedTempDir('todo-throwaway-pg-', user);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  const pgCtl = path.join(bin, 'pg_ctl');
  const instance = { dataDir, dir, pgCtl, user };
  live.add(instance);
  const options = { ...user, env: { PATH: process.env.PATH, LC_ALL: 'C' }, cwd: dir };

  const withLog = async (step: string, action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`throwaway PostgreSQL: ${step} failed: ${(error as Error).message}\n${log.slice(-2000)}`, {
        cause: error,
      });
    }
  };

  let port = 0;
  const start = () =>
    withLog('start', () =>
      run(
        pgCtl,
        [
          'start',
          '-D',
          dataDir,
          '-l',
          logFile,
          '-w',
          '-t',
          String(PG_CTL_WAIT_SECONDS),
          // Loopback only, its own socket directory, and no durability: the data is thrown away.
          '-o',
          `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
        ],
        { ...options, timeout: PG_CTL_TIMEOUT_MS },
      ),
    );
  const stop = (mode: 'fast' | 'immediate') =>
    run(pgCtl, ['stop', '-D', dataDir, '-m', mode, '-w', '-t', String(PG_CTL_WAIT_SECONDS)], {
      ...options,
      timeout: PG_CTL_TIMEOUT_MS,
    });

  const remove = async () => {
    if (!live.delete(instance)) return;
    await stop('immediate').catch(() => undefined); // not running is fine
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await withLog('initdb', () =>
      run(
        path.join(bin, 'initdb'),
        ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        {
          ...options,
          timeout: INITDB_TIMEOUT_MS,
        },
      ),
    );
    if (hba) await writeFile(path.join(dataDir, 'pg_hba.conf'), `${hba.join('\n')}\n`, { mode: 0o644 });
    port = await freePort();
    await start();
  } catch (error) {
    await remove();
    throw error;
  }

  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    adminUrl: urlFor('postgres'),
    urlFor,
    stop: () => withLog('stop', () => stop('fast')),
    start,
    remove,
  };
}
