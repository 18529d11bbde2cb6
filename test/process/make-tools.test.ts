import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { decodeJwt, jwtVerify } from 'jose';
import { request, type Task } from '../helpers/api-client.js';
import { cleanUpProcesses, makeTempDir, startServer } from '../helpers/server-process.js';
import { tokenFor } from '../helpers/tokens.js';
import { PROCESS_TEST_TIMEOUT_MS, START_BOUND_MS } from '../helpers/wait.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface MakeRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `make -s TARGET VAR=…` with a minimal environment (`-o`: never reinstall under the running suite). */
function runMake(args: readonly string[], env: Record<string, string> = {}): Promise<MakeRun> {
  return new Promise((resolve, reject) => {
    execFile(
      'make',
      ['-s', '-o', 'node_modules/.installed', ...args],
      {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        timeout: START_BOUND_MS,
      },
      (error: (Error & { code?: unknown }) | null, stdout: string, stderr: string) => {
        // A numeric code is make's exit status; anything else (not found, killed at the bound) is a failure to run it.
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

describe('development tools: make token, make reset', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  afterEach(cleanUpProcesses);

  describe('make token', () => {
    it("refuses without USER= on its command line, even with the shell's $USER set, and says how", async () => {
      const dataDir = await makeTempDir();
      const result = await runMake(['token'], { USER: 'someone', DATA_DIR: dataDir });
      expect(result.code).to.not.equal(0);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.include('make token USER=alice');
    });

    it("signs with DATA_DIR's development secret and says how long the token lives and who accepts it", async () => {
      const dataDir = await makeTempDir();
      const result = await runMake(['token', 'USER=alice', `DATA_DIR=${dataDir}`]);
      expect(result.code, result.stderr).to.equal(0);
      const token = result.stdout.trim();
      const secret = (await readFile(path.join(dataDir, 'dev-secret'), 'utf8')).trim();
      const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
      expect(payload.sub).to.equal('alice');
      expect(payload.exp! - payload.iat!).to.equal(3600);
      const until = new Date(payload.exp! * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      expect(result.stderr).to.include(`Valid for 1 h, until ${until}`).and.include(`DATA_DIR=${dataDir}`);
    });

    it('signs with BETTER_AUTH_SECRET when it is set, and says so', async () => {
      const secret = 'a-configured-secret-that-is-long-enough-42';
      const result = await runMake(['token', 'USER=bob'], {
        BETTER_AUTH_SECRET: secret,
        DATA_DIR: await makeTempDir(),
      });
      expect(result.code, result.stderr).to.equal(0);
      await jwtVerify(result.stdout.trim(), new TextEncoder().encode(secret));
      expect(decodeJwt(result.stdout.trim()).sub).to.equal('bob');
      expect(result.stderr).to.include('a server with the same BETTER_AUTH_SECRET');
    });

    it('refuses production without BETTER_AUTH_SECRET: one line, no secret written', async () => {
      const dataDir = await makeTempDir();
      const result = await runMake(['token', 'USER=alice'], { NODE_ENV: 'production', DATA_DIR: dataDir });
      expect(result.code).to.not.equal(0);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(/^Configuration error: BETTER_AUTH_SECRET is required in production/);
      expect(existsSync(path.join(dataDir, 'dev-secret'))).to.equal(false);
    });
  });

  describe('make reset', () => {
    it('refuses while a server holds DATA_DIR, then empties the database once it stopped (the secret stays)', async () => {
      const server = await startServer();
      // Signed with DATA_DIR's development secret, for the server started after the reset.
      const token = (await runMake(['token', 'USER=alice', `DATA_DIR=${server.dataDir}`])).stdout.trim();
      const created = await request<Task>(server.baseUrl, 'POST', '/api/carol/tasks', {
        token: await tokenFor('carol'),
        json: { title: 'Kept until the reset' },
      });
      expect(created.status).to.equal(201);

      const refused = await runMake(['reset'], { DATA_DIR: server.dataDir });
      expect(refused.code).to.not.equal(0);
      expect(refused.stderr.trimEnd().split('\n')[0]).to.equal(
        `Cannot reset: ${server.dataDir} is in use by process ${server.pid}; stop it or choose another DATA_DIR`,
      );
      expect(existsSync(path.join(server.dataDir, 'pgdata')), 'the database is untouched').to.equal(true);

      server.signal('SIGTERM');
      expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });
      const reset = await runMake(['reset'], { DATA_DIR: server.dataDir });
      expect(reset.code, reset.stderr).to.equal(0);
      expect(reset.stdout).to.include('Emptied the embedded database');
      expect(existsSync(path.join(server.dataDir, 'pgdata'))).to.equal(false);

      const secret = (await readFile(path.join(server.dataDir, 'dev-secret'), 'utf8')).trim();
      const again = await startServer({ dataDir: server.dataDir, env: { BETTER_AUTH_SECRET: secret } });
      const listed = await request<{ items: Task[] }>(again.baseUrl, 'GET', '/api/alice/tasks', { token });
      expect(listed.status, 'the token from before the reset is still accepted').to.equal(200);
      const carols = await request<{ items: Task[] }>(again.baseUrl, 'GET', '/api/carol/tasks', {
        token: (await runMake(['token', 'USER=carol', `DATA_DIR=${server.dataDir}`])).stdout.trim(),
      });
      expect(carols.body.items, 'the database was emptied').to.deep.equal([]);
    });

    it('refuses with DATABASE_URL set: that database is not the embedded one', async () => {
      const result = await runMake(['reset'], {
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
        DATA_DIR: await makeTempDir(),
      });
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.match(/^Cannot reset: DATABASE_URL is set/);
    });

    it('refuses production: DATA_DIR there holds data to keep', async () => {
      const dataDir = await makeTempDir();
      const result = await runMake(['reset'], { NODE_ENV: 'production', DATA_DIR: dataDir });
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.match(/^Cannot reset: make reset is for development/);
    });

    it('has nothing to do on a directory without a database', async () => {
      const result = await runMake(['reset'], { DATA_DIR: await makeTempDir() });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/^Nothing to reset: /);
    });
  });
});
