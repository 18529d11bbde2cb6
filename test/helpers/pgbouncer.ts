import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { freePort, isExecutable, makeOwnedTempDir, unprivilegedUser } from './throwaway-postgres.js';
import { EVENT_BOUND_MS, EXIT_BOUND_MS, pollUntil, START_BOUND_MS, within } from './wait.js';

// A PgBouncer in transaction pooling mode on a free loopback port, in front of a PostgreSQL that
// accepts `postgres` with trust authentication: what a managed pooled endpoint (Neon, a PgBouncer
// sidecar) looks like to the service. Start and stop wait for the event (the port accepting
// connections, the process exiting), bounded; killed on process exit at the latest.

const DEBIAN_PATH = '/usr/sbin/pgbouncer';

export interface PgBouncer {
  readonly port: number;
  /** `database` on the PostgreSQL behind it, through the pooler. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export function pgbouncerPath(): string | undefined {
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'pgbouncer')),
    DEBIAN_PATH,
  ];
  return candidates.find((file) => isExecutable(file));
}

export async function startPgBouncer(server: { host: string; port: number }): Promise<PgBouncer> {
  const binary = pgbouncerPath();
  if (!binary) throw new Error('pgbouncer is not installed');
  const user = unprivilegedUser(); // PgBouncer refuses to run as root
  const dir = await makeOwnedTempDir('todo-pgbouncer-', user);
  const port = await freePort();
  const ini = path.join(dir, 'pgbouncer.ini');
  // Trust authentication still needs the user listed in auth_file.
  await writeFile(path.join(dir, 'users.txt'), '"postgres" ""\n');
  await writeFile(
    ini,
    [
      '[databases]',
      `* = host=${server.host} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      // Server connections are shared between clients statement by statement: no session state survives.
      'pool_mode = transaction',
      'default_pool_size = 20',
      'max_client_conn = 500',
      // Nothing in ignore_startup_parameters: startup parameters are refused, as on a stock pooler.
      '',
    ].join('\n'),
  );

  const child = spawn(binary, [ini], { ...user, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = once(child, 'exit');
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const cleanUp = () => {
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilListening(port, exited);
  } catch (error) {
    child.kill('SIGKILL');
    cleanUp();
    throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${stderr}`, { cause: error });
  }

  return {
    port,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // immediate shutdown: the clients are gone by now
        const stopped = await within(exited, EVENT_BOUND_MS, 'pgbouncer to exit on SIGTERM').then(
          () => true,
          () => false,
        );
        if (!stopped) {
          child.kill('SIGKILL');
          await within(exited, EXIT_BOUND_MS, 'pgbouncer to die after SIGKILL', () => `\n${stderr}`);
        }
      }
      cleanUp();
    },
  };
}

/** The event is the port accepting a connection (what the suites need of it), polled: nothing announces it. */
async function waitUntilListening(port: number, exited: Promise<unknown>): Promise<void> {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  await pollUntil(
    async () => {
      if (hasExited) throw new Error('it exited');
      return accepts(port);
    },
    `port ${port} to accept connections`,
    { ms: START_BOUND_MS, everyMs: 50 },
  );
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
