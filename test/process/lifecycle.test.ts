import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Task } from '../helpers/api-client.js';
import { openEventStream } from '../helpers/event-stream.js';
import { createEmptyPostgresDatabase, DATABASE_KINDS } from '../helpers/databases.js';
import {
  cleanUpProcesses,
  makeTempDir,
  PRODUCTION_ENV,
  PRODUCTION_METRICS_TOKEN,
  runScript,
  runServerToExit,
  startServer,
  startServerUntil,
  type Finished,
  type ServerProcess,
} from '../helpers/server-process.js';
import { observeResponse } from '../helpers/spec-coverage.js';
import { PRODUCTION_TOKEN, tokenFor } from '../helpers/tokens.js';
import { EVENT_BOUND_MS, PROCESS_TEST_TIMEOUT_MS, within } from '../helpers/wait.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the server as a process', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  afterEach(cleanUpProcesses);

  describe('on the embedded database (PGlite)', () => {
    it('keeps tasks across a restart on the same DATA_DIR', async () => {
      const dataDir = await makeTempDir();
      const first = await startServer({ dataDir });
      const created = await createTask(first.baseUrl, 'alice', { title: 'Survive a restart', description: 'kept' });
      await expectCleanStop(first, 'SIGTERM');
      expect(existsSync(path.join(dataDir, 'server.pid')), 'lock file released').to.equal(false);

      const second = await startServer({ dataDir });
      const response = await request<Task>(second.baseUrl, 'GET', `/api/alice/tasks/${created.id}`, {
        token: await tokenFor('alice'),
      });
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal(created);
      await expectCleanStop(second, 'SIGTERM');
    });

    it('refuses a second server on a DATA_DIR in use, with one line and exit code 1', async () => {
      const first = await startServer();
      const second = await runServerToExit({ dataDir: first.dataDir });
      expectOneLineFailure(second);
      expect(second.stderr).to.include('in use').and.to.include(first.dataDir).and.to.include(`process ${first.pid}`);

      const ready = await request(first.baseUrl, 'GET', '/ready');
      expect(ready.status, 'the first server still serves').to.equal(200);
      await expectCleanStop(first, 'SIGTERM');
    });
  });

  describe('graceful shutdown', () => {
    it('on SIGTERM finishes the request in flight, refuses new connections, then exits 0', async () => {
      // The shutdown's cut-off far beyond anything this test waits for: on a loaded machine the
      // default 10 s could pass before the rest of the body is sent, and the test is not about it.
      const server = await startServer({ env: { SHUTDOWN_TIMEOUT_MS: String(10 * EVENT_BOUND_MS) } });
      const inFlight = await beginHalfSentPost(server.baseUrl, '/api/alice/tasks', await tokenFor('alice'), {
        title: 'In flight',
      });

      server.signal('SIGTERM');
      const shuttingDown = await server.waitForLog('shutting down');
      expect(shuttingDown.in_flight, 'the server counts the half-sent request as in flight').to.equal(1);
      expect(await attemptRequest(`${server.baseUrl}/health`)).to.be.oneOf(['ECONNREFUSED', 'ECONNRESET']);
      // Kept on purpose: a chance for a wrong server to cut the request or exit meanwhile. A slow
      // machine can only make this look less long, never fail a right server.
      await sleep(300);
      expect(await isPending(inFlight.response), 'the in-flight request is still open').to.equal(true);
      expect(await isPending(server.exited), 'the server waits for it').to.equal(true);

      inFlight.sendRest();
      const response = await within(
        inFlight.response,
        EVENT_BOUND_MS,
        'the in-flight response',
        () => `\n--- server stdout\n${server.output.stdout}---`,
      );
      expect(response.status).to.equal(201);
      expect(response.body).to.include({ user_id: 'alice', title: 'In flight' });
      expect(response.headers.get('connection')).to.equal('close');
      expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });
    });

    it('on SIGTERM ends the open event streams at once rather than waiting for them, then exits 0', async () => {
      // A cut-off no test waits for: a server that waited for its streams would fail the bounds below.
      const server = await startServer({ env: { SHUTDOWN_TIMEOUT_MS: String(10 * EVENT_BOUND_MS) } });
      const token = await tokenFor('alice');
      const streams = await Promise.all([1, 2].map(() => openEventStream(server.baseUrl, 'alice', { token })));
      expect(streams.map((stream) => stream.status)).to.deep.equal([200, 200]);

      server.signal('SIGTERM');
      const shuttingDown = await server.waitForLog('shutting down');
      expect(shuttingDown.in_flight, 'the streams are in flight').to.equal(2);
      await within(
        Promise.all(streams.map((stream) => stream.ended)),
        EVENT_BOUND_MS,
        'the streams to be ended by the server',
      );
      expect(await server.waitForExit(EVENT_BOUND_MS)).to.deep.equal({ code: 0, signal: null });
      for (const stream of streams) await stream.close();
    });

    it('exits 0 on SIGINT', async () => {
      await expectCleanStop(await startServer(), 'SIGINT');
    });

    it('honours SIGTERM sent while starting: exits 0 and releases the data directory', async () => {
      const starting = await startServerUntil('opening the database');
      await expectCleanStop(starting, 'SIGTERM');
      expect(starting.logs().some((line) => line.msg === 'stopped before serving')).to.equal(true);
      expect(existsSync(path.join(starting.dataDir, 'server.pid')), 'lock file released').to.equal(false);
    });
  });

  describe('configuration errors: exit code 1, one line naming the variable', () => {
    const cases: { readonly variable: string; readonly when: string; readonly value: string | undefined }[] = [
      { variable: 'BETTER_AUTH_SECRET', when: 'missing', value: undefined },
      { variable: 'BETTER_AUTH_SECRET', when: 'shorter than 32 characters', value: 'x'.repeat(31) },
      { variable: 'PORT', when: 'not a number', value: 'abc' },
      { variable: 'LOG_LEVEL', when: 'not a level', value: 'loud' },
      { variable: 'DATABASE_URL', when: 'not PostgreSQL', value: 'mysql://x' },
      { variable: 'DB_STATEMENT_TIMEOUT_MS', when: 'not a number', value: 'soon' },
      { variable: 'DB_ACQUIRE_TIMEOUT_MS', when: 'shorter than the connect timeout (1000 by default)', value: '500' },
      { variable: 'RUN_JOBS', when: 'false on the embedded database (no other process runs the jobs)', value: 'false' },
    ];
    for (const { variable, when, value } of cases) {
      it(`${variable} ${when}`, async () => {
        const result = await runServerToExit({ env: { [variable]: value } });
        expectOneLineFailure(result);
        expect(result.stderr)
          .to.match(/^Configuration error: /)
          .and.to.include(variable);
        expect(result.stdout).not.to.include('listening on');
      });
    }
  });

  describe('in production: tokens must name this service, the metrics need a token', () => {
    it('refuses to start without JWT_ISSUER and JWT_AUDIENCE: one line naming both and the opt-out, exit code 1', async () => {
      const result = await runServerToExit({ env: { NODE_ENV: 'production' } });
      expectOneLineFailure(result);
      expect(result.stderr)
        .to.match(/^Configuration error: JWT_ISSUER and JWT_AUDIENCE are required with NODE_ENV=production/)
        .and.to.include('JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE=true');
      expect(result.stdout).not.to.include('listening on');
    });

    it('refuses to start without METRICS_TOKEN: one line naming it and METRICS_PUBLIC=true, exit code 1', async () => {
      const result = await runServerToExit({ env: { ...PRODUCTION_ENV, METRICS_TOKEN: undefined } });
      expectOneLineFailure(result);
      expect(result.stderr)
        .to.match(/^Configuration error: METRICS_TOKEN is required with NODE_ENV=production/)
        .and.to.include('METRICS_PUBLIC=true');
      expect(result.stdout).not.to.include('listening on');
    });

    it('serves the metrics to anyone with METRICS_PUBLIC=true, and only with the token otherwise', async () => {
      const open = await startServer({ env: { ...PRODUCTION_ENV, METRICS_TOKEN: undefined, METRICS_PUBLIC: 'true' } });
      expect((await request(open.baseUrl, 'GET', '/metrics')).status).to.equal(200);
      await expectCleanStop(open, 'SIGTERM');
      const guarded = await startServer({ env: PRODUCTION_ENV });
      expect((await request(guarded.baseUrl, 'GET', '/metrics')).status).to.equal(401);
      const scraped = await request(guarded.baseUrl, 'GET', '/metrics', { token: PRODUCTION_METRICS_TOKEN });
      expect(scraped.status).to.equal(200);
      await expectCleanStop(guarded, 'SIGTERM');
    });

    it('starts with both, and accepts the tokens that name them (make token) and no others', async () => {
      const printed = await runScript('src/cli/token.ts', ['alice'], { env: PRODUCTION_ENV });
      expect(printed.code, printed.stderr).to.equal(0);
      const server = await startServer({ env: PRODUCTION_ENV });
      const tasks = '/api/alice/tasks';
      expect((await request(server.baseUrl, 'GET', tasks, { token: printed.stdout.trim() })).status).to.equal(200);
      const named = await tokenFor('alice', PRODUCTION_TOKEN);
      expect((await request(server.baseUrl, 'GET', tasks, { token: named })).status).to.equal(200);
      const forAnotherService = await tokenFor('alice', { ...PRODUCTION_TOKEN, audience: 'https://other.example' });
      expect((await request(server.baseUrl, 'GET', tasks, { token: forAnotherService })).status).to.equal(401);
      expect((await request(server.baseUrl, 'GET', tasks, { token: await tokenFor('alice') })).status).to.equal(401);
      await expectCleanStop(server, 'SIGTERM');
    });

    it('starts without them when JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE=true says so', async () => {
      const server = await startServer({
        env: {
          ...PRODUCTION_ENV,
          JWT_ISSUER: undefined,
          JWT_AUDIENCE: undefined,
          JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE: 'true',
        },
      });
      const token = await tokenFor('alice', { issuer: 'https://any.example', audience: 'https://any.example' });
      expect((await request(server.baseUrl, 'GET', '/api/alice/tasks', { token })).status).to.equal(200);
      await expectCleanStop(server, 'SIGTERM');
    });
  });

  describe('start-up failures: exit code 1, one line, nothing left held', () => {
    it('a port in use, with a fresh DATA_DIR: stops before opening the database, naming PORT', async () => {
      const first = await startServer();
      const port = new URL(first.baseUrl).port;
      const dataDir = await makeTempDir();
      const second = await runServerToExit({ dataDir, env: { PORT: port } });
      expectOneLineFailure(second);
      expect(second.stderr).to.equal(
        `Cannot start: PORT ${port} is already in use on HOST 127.0.0.1 (EADDRINUSE): stop what listens there or choose another PORT\n`,
      );
      // Before the embedded database's initdb (seconds): never began to open it, nor took DATA_DIR.
      expect(second.stdout).not.to.include('opening the database');
      expect(readdirSync(dataDir), 'DATA_DIR left untouched').to.deep.equal([]);
      await expectCleanStop(first, 'SIGTERM');
    });
  });

  describe('while the database opens', () => {
    it('holds the port: a request that arrives meanwhile is answered once the database is ready', async () => {
      const starting = await startServerUntil('opening the database'); // a fresh DATA_DIR: initdb takes seconds
      const { host, port } = starting.line as { host: string; port: number };
      const sentBeforeReady = !starting.logs().some((line) => line.msg === 'database ready');
      const health = await request(`http://${host}:${port}`, 'GET', '/health');
      expect(sentBeforeReady, 'the request was sent before the database was ready').to.equal(true);
      expect(health.status).to.equal(200);
      // Bound before: without it, the request would have been refused (ECONNREFUSED).
      await expectCleanStop(starting, 'SIGTERM');
    });
  });

  describe('on PostgreSQL (DATABASE_URL)', () => {
    it('serves on a database of its own and exits 0 on SIGTERM', async function () {
      if (!DATABASE_KINDS.includes('postgres')) this.skip();
      const database = await createEmptyPostgresDatabase('todo_process');
      try {
        const server = await startServer({ env: { DATABASE_URL: database.url } });
        expect(server.logs().find((line) => line.msg === 'database ready')).to.include({ database: 'postgres' });
        expect((await request(server.baseUrl, 'GET', '/ready')).status).to.equal(200);
        await createTask(server.baseUrl, 'alice', { title: 'On PostgreSQL' });
        await expectCleanStop(server, 'SIGTERM');
      } finally {
        await database.drop();
      }
    });
  });

  describe('the start-up line', () => {
    it('in development with the development secret: the URL, the docs, and a make token command that works', async () => {
      const dataDir = await makeTempDir();
      const secret = (await runDevSecret(dataDir)).stdout.trim(); // what `make run` does
      const server = await startServer({ dataDir, env: { NODE_ENV: 'development', BETTER_AUTH_SECRET: secret } });
      const line = server.logs().find((entry) => String(entry.msg).startsWith('listening on'))!;
      expect(line).to.include({ docs: `${server.baseUrl}/docs`, token: `make token USER=alice DATA_DIR=${dataDir}` });
      expect(line.msg).to.equal(
        `listening on ${server.baseUrl} · docs: ${server.baseUrl}/docs · a token: make token USER=alice DATA_DIR=${dataDir}`,
      );
      expect((await request(server.baseUrl, 'GET', '/docs')).status).to.equal(200);

      // The command as printed, run by make: its token is accepted.
      const [, ...args] = String(line.token).split(' ');
      const { stdout } = await promisify(execFile)('make', ['-s', '-o', 'node_modules/.installed', ...args], {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      const token = stdout.trim();
      expect((await request(server.baseUrl, 'GET', '/api/alice/tasks', { token })).status).to.equal(200);
      await expectCleanStop(server, 'SIGTERM');
    });

    it('with a secret of its own, says the command needs it; outside development, no token command', async () => {
      const own = await startServer({ env: { NODE_ENV: 'development' } });
      expect(own.logs().find((entry) => String(entry.msg).startsWith('listening on'))).to.include({
        token: 'make token USER=alice (with this BETTER_AUTH_SECRET)',
      });
      await expectCleanStop(own, 'SIGTERM');
      const production = await startServer({ env: PRODUCTION_ENV });
      const line = production.logs().find((entry) => String(entry.msg).startsWith('listening on'))!;
      expect(line)
        .to.include({ docs: `${production.baseUrl}/docs` })
        .and.not.to.have.property('token');
      expect(line.msg).to.equal(`listening on ${production.baseUrl} · docs: ${production.baseUrl}/docs`);
      await expectCleanStop(production, 'SIGTERM');
    });
  });

  describe('development tools', () => {
    it('make token: the printed token is accepted for its own user only', async () => {
      const printed = await runScript('src/cli/token.ts', ['alice']);
      expect(printed.code, printed.stderr).to.equal(0);
      const token = printed.stdout.trim();
      expect(token.split('.')).to.have.length(3);

      const server = await startServer();
      expect((await request(server.baseUrl, 'GET', '/api/alice/tasks', { token })).status).to.equal(200);
      expect((await request(server.baseUrl, 'GET', '/api/bob/tasks', { token })).status).to.equal(403);
      await expectCleanStop(server, 'SIGTERM');
    });

    it('dev-secret: prints the same secret every time, kept in DATA_DIR/dev-secret with mode 0600', async () => {
      const dataDir = await makeTempDir();
      const [first, second] = [await runDevSecret(dataDir), await runDevSecret(dataDir)];
      for (const run of [first, second]) expect(run.code, run.stderr).to.equal(0);
      const secret = first.stdout.trim();
      expect(secret).to.have.length.of.at.least(32);
      expect(second.stdout.trim()).to.equal(secret);
      expect((await stat(path.join(dataDir, 'dev-secret'))).mode & 0o777).to.equal(0o600);
    });

    it('dev-secret: refuses production with exit code 1 and writes nothing', async () => {
      const dataDir = await makeTempDir();
      const result = await runDevSecret(dataDir, { NODE_ENV: 'production' });
      expectOneLineFailure(result);
      expect(result.stderr).to.match(/^Configuration error: /);
      expect(existsSync(path.join(dataDir, 'dev-secret'))).to.equal(false);
    });
  });
});

