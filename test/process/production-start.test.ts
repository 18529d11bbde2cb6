import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from '../helpers/api-client.js';
import { createEmptyPostgresDatabase, DATABASE_KINDS } from '../helpers/databases.js';
import {
  AUTH_ORIGIN,
  betterAuthUserId,
  generateSigningKey,
  JwksServer,
  signBetterAuthToken,
} from '../helpers/jwks-server.js';
import { cleanUpProcesses, makeTempDir, parseLogLines, type LogLine } from '../helpers/server-process.js';
import { EXIT_BOUND_MS, PROCESS_TEST_TIMEOUT_MS, within } from '../helpers/wait.js';

// The README's production command, as an operator runs it on a fresh clone: `make start` with
// NODE_ENV=production installs the packages (the dev dependencies too: the compiler), compiles the
// server, and runs `node dist/src/server.js` without tsx. Nothing is reused from this checkout but
// its committed HEAD: the clone installs with `npm ci` (from npm's cache when it holds the
// packages) and builds dist/ itself. About 30 s on an idle machine (npm ci 12 s, tsc 9 s).

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** `npm ci` and `tsc` in the clone: about 20 s idle, several times that on a loaded machine. */
const INSTALL_AND_BUILD_BOUND_MS = 8 * 60_000;
const WORKERS = 2;
const METRICS_TOKEN = 'a-metrics-token-for-the-readme-command';

describe('production from a fresh clone (the README: NODE_ENV=production … make start)', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS + INSTALL_AND_BUILD_BOUND_MS);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await cleanUpProcesses();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('installs, compiles, runs the compiled server without the compiler or tsx, serves, and stops on SIGTERM', async function () {
    if (!DATABASE_KINDS.includes('postgres')) this.skip();
    const clone = path.join(await makeTempDir(), 'todo-api');
    await promisify(execFile)('git', ['clone', '--quiet', PROJECT_ROOT, clone]);
    const database = await createEmptyPostgresDatabase('todo_production');
    cleanups.push(database.drop);
    const key = await generateSigningKey('EdDSA');
    const jwks = await JwksServer.start([key]);
    cleanups.push(() => jwks.close());

    // The README's command, pointed at this machine: no Redis (the counters then live in PostgreSQL).
    const env = {
      // This test's Node first: the one .nvmrc pins, which make would otherwise install into .tools/.
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
      HOME: process.env.HOME,
      // The packages from npm's cache when it has them (the registry is asked only for what it lacks).
      npm_config_prefer_offline: 'true',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: database.url,
      DB_POOL_MAX: '5',
      TRUST_PROXY: '1',
      JWT_JWKS_URL: jwks.url,
      JWT_ISSUER: AUTH_ORIGIN,
      JWT_AUDIENCE: AUTH_ORIGIN,
      CORS_ORIGINS: 'https://app.example.com',
      METRICS_TOKEN,
      WEB_CONCURRENCY: String(WORKERS),
    };
    const make = spawn('make', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    const lines: LogLine[] = [];
    const closed = once(make, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    cleanups.push(async () => {
      if (make.exitCode !== null || make.signalCode !== null) return;
      process.kill(-make.pid!, 'SIGKILL'); // its process group: make, and the servers it started
      await closed;
    });
    const sofar = () => `\n--- stdout\n${output.stdout}--- stderr\n${output.stderr}---`;
    make.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
    const listening = new Promise<LogLine[]>((resolve, reject) => {
      let partial = ''; // a line not yet complete
      make.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output.stdout += chunk;
        const complete = (partial + chunk).split('\n');
        partial = complete.pop()!;
        lines.push(...parseLogLines(complete.join('\n')));
        const workers = lines.filter((line) => String(line.msg).startsWith('listening on'));
        if (workers.length === WORKERS) resolve(workers);
      });
      void closed.then(([code]) => reject(new Error(`make start exited with ${code} before serving${sofar()}`)));
    });
    const workers = await within(listening, INSTALL_AND_BUILD_BOUND_MS, `${WORKERS} workers listening`, sofar);

    // What ran: the compiled server under plain node (the README's heap settings), no loader.
    const primaryPid = lines.find((line) => line.msg === 'applying migrations before starting the workers')?.pid;
    for (const pid of [primaryPid, ...workers.map((line) => line.pid)]) {
      const argv = (await readFile(`/proc/${String(pid)}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      // The primary as make started it; its workers as cluster forks them, with the script's full path.
      expect(argv.slice(1, -1), `process ${String(pid)}: ${argv.join(' ')}`).to.deep.equal([
        '--max-semi-space-size=8',
        '--max-old-space-size=200',
      ]);
      expect(path.resolve(clone, argv.at(-1)!)).to.equal(path.join(clone, 'dist/src/server.js'));
      expect(path.basename(argv[0]!)).to.equal('node');
      expect(await readlink(`/proc/${String(pid)}/cwd`)).to.equal(clone);
    }
    expect(output.stdout, 'built by the compiler that npm ci installed').to.include(
      'node_modules/.bin/tsc -p tsconfig.build.json',
    );

    const baseUrl = `http://127.0.0.1:${String(workers[0]!.port)}`;
    expect((await request(baseUrl, 'GET', '/health')).status).to.equal(200);
    expect((await request(baseUrl, 'GET', '/ready')).status).to.equal(200);
    const user = betterAuthUserId();
    const token = await signBetterAuthToken(key, { sub: user });
    const created = await request(baseUrl, 'POST', `/api/${user}/tasks`, { token, json: { title: 'In production' } });
    expect(created.status).to.equal(201);
    expect((await request(baseUrl, 'GET', '/metrics')).status).to.equal(401);
    const metrics = await request(baseUrl, 'GET', '/metrics', { token: METRICS_TOKEN });
    expect(metrics.status).to.equal(200);

    // SIGTERM to the server, as an orchestrator sends it: the workers finish, then make exits 0.
    process.kill(primaryPid as number, 'SIGTERM');
    const [code, signal] = await within(closed, EXIT_BOUND_MS, 'make start to exit after SIGTERM', sofar);
    expect({ code, signal }, sofar()).to.deep.equal({ code: 0, signal: null });
    expect(lines.find((line) => line.msg === 'every worker has stopped')).to.include({ exit_code: 0 });
  });
});
