import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { adminKnex, createEmptyPostgresDatabase, MIGRATION_FILES, migrationRows } from '../helpers/databases.js';
import { request } from '../helpers/api-client.js';
import { requestHoldingSlot, requestLeftOpen } from '../helpers/request-left-open.js';
import { cleanUpProcesses, runServerToExit, startServer, type LogLine } from '../helpers/server-process.js';
import { tokenFor } from '../helpers/tokens.js';
import { EVENT_BOUND_MS, PROCESS_TEST_TIMEOUT_MS, START_BOUND_MS, within } from '../helpers/wait.js';

// WEB_CONCURRENCY=2 on a fresh PostgreSQL database: the real server process as a primary with
// two workers. What is read from outside: the log (pino writes each line's pid), /metrics, the
// migrations table and the processes themselves.

const WORKERS = 2;

describe('the server as a process: several workers (WEB_CONCURRENCY)', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;

  beforeEach(async () => {
    ({ url: databaseUrl, drop: dropDatabase } = await createEmptyPostgresDatabase('todo_cluster'));
  });
  afterEach(async () => {
    await cleanUpProcesses();
    await dropDatabase();
  });

  const startCluster = async (env: Record<string, string> = {}) => {
    const server = await startServer({
      env: { DATABASE_URL: databaseUrl, WEB_CONCURRENCY: String(WORKERS), TRUST_PROXY: 'loopback', ...env },
    });
    await server.waitForLogs(
      (lines) => listeningWorkers(lines).length >= WORKERS,
      'both workers to listen',
      START_BOUND_MS,
    );
    return server;
  };

  it('migrates once, serves from every worker on one port, counts every worker in /metrics, and stops them all on SIGTERM', async () => {
    const server = await startCluster();
    const workers = listeningWorkers(server.logs());
    expect(new Set(workers), 'distinct worker processes').to.have.lengthOf(WORKERS);
    expect(workers).to.not.include(server.pid);

    const token = await tokenFor('alice');
    const requestIds = Array.from({ length: 20 }, () => `cluster-${randomUUID()}`);
    for (const id of requestIds) {
      // A new connection each time: the primary hands connections to the workers in turn.
      const response = await fetch(`${server.baseUrl}/api/alice/tasks`, {
        headers: { authorization: `Bearer ${token}`, 'x-request-id': id, connection: 'close' },
      });
      expect(response.status).to.equal(200);
      await response.arrayBuffer();
    }
    // A worker writes a request's line as its response finishes, which the client may see first.
    await server.waitForLogs(
      (lines) => requestIds.every((id) => lineOf(lines, id) !== undefined),
      'every request to be logged',
      EVENT_BOUND_MS,
    );
    const servedBy = new Set(requestIds.map((id) => lineOf(server.logs(), id)!.pid));
    expect([...servedBy].sort(), 'the workers that answered').to.deep.equal([...workers].sort());

    // Whichever worker answers the scrape, the count covers both.
    for (let scrape = 0; scrape < WORKERS; scrape++) {
      const metrics = await (await fetch(`${server.baseUrl}/metrics`, { headers: { connection: 'close' } })).text();
      expect(metrics).to.include(
        `http_requests_total{operation="listTasks",method="GET",status="200"} ${requestIds.length}`,
      );
    }

    expect((await migrationRows(databaseUrl)).map((row) => row.name)).to.deep.equal(MIGRATION_FILES);

    server.signal('SIGTERM');
    expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });
    for (const pid of workers) expect(isRunning(pid), `worker ${pid} after the primary exited`).to.equal(false);
    expect(
      server
        .logs()
        .filter((line) => line.msg === 'stopped')
        .map((line) => line.pid)
        .sort(),
    ).to.deep.equal([...workers].sort());
    // Each worker counted its requests in memory (batched-counter-store.ts); by the time they have
    // stopped, every one is in the shared table, once.
    const db = adminKnex(databaseUrl);
    try {
      const counters = await db('rate_limit_counters').orderBy('key').select('key', 'hits');
      expect(counters).to.deep.equal([
        { key: 'address:127.0.0.1', hits: requestIds.length },
        { key: 'user:alice', hits: requestIds.length },
      ]);
    } finally {
      await db.destroy();
    }
  });

  it("runs one costly request of a user at a time across every worker, and frees a dying worker's", async () => {
    // The window limits off: the polling searches below must meet the in-flight limit alone.
    const server = await startCluster({
      RATE_LIMIT_IN_FLIGHT_PER_USER: '4',
      RATE_LIMIT_PER_ADDRESS: '0',
      RATE_LIMIT_PER_USER: '0',
    });
    const token = await tokenFor('carol');
    const search = async () => {
      // A new connection each time: the primary hands connections to the workers in turn.
      const response = await fetch(`${server.baseUrl}/api/carol/tasks?q=plan`, {
        headers: { authorization: `Bearer ${token}`, connection: 'close' },
      });
      await response.arrayBuffer();
      return { status: response.status, policy: response.headers.get('ratelimit-policy') };
    };
    const bulk = await requestHoldingSlot(
      () => requestLeftOpen(server.baseUrl, token, '/api/carol/tasks/bulk'),
      async () => (await search()).status === 429,
      'the open bulk request to take the slot',
    );
    try {
      const refused = await Promise.all(Array.from({ length: 2 * WORKERS }, () => search()));
      expect(refused, 'whichever worker answers').to.deep.equal(
        refused.map(() => ({ status: 429, policy: '"in-flight-costly"; q=1' })),
      );
      // One at a time, so that a worker always serves the port: whichever held the slot dies.
      for (const [index, pid] of listeningWorkers(server.logs()).entries()) {
        process.kill(pid, 'SIGKILL');
        await server.waitForLogs(
          (lines) => listeningWorkers(lines).length === WORKERS + index + 1,
          'a new worker to listen',
          START_BOUND_MS,
        );
      }
      // The worker that held the slot died without letting go: its primary frees what it held.
      expect(await search()).to.deep.include({ status: 200 });
    } finally {
      bulk.destroy();
    }
    server.signal('SIGTERM');
    expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });
  });

  it('replaces a worker that dies and keeps serving', async () => {
    const server = await startCluster();
    const [victim, survivor] = listeningWorkers(server.logs());
    process.kill(victim!, 'SIGKILL');
    const report = await server.waitForLog('a worker exited unexpectedly');
    expect(report).to.include({ worker_pid: victim, signal: 'SIGKILL' });
    await server.waitForLogs(
      (lines) => listeningWorkers(lines).length === WORKERS + 1,
      'a new worker to listen',
      START_BOUND_MS,
    );
    const replacement = listeningWorkers(server.logs()).at(-1)!;
    expect([victim, survivor]).to.not.include(replacement);

    const token = await tokenFor('bob');
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await fetch(`${server.baseUrl}/api/bob/tasks`, {
        headers: { authorization: `Bearer ${token}`, connection: 'close' },
      });
      expect(response.status).to.equal(200);
      await response.arrayBuffer();
    }
    server.signal('SIGTERM');
    expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });
  });

  it('answers a scrape with 503 and Retry-After, not a partial sum, while a worker cannot report', async () => {
    const server = await startCluster();
    const [stuck] = listeningWorkers(server.logs());
    process.kill(stuck!, 'SIGSTOP');
    try {
      // A new connection each: the stuck worker takes none after the first it cannot accept, so one
      // of them reaches the other worker, which waits for the primary (prom-client waits 5 s).
      const scrapes = [0, 1].map(() =>
        request(server.baseUrl, 'GET', '/metrics', { headers: { connection: 'close' } }),
      );
      const answered = await within(
        Promise.race(scrapes),
        EVENT_BOUND_MS,
        'an answer to a scrape while a worker is stopped',
        () => `\n--- stdout\n${server.output.stdout}---`,
      );
      expect(answered.status).to.equal(503);
      expect(answered.headers.get('retry-after')).to.equal('5');
      expect((answered.body as { detail?: string }).detail).to.equal(
        'Not every worker reported its metrics in time; try again shortly.',
      );
      await server.waitForLog('a scrape could not gather every worker');
      process.kill(stuck!, 'SIGCONT');
      await within(Promise.all(scrapes), EVENT_BOUND_MS, 'both scrapes to be answered once the worker runs again');
    } finally {
      process.kill(stuck!, 'SIGCONT');
    }
    // Once the worker reports again, so does the scrape.
    expect((await request(server.baseUrl, 'GET', '/metrics', { headers: { connection: 'close' } })).status).to.equal(
      200,
    );
    server.signal('SIGTERM');
    expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });
  });

  it('stops with exit code 1 when the workers cannot start (the port is taken)', async () => {
    const taken = await occupyPort();
    try {
      const port = (taken.address() as { port: number }).port;
      const finished = await runServerToExit({
        env: { DATABASE_URL: databaseUrl, WEB_CONCURRENCY: String(WORKERS), PORT: String(port) },
      });
      expect(finished.code).to.equal(1);
      expect(finished.stderr).to.include(`Cannot start: PORT ${port} is already in use`);
      expect(finished.stdout).to.include('a worker could not start: stopping');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

/** The pids of the processes that logged that they listen, in order. */
function listeningWorkers(lines: readonly LogLine[]): number[] {
  return lines.filter((line) => String(line.msg).startsWith('listening on')).map((line) => line.pid as number);
}

function lineOf(lines: readonly LogLine[], requestId: string): LogLine | undefined {
  return lines.find((line) => (line.req as { id?: string } | undefined)?.id === requestId && line.res !== undefined);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function occupyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1');
    server.once('listening', () => resolve(server)).once('error', reject);
  });
}
