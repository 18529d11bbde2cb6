import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { adminKnex, DATABASE_KINDS, POSTGRES_ADMIN_URL } from '../helpers/databases.js';
import { cleanUpProcesses, runScript, runServerToExit, startServer, type Finished } from '../helpers/server-process.js';
import {
  createThrowawayPostgres,
  freePort,
  postgresBinDir,
  type ThrowawayPostgres,
} from '../helpers/throwaway-postgres.js';
import { PROCESS_TEST_TIMEOUT_MS } from '../helpers/wait.js';

// What an operator sees when DATABASE_URL is wrong: the real server process against real servers
// (the machine's PostgreSQL, one of the test's own whose pg_hba.conf asks for a password or TLS, a
// socket that never answers), each failure one line on stderr naming the cause and DATABASE_URL,
// without its password, exit code 1, and no stack trace anywhere, in the log either.

describe('start-up failures on the database: one line naming the cause and DATABASE_URL, exit code 1', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  afterEach(cleanUpProcesses);

  const local = (change: (url: URL) => void): string => {
    const url = new URL(POSTGRES_ADMIN_URL);
    change(url);
    return url.toString();
  };
  const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

  describe('on the machine’s PostgreSQL', () => {
    before(function () {
      if (!DATABASE_KINDS.includes('postgres')) this.skip();
    });

    it('a database that does not exist (3D000)', async () => {
      const name = unique('no_such_database');
      const url = local((u) => (u.pathname = `/${name}`));
      const result = await startWith(url);
      expect(result.stderr).to.equal(
        `Cannot start: the database "${name}" named by DATABASE_URL (${url}) does not exist on ${serverOf(url)} (3D000)\n`,
      );
    });

    it('make migrate says it the same way', async () => {
      const name = unique('no_such_database');
      const url = local((u) => (u.pathname = `/${name}`));
      const result = await runScript('src/cli/migrate.ts', [], { env: { DATABASE_URL: url } });
      expect({ code: result.code, stderr: result.stderr }).to.deep.equal({
        code: 1,
        stderr: `Cannot migrate: the database "${name}" named by DATABASE_URL (${url}) does not exist on ${serverOf(url)} (3D000)\n`,
      });
    });

    it('a role that does not exist (28000), its password not shown', async () => {
      const role = unique('no_such_role');
      const url = local((u) => {
        u.username = role;
        u.password = 'not-to-be-printed';
      });
      const result = await startWith(url);
      expect(result.stderr)
        .to.match(
          /^Cannot start: the role "no_such_role_\w+" named by DATABASE_URL \(postgres:\/\/no_such_role_\w+:\*\*\*@/,
        )
        .and.to.include(`does not exist on ${serverOf(url)} (28000)`);
    });

    it('TLS asked for (sslmode=require) from a server that does not offer it', async function () {
      const admin = adminKnex(POSTGRES_ADMIN_URL);
      let ssl: { rows: { ssl: string }[] };
      try {
        ssl = await admin.raw<{ rows: { ssl: string }[] }>('show ssl');
      } finally {
        await admin.destroy();
      }
      if (ssl.rows[0]?.ssl !== 'off') this.skip(); // a server with TLS would accept the connection
      const url = local((u) => u.searchParams.set('sslmode', 'require'));
      const result = await startWith(url);
      expect(result.stderr).to.equal(
        `Cannot start: DATABASE_URL (${url}) asks for TLS (sslmode=require) but ${serverOf(url)} does not support it: remove it, or enable ssl on the server\n`,
      );
    });
  });

  describe('on a PostgreSQL that asks for a password, or for TLS', () => {
    let server: ThrowawayPostgres;
    const PASSWORD = 'the-right-password';

    before(async function () {
      if (!postgresBinDir()) this.skip();
      this.timeout(PROCESS_TEST_TIMEOUT_MS);
      server = await createThrowawayPostgres({
        hba: [
          'local all all trust',
          // Without TLS (this server has none), no line lets tls_only in: as on a server that requires TLS.
          'hostssl all all 127.0.0.1/32 trust',
          'host all with_password 127.0.0.1/32 scram-sha-256',
          'host all postgres,no_rights 127.0.0.1/32 trust',
        ],
      });
      const admin = adminKnex(server.adminUrl);
      try {
        await admin.raw('create role tls_only login');
        await admin.raw('create role no_rights login');
        await admin.raw(`create role with_password login password '${PASSWORD}'`);
        await admin.raw('create database with_password owner with_password');
      } finally {
        await admin.destroy();
      }
    });
    after(() => server?.remove());

    const urlAs = (role: string, password?: string) => {
      const url = new URL(server.urlFor(role === 'with_password' ? 'with_password' : 'postgres'));
      url.username = role;
      if (password) url.password = password;
      return url.toString();
    };

    it('a wrong password (28P01), not shown', async () => {
      const url = urlAs('with_password', 'a-wrong-password');
      const result = await startWith(url);
      expect(result.stderr).to.equal(
        `Cannot start: ${serverOf(url)} refused the password for role "with_password" in DATABASE_URL (${url.replace('a-wrong-password', '***')}) (28P01)\n`,
      );
      expect(result.stderr + result.stdout).not.to.include('a-wrong-password');
    });

    it('no password where one is asked for', async () => {
      const url = urlAs('with_password');
      const result = await startWith(url);
      expect(result.stderr).to.equal(
        `Cannot start: ${serverOf(url)} asks for a password for role "with_password", and DATABASE_URL (${url}) has none\n`,
      );
    });

    it('a server that accepts the role only over TLS (28000, no pg_hba.conf entry … no encryption)', async () => {
      const url = urlAs('tls_only');
      const result = await startWith(url);
      expect(result.stderr, result.stderr)
        .to.match(
          /^Cannot start: 127\.0\.0\.1:\d+ accepts only TLS connections: add sslmode=require to DATABASE_URL \(postgres:\/\/tls_only@127\.0\.0\.1:\d+\/postgres\) \(28000: no pg_hba\.conf entry for host "127\.0\.0\.1", user "tls_only"/,
        )
        .and.to.match(/(no encryption|SSL off)\)\n$/);
    });

    it('a role that may not create the tables (42501): the server’s own words', async () => {
      const url = urlAs('no_rights');
      const result = await startWith(url);
      expect(
        result.stderr.startsWith(`Cannot start: the database of DATABASE_URL (${url}) failed: create table`),
      ).to.equal(true, result.stderr);
      expect(result.stderr).and.to.match(/permission denied for schema public \(42501\)\n$/);
    });

    it('the right password: it starts (the failures above are the settings’, not the server’s)', async () => {
      const server = await startServer({ env: { DATABASE_URL: urlAs('with_password', PASSWORD) } });
      expect(server.logs().map((line) => line.msg)).to.include('database ready');
      server.signal('SIGTERM');
      expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });
    });
  });

  describe('a database server that cannot be reached', () => {
    it('a host that is not found (ENOTFOUND)', async () => {
      const url = 'postgres://app:secret-password@no-such-host.invalid:5432/todo';
      const result = await startWith(url);
      expect(result.stderr).to.equal(
        'Cannot start: the database host "no-such-host.invalid" in DATABASE_URL (postgres://app:***@no-such-host.invalid:5432/todo) was not found (ENOTFOUND)\n',
      );
    });

    it('a port nothing listens on (ECONNREFUSED)', async () => {
      const url = `postgres://postgres@127.0.0.1:${await freePort()}/todo`;
      const result = await startWith(url);
      expect(result.stderr).to.equal(
        `Cannot start: nothing accepts connections at ${serverOf(url)}, the database server of DATABASE_URL (${url}) (ECONNREFUSED)\n`,
      );
    });

    it('a server that never answers: bounded by DB_CONNECT_TIMEOUT_MS', async () => {
      const silent = net.createServer(() => undefined); // accepts, and says nothing
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const url = `postgres://postgres@127.0.0.1:${(silent.address() as net.AddressInfo).port}/todo`;
        // With the pool's wait longer than the connection's, the connection's runs out first; with
        // both equal, either may: the same line.
        for (const acquire of ['1000', '300']) {
          const result = await startWith(url, { DB_CONNECT_TIMEOUT_MS: '300', DB_ACQUIRE_TIMEOUT_MS: acquire });
          expect(result.stderr).to.equal(
            `Cannot start: the database server ${serverOf(url)} of DATABASE_URL (${url}) did not answer within DB_CONNECT_TIMEOUT_MS (300 ms)\n`,
          );
        }
      } finally {
        silent.close();
      }
    });
  });
});

function serverOf(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port || '5432'}`;
}

/** Runs the server on `url` until it exits, and expects the start to fail as an operator should see it. */
async function startWith(url: string, env: Record<string, string> = {}): Promise<Finished> {
  const result = await runServerToExit({ env: { DATABASE_URL: url, ...env } });
  expect({ code: result.code, signal: result.signal }, result.stderr).to.deep.equal({ code: 1, signal: null });
  expect(result.stderr.trimEnd().split('\n'), result.stderr).to.have.length(1);
  // Not in the log either (Knex's warnings used to carry the driver's stack).
  expect(result.stdout + result.stderr, 'a stack trace').not.to.match(/^\s+at |\\n\s+at /m);
  expect(result.stdout).not.to.include('listening on');
  return result;
}