async function createTask(baseUrl: string, user: string, fields: Record<string, unknown>): Promise<Task> {
  const response = await request<Task>(baseUrl, 'POST', `/api/${user}/tasks`, {
    token: await tokenFor(user),
    json: fields,
  });
  expect(response.status).to.equal(201);
  return response.body;
}

async function expectCleanStop(
  server: Pick<ServerProcess, 'signal' | 'waitForExit'>,
  signal: NodeJS.Signals,
): Promise<void> {
  server.signal(signal);
  expect(await server.waitForExit(), `exit on ${signal}`).to.deep.equal({ code: 0, signal: null });
}

/** Exit code 1 and a single line on stderr, without a stack trace. */
function expectOneLineFailure(result: Finished): void {
  expect({ code: result.code, signal: result.signal }, result.stderr).to.deep.equal({ code: 1, signal: null });
  expect(result.stderr.trimEnd().split('\n'), result.stderr).to.have.length(1);
  expect(result.stderr).not.to.match(/^ {4}at /m);
}

function runDevSecret(dataDir: string, env: Record<string, string> = {}): Promise<Finished> {
  return runScript('src/cli/dev-secret.ts', [], { dataDir, env: { BETTER_AUTH_SECRET: undefined, ...env } });
}

async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const settled = Symbol('settled');
  const outcome = await Promise.race([
    promise.then(
      () => settled,
      () => settled,
    ),
    sleep(0),
  ]);
  return outcome !== settled;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

