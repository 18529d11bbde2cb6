import { expect } from 'chai';
import type { Knex } from 'knex';
import { expectProblem, request, TestUser, type ApiResponse } from '../helpers/api-client.js';
import { DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';
import { openEventStream } from '../helpers/event-stream.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { IN_TEST_BOUND_MS, pollUntil } from '../helpers/wait.js';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

/** The value of the one sample with exactly these labels, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key!, value!] as const),
    );
    if (
      Object.keys(found).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => found[key] === value)
    )
      return Number(match[3]);
  }
  return undefined;
}

const scrape = async (server: TestServer, token?: string): Promise<string> => {
  const response = await request<string>(server.baseUrl, 'GET', '/metrics', { token });
  expect(response.status).to.equal(200);
  return response.body;
};

for (const kind of DATABASE_KINDS) {
  describe(`metrics [${kind}]`, function () {
    this.timeout(30_000);
    let db: Knex;
    let server: TestServer;
    before(async () => {
      db = (await sharedTestDatabase(kind)).knex;
      server = await startTestServer(db);
    });
    after(() => server.close());

    it('are served in the Prometheus text format', async () => {
      const response = await request(server.baseUrl, 'GET', '/metrics');
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      expect(response.body)
        .to.include('# TYPE http_requests_total counter')
        .and.include('# TYPE http_request_duration_seconds histogram');
    });

    it('count an event stream when it starts streaming, timed to its head (not to its length)', async () => {
      const labels = { operation: 'streamEvents', method: 'GET', status: '200' };
      const counted = async () => sample(await scrape(server), 'http_requests_total', labels) ?? 0;
      const before = await counted();
      const user = new TestUser(server.baseUrl);
      const stream = await openEventStream(server.baseUrl, user.id, { token: await user.bearer() });
      expect(stream.status).to.equal(200);
      await pollUntil(async () => (await counted()) === before + 1, 'the open stream to be counted');
      await stream.close();
    });

    it('count and time requests by operationId, method and status, never by path', async () => {
      const user = new TestUser(server.baseUrl);
      await user.createTask({ title: 'counted' });
      await user.call('GET', '/tasks');
      await user.call('GET', '/tasks');
      await request(server.baseUrl, 'GET', '/api/me');
      await request(server.baseUrl, 'GET', `/api/${user.id}/nothing-here`);
      const text = await scrape(server);
      expect(sample(text, 'http_requests_total', { operation: 'listTasks', method: 'GET', status: '200' })).to.equal(2);
      expect(sample(text, 'http_requests_total', { operation: 'createTask', method: 'POST', status: '201' })).to.equal(
        1,
      );
      expect(
        sample(text, 'http_requests_total', { operation: 'getCurrentUser', method: 'GET', status: '401' }),
      ).to.equal(1);
      expect(sample(text, 'http_requests_total', { operation: 'unmatched', method: 'GET', status: '404' })).to.equal(1);
      expect(
        sample(text, 'http_request_duration_seconds_count', { operation: 'listTasks', method: 'GET', status: '200' }),
      ).to.equal(2);
      expect(
        sample(text, 'http_request_duration_seconds_bucket', {
          operation: 'listTasks',
          method: 'GET',
          status: '200',
          le: '+Inf',
        }),
      ).to.equal(2);
      expect(text, 'no raw path in any label').not.to.include(user.id);
    });

    it('count a HEAD request under the GET operation it is answered as, with its own method', async () => {
      const before =
        sample(await scrape(server), 'http_requests_total', {
          operation: 'getHealth',
          method: 'HEAD',
          status: '200',
        }) ?? 0;
      await request(server.baseUrl, 'HEAD', '/health');
      expect(
        sample(await scrape(server), 'http_requests_total', { operation: 'getHealth', method: 'HEAD', status: '200' }),
      ).to.equal(before + 1);
    });

    it('show the Node.js process', async () => {
      const text = await scrape(server);
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
      ]) {
        expect(sample(text, name), name).to.be.a('number');
      }
    });

    it('show the database pool: connections in use and requests waiting, read when scraped', async () => {
      const idle = await scrape(server);
      expect(sample(idle, 'db_pool_connections_max')).to.equal(kind === 'pglite' ? 1 : 10); // the test pools' size
      expect(sample(idle, 'db_pool_connections_in_use')).to.equal(0);
      expect(sample(idle, 'db_pool_pending_acquires')).to.equal(0);

      // A transaction holds a connection; on the embedded database (one connection) a query then waits.
      const transaction = await db.transaction();
      const waiting = db.raw('select 1');
      const pending = waiting.then(() => undefined);
      try {
        // The pool announces neither: scraped until the waiting query is counted (at once, as a rule), bounded.
        const pendingAcquires = kind === 'pglite' ? 1 : 0;
        let busy = '';
        await pollUntil(
          async () => {
            busy = await scrape(server);
            return (
              (sample(busy, 'db_pool_connections_in_use') ?? 0) >= 1 &&
              sample(busy, 'db_pool_pending_acquires') === pendingAcquires
            );
          },
          'the pool to count the connection in use and the waiting query',
          {
            ms: IN_TEST_BOUND_MS,
            context: () =>
              `; last scrape:\n${busy
                .split('\n')
                .filter((line) => line.startsWith('db_pool'))
                .join('\n')}`,
          },
        );
        expect(sample(busy, 'db_pool_connections_in_use')).to.be.at.least(1);
        expect(sample(busy, 'db_pool_pending_acquires')).to.equal(pendingAcquires);
      } finally {
        await transaction.commit();
        await pending;
      }
    });

    it('refuse an unknown query parameter with 400', async () => {
      const response = await request(server.baseUrl, 'GET', '/metrics?format=json');
      expect(expectProblem(response, 400).errors).to.deep.include({
        location: 'query',
        pointer: '/format',
        message: "Unknown query parameter 'format'",
      });
    });

    it('are open without METRICS_TOKEN, whatever token is sent', async () => {
      for (const token of [undefined, 'anything', await new TestUser(server.baseUrl).bearer()])
        await scrape(server, token);
    });
  });
}

describe('metrics with METRICS_TOKEN', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer((await sharedTestDatabase(DATABASE_KINDS[0]!)).knex, {
      http: { metricsToken: METRICS_TOKEN },
    });
  });
  after(() => server.close());

  const expectRefused = (response: ApiResponse, challenge: string) => {
    const problem = expectProblem(response, 401);
    expect(problem.detail).to.equal('The metrics need the Bearer token the server is configured with.');
    expect(response.headers.get('www-authenticate')).to.equal(challenge);
    expect(JSON.stringify(response.body)).not.to.include(METRICS_TOKEN);
  };

  it('are refused without a token, with the Bearer challenge', async () => {
    expectRefused(await request(server.baseUrl, 'GET', '/metrics'), 'Bearer');
  });

  it('are refused with a wrong token, a near miss or a user token', async () => {
    for (const token of [
      'wrong',
      METRICS_TOKEN.slice(0, -1),
      `${METRICS_TOKEN}x`,
      await new TestUser(server.baseUrl).bearer(),
    ]) {
      expectRefused(await request(server.baseUrl, 'GET', '/metrics', { token }), 'Bearer error="invalid_token"');
    }
    expectRefused(
      await request(server.baseUrl, 'GET', '/metrics', { headers: { authorization: `Basic ${METRICS_TOKEN}` } }),
      'Bearer',
    );
  });

  it('are served with the token', async () => {
    expect(await scrape(server, METRICS_TOKEN)).to.include('http_requests_total');
  });

  it('still refuse an unknown query parameter with 400 first', async () => {
    expectProblem(await request(server.baseUrl, 'GET', '/metrics?x=1'), 400);
  });
});
