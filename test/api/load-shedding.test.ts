import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { loadConfig } from '../../src/config.js';
import { expectProblem, request, TestUser } from '../helpers/api-client.js';
import { DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';
import { openEventStream } from '../helpers/event-stream.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TEST_SECRET } from '../helpers/tokens.js';
import { IN_TEST_BOUND_MS, pollUntil, within } from '../helpers/wait.js';

// An overloaded process refuses new /api requests at once with 503 (src/http/load-shedding.ts):
// overloaded meaning a request has waited for a database connection longer than
// LOAD_SHED_WAIT_MS while connections that carried /api requests sit idle. The tests take every
// pooled connection themselves, so that requests queue for as long as they say.

/** Knex's pool (tarn.js), as far as the tests read it. */
interface Pool {
  readonly max: number;
  numPendingAcquires(): number;
}
const poolOf = (knex: Knex) => (knex.client as { pool: Pool }).pool;

/** Takes every connection of `knex`'s pool, each in a transaction left open until the returned function is called. */
async function holdEveryConnection(knex: Knex): Promise<() => Promise<void>> {
  const { max } = poolOf(knex);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let taken = 0;
  let allTaken!: () => void;
  const all = new Promise<void>((resolve) => (allTaken = resolve));
  const transactions = Array.from({ length: max }, () =>
    knex.transaction(async () => {
      if (++taken === max) allTaken();
      await gate;
    }),
  );
  await within(all, IN_TEST_BOUND_MS, `all ${max} pooled connections to be taken`);
  return async () => {
    release();
    await Promise.all(transactions);
  };
}

/** Waits until a request is queued for a database connection, and has been for longer than `ms`. */
async function queuedLongerThan(knex: Knex, ms: number): Promise<void> {
  await pollUntil(() => poolOf(knex).numPendingAcquires() > 0, 'a request to wait for a database connection');
  const queuedAt = performance.now();
  await pollUntil(() => performance.now() - queuedAt > ms, `the wait to pass ${ms} ms`, { everyMs: ms + 1 });
}

/** One keep-alive connection of its own: what it sends goes over the same socket. */
class Connection {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly baseUrl: string) {}

  get(path: string, token: string): Promise<number> {
    const { hostname, port } = new URL(this.baseUrl);
    return new Promise((resolve, reject) => {
      httpRequest({ agent: this.agent, hostname, port, path, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
        .on('error', reject)
        .end();
    });
  }

  /** A POST whose body is announced but never sent: answered only by what does not read it. */
  postWithoutItsBody(path: string, token: string): Promise<number> {
    const { hostname, port } = new URL(this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          agent: this.agent,
          method: 'POST',
          hostname,
          port,
          path,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': '100' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject).flushHeaders();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

const SHED_TOTAL = /^http_requests_shed_total (\d+)$/m;
const shedTotal = async (server: TestServer) =>
  Number(SHED_TOTAL.exec((await request(server.baseUrl, 'GET', '/metrics')).body as string)?.[1]);

for (const kind of DATABASE_KINDS) {
  describe(`load shedding [${kind}]`, function () {
    let knex: Knex;
    let server: TestServer | undefined;
    const connections: Connection[] = [];
    let release: (() => Promise<void>) | undefined;

    before(async function () {
      this.timeout(60_000);
      knex = (await sharedTestDatabase(kind)).knex;
    });
    afterEach(async () => {
      await release?.();
      release = undefined;
      for (const connection of connections.splice(0)) connection.close();
      await server?.close();
      server = undefined;
    });

    /** A server shedding after `waitMs`, and `count` connections that have each carried one /api request, idle now. */
    async function start(waitMs: number, count: number) {
      server = await startTestServer(knex, { http: { loadShedWaitMs: waitMs } });
      const user = new TestUser(server.baseUrl);
      const token = await user.bearer();
      const opened = Array.from({ length: count }, () => new Connection(server!.baseUrl));
      connections.push(...opened);
      for (const connection of opened) expect(await connection.get('/api/me', token)).to.equal(200);
      return { server, user, token, opened };
    }

    it('refuses requests at once with 503, Retry-After and a problem, before their body, while requests queue and connections sit idle; probes pass', async () => {
      const { server, user, token, opened } = await start(1, 4);
      release = await holdEveryConnection(knex);
      const queued = opened[0]!.get('/api/me', token);
      // Twice the budget: from there on every arrival is refused (a share of them before).
      await queuedLongerThan(knex, 2);

      const refused = await user.call('GET', '/api/me');
      const problem = expectProblem(refused, 503);
      expect(problem.detail).to.match(/overloaded/);
      expect(refused.headers.get('retry-after')).to.match(/^\d+$/);
      expect(refused.headers.get('cache-control')).to.equal('no-store');
      expect((await request(server.baseUrl, 'GET', '/health')).status).to.equal(200);
      const bodyNeverSent = opened[1]!.postWithoutItsBody(`/api/${user.id}/tasks`, token);
      expect(await within(bodyNeverSent, IN_TEST_BOUND_MS, 'the answer to a POST whose body never comes')).to.equal(
        503,
      );
      expect(await shedTotal(server)).to.equal(2);
      // The shedding working, like a 429: access lines at info, no error (an overload floods nothing).
      const shedLines = server.logs.filter(
        (line) => (line.res as { statusCode?: number } | undefined)?.statusCode === 503,
      );
      expect(shedLines.map((line) => [line.level, line.err])).to.deep.equal([
        [30, undefined],
        [30, undefined],
      ]);

      await release();
      release = undefined;
      expect(await queued, 'the queued request').to.equal(200);
      expect((await user.call('GET', '/api/me')).status, 'once the queue is gone').to.equal(200);
      expect(await shedTotal(server)).to.equal(2);
    });

    it('counts the connections of open event streams as idle: a stream waits for no database connection', async () => {
      const { server, user, token } = await start(1, 0);
      const streams = await Promise.all(
        Array.from({ length: 4 }, () => openEventStream(server.baseUrl, user.id, { token })),
      );
      expect(streams.map((stream) => stream.status)).to.deep.equal([200, 200, 200, 200]);
      release = await holdEveryConnection(knex);
      const waiting = new Connection(server.baseUrl);
      connections.push(waiting);
      const queued = waiting.get('/api/me', token);
      await queuedLongerThan(knex, 2);

      expectProblem(await user.call('GET', '/api/me'), 503);
      await release();
      release = undefined;
      expect(await queued, 'the queued request').to.equal(200);
      await Promise.all(streams.map((stream) => stream.close()));
    });

    it('refuses none while every connection waits for its answer, however long the queue', async () => {
      const { server, token } = await start(1, 0);
      release = await holdEveryConnection(knex);
      const waiting = Array.from({ length: 4 }, () => new Connection(server.baseUrl));
      connections.push(...waiting);
      const first = waiting[0]!.get('/api/me', token);
      await queuedLongerThan(knex, 2);
      const others = waiting.slice(1).map((connection) => connection.get('/api/me', token));
      await pollUntil(() => poolOf(knex).numPendingAcquires() >= 4, 'all four requests to queue');

      await release();
      release = undefined;
      expect(await Promise.all([first, ...others])).to.deep.equal([200, 200, 200, 200]);
      expect(await shedTotal(server)).to.equal(0);
    });

    it('refuses none with LOAD_SHED_WAIT_MS=0', async () => {
      const { server, user, token, opened } = await start(0, 4);
      release = await holdEveryConnection(knex);
      const queued = opened[0]!.get('/api/me', token);
      await queuedLongerThan(knex, 2);
      const late = user.call('GET', '/api/me');
      await pollUntil(() => poolOf(knex).numPendingAcquires() >= 2, 'the second request to queue too');

      await release();
      release = undefined;
      expect([await queued, (await late).status]).to.deep.equal([200, 200]);
      expect(await shedTotal(server)).to.equal(0);
    });

    it('refuses none of a burst of 200 requests with the default settings', async () => {
      const { server, user } = await start(loadConfig({ BETTER_AUTH_SECRET: TEST_SECRET }).http.loadShedWaitMs, 0);
      const statuses = await Promise.all(
        Array.from({ length: 200 }, async () => (await user.call('GET', '/api/me')).status),
      );
      expect(statuses.filter((status) => status !== 200)).to.deep.equal([]);
      expect(await shedTotal(server)).to.equal(0);
    });
  });
}