interface HalfSentRequest {
  readonly response: Promise<RawResponse>;
  sendRest(): void;
}

/**
 * A JSON POST whose Content-Length announces the whole body, of which only the first half is
 * sent before this returns, once the server has taken the request in. That moment is visible
 * from outside through `Expect: 100-continue`: Node's server writes `100 Continue` as it hands
 * the request to the app, so the client's 'continue' event means the request is in flight.
 */
async function beginHalfSentPost(
  baseUrl: string,
  path: string,
  token: string,
  json: unknown,
): Promise<HalfSentRequest> {
  const body = Buffer.from(JSON.stringify(json));
  const half = Math.floor(body.length / 2);
  const req = http.request(new URL(path, baseUrl), {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': body.length,
      expect: '100-continue',
    },
  });
  const taken = new Promise<void>((resolve, reject) => {
    req.once('continue', resolve);
    req.once('error', reject);
  });
  const response = readResponse(req, path);
  response.catch(() => undefined); // awaited later; not an unhandled rejection meanwhile
  req.write(body.subarray(0, half));
  await within(taken, EVENT_BOUND_MS, `the server to take in POST ${path} (100 Continue)`);
  return { response, sendRest: () => void req.end(body.subarray(half)) };
}

/** The response to `req`, checked against the spec. */
function readResponse(req: http.ClientRequest, path: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.once('error', reject);
      res.once('end', () => {
        try {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers))
            if (value !== undefined) headers.set(name, String(value));
          const result = { status: res.statusCode!, headers, body: text ? (JSON.parse(text) as unknown) : undefined };
          observeResponse({ method: req.method, path, ...result });
          resolve(result);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  });
}

/** The status of a fresh connection's GET, or the error code when the connection fails. */
function attemptRequest(url: string): Promise<string> {
  return new Promise((resolve) => {
    // Bounds the wait for a refusal or an answer, which on loopback comes at once.
    const req = http.get(url, { agent: false, timeout: EVENT_BOUND_MS }, (res) => {
      res.resume();
      resolve(`status ${res.statusCode}`);
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
