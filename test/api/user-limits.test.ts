import { once } from 'node:events';
import type { Socket } from 'node:net';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { Config } from '../../src/config.js';
import { SEARCH_WEIGHT } from '../../src/rate-limit/weights.js';
import { expectProblem, TestUser, type ApiResponse } from '../helpers/api-client.js';
import { DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';
import { requestHoldingSlot, requestLeftOpen as leaveOpen } from '../helpers/request-left-open.js';
import { statementsDuring } from '../helpers/statements.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { IN_TEST_BOUND_MS, pollUntil, within } from '../helpers/wait.js';

/** pino's `warn` level. */
const WARN_LEVEL = 40;

/** What is left of the named policy, from a draft-8 `RateLimit` header (`"user"; r=3; t=60`). */
function remaining(response: ApiResponse, name: string): number {
  const item = (response.headers.get('ratelimit') ?? '').split(/,\s*/).find((part) => part.startsWith(`"${name}"`));
  expect(item, `RateLimit has a "${name}" item: ${response.headers.get('ratelimit')}`).to.not.equal(undefined);
  return Number(/r=(\d+)/.exec(item!)![1]);
}

/** A request of `user` to `path` (under its tasks) left open before its body: it holds an in-flight slot. */
async function requestLeftOpen(server: TestServer, user: TestUser, path = '/tasks'): Promise<Socket> {
  return leaveOpen(server.baseUrl, await user.bearer(), `/api/${user.id}${path}`);
}

function expectInFlightRefusal(response: ApiResponse, max: number, policy = 'in-flight'): void {
  const problem = expectProblem(response, 429);
  expect(problem.detail).to.include('in flight');
  expect(response.headers.get('retry-after')).to.equal('1');
  expect(response.headers.get('ratelimit-policy')).to.equal(`"${policy}"; q=${max}`);
  expect(response.headers.get('ratelimit')).to.equal(`"${policy}"; r=0; t=1`);
}

for (const kind of DATABASE_KINDS) {
  describe(`per-user limits: cheap refusals, weights, requests in flight [${kind}]`, function () {
    this.timeout(30_000);
    let db: Knex;
    before(async () => {
      db = (await sharedTestDatabase(kind)).knex;
    });
    const serve = (rateLimit: Partial<Config['rateLimit']>, http: Partial<Config['http']> = {}) =>
      startTestServer(db, { rateLimit, http });

    describe('over the rate limit', () => {
      let server: TestServer;
      before(async () => (server = await serve({ perUser: 3 })));
      after(() => server.close());

      it('refuses without a database statement once the user is known to be over', async () => {
        const user = new TestUser(server.baseUrl);
        for (let i = 0; i < 3; i += 1) expect((await user.call('GET', '/tasks')).status).to.equal(200);
        // The hit that finds the user over the limit is counted; none after it reaches the store.
        expectProblem(await user.call('GET', '/tasks'), 429);
        const statements = await statementsDuring(db, async () => {
          for (let i = 0; i < 30; i += 1) {
            const refused = await user.call('GET', '/tasks');
            expectProblem(refused, 429);
            expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
            expect(remaining(refused, 'user')).to.equal(0);
          }
        });
        expect(statements).to.deep.equal([]);
        if (kind !== 'pglite') {
          const hits = await db('rate_limit_counters')
            .where({ key: `user:${user.id}` })
            .pluck<number[]>('hits');
          expect(hits, 'the counter stopped one past the limit').to.deep.equal([4]);
        }
      });

      it('refuses before reading the body, and logs refusals below warn', async () => {
        const user = new TestUser(server.baseUrl);
        for (let i = 0; i < 4; i += 1) await user.call('GET', '/tasks');
        // Malformed JSON would be a 400 if it were parsed.
        const refused = await user.call('POST', '/tasks', { rawBody: '{"title": ', contentType: 'application/json' });
        expectProblem(refused, 429);
        const refusals = server.logs.filter(
          (line) => (line.res as { statusCode?: number } | undefined)?.statusCode === 429,
        );
        expect(refusals.length).to.be.at.least(2);
        expect(refusals.filter((line) => (line.level as number) >= WARN_LEVEL)).to.deep.equal([]);
      });

      it('still answers 401 to a bad token, and 400 to a bad body before 401', async () => {
        const user = new TestUser(server.baseUrl);
        const unsigned = { token: 'not-a-token' };
        expectProblem(await user.call('GET', '/tasks', unsigned), 401);
        const bad = await user.call('POST', '/tasks', { ...unsigned, json: { title: 'x', id: 1 } });
        expectProblem(bad, 400);
      });
    });

    describe('weights', () => {
      let server: TestServer;
      before(async () => (server = await serve({ perUser: 30 })));
      after(() => server.close());

      it('counts a search as SEARCH_WEIGHT requests and a bulk request as one per action', async () => {
        const user = new TestUser(server.baseUrl);
        expect(remaining(await user.call('GET', '/tasks'), 'user')).to.equal(29);
        expect(remaining(await user.call('GET', '/tasks?q=plan'), 'user')).to.equal(29 - SEARCH_WEIGHT);
        const actions = Array.from({ length: 5 }, (_, i) => ({ op: 'create', task: { title: `task ${i}` } }));
        const bulk = await user.call('POST', '/tasks/bulk', { json: { actions } });
        expect(bulk.status).to.equal(207);
        expect(remaining(bulk, 'user')).to.equal(29 - SEARCH_WEIGHT - 5);
      });

      it('refuses a search that no longer fits, and everything after it in the window', async () => {
        const user = new TestUser(server.baseUrl);
        for (let i = 0; i < 25; i += 1) await user.call('GET', '/tasks');
        expectProblem(await user.call('GET', '/tasks?q=plan'), 429);
        expectProblem(await user.call('GET', '/tasks'), 429);
      });

      it('caps a weight at the whole limit: a bulk request larger than the limit still runs in a fresh window', async () => {
        await withServer(serve({ perUser: 3 }), async (small) => {
          const user = new TestUser(small.baseUrl);
          const actions = Array.from({ length: 5 }, (_, i) => ({ op: 'create', task: { title: `task ${i}` } }));
          const bulk = await user.call('POST', '/tasks/bulk', { json: { actions } });
          expect(bulk.status).to.equal(207);
          expect(remaining(bulk, 'user')).to.equal(0);
          expectProblem(await user.call('GET', '/tasks'), 429);
        });
      });
    });

    describe('requests in flight', () => {
      it('refuses beyond the limit with Retry-After: 1, without a database statement, before reading the body', async () => {
        await withServer(serve({ inFlightPerUser: 1 }), async (server) => {
          const user = new TestUser(server.baseUrl);
          const socket = await requestHoldingSlot(
            () => requestLeftOpen(server, user),
            async () => (await user.call('GET', '/tasks')).status === 429,
            'the open request to hold the slot',
          );
          try {
            const statements = await statementsDuring(db, async () => {
              expectInFlightRefusal(await user.call('GET', '/tasks'), 1);
              expectInFlightRefusal(
                await user.call('POST', '/tasks', { rawBody: '{"title": ', contentType: 'application/json' }),
                1,
              );
            });
            expect(statements).to.deep.equal([]);
            // Another user has slots of its own.
            expect((await new TestUser(server.baseUrl).call('GET', '/tasks')).status).to.equal(200);
          } finally {
            socket.destroy();
          }
        });
      });

      it('runs one costly request (search, bulk) of a user at a time, beside its plain ones', async () => {
        await withServer(serve({ inFlightPerUser: 4 }), async (server) => {
          const user = new TestUser(server.baseUrl);
          const socket = await requestHoldingSlot(
            () => requestLeftOpen(server, user, '/tasks/bulk'),
            async () => (await user.call('GET', '/tasks?q=plan')).status === 429,
            'the open bulk request to hold the costly slot',
          );
          try {
            const statements = await statementsDuring(db, async () => {
              expectInFlightRefusal(await user.call('GET', '/tasks?q=plan'), 1, 'in-flight-costly');
              expectInFlightRefusal(
                await user.call('POST', '/tasks/bulk', { json: { actions: [{ op: 'create', task: { title: 'x' } }] } }),
                1,
                'in-flight-costly',
              );
            });
            expect(statements).to.deep.equal([]);
            expect((await user.call('GET', '/tasks')).status, 'a plain request still runs').to.equal(200);
            expect((await new TestUser(server.baseUrl).call('GET', '/tasks?q=plan')).status).to.equal(200);
          } finally {
            socket.destroy();
          }
          await pollUntil(
            async () => (await user.call('GET', '/tasks?q=plan')).status === 200,
            'the costly slot to be freed',
            { ms: IN_TEST_BOUND_MS },
          );
        });
      });

      it('frees the slot when the client aborts', async () => {
        await withServer(serve({ inFlightPerUser: 1 }), async (server) => {
          const user = new TestUser(server.baseUrl);
          const socket = await requestHoldingSlot(
            () => requestLeftOpen(server, user),
            async () => (await user.call('GET', '/tasks')).status === 429,
            'the slot to be held',
          );
          socket.destroy();
          await pollUntil(async () => (await user.call('GET', '/tasks')).status === 200, 'the slot to be freed', {
            ms: IN_TEST_BOUND_MS,
          });
        });
      });

      it('frees the slot when the request times out', async () => {
        await withServer(serve({ inFlightPerUser: 1 }, { requestTimeoutMs: 1000 }), async (server) => {
          const user = new TestUser(server.baseUrl);
          const socket = await requestLeftOpen(server, user);
          let answer = '';
          socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
          await within(once(socket, 'close'), IN_TEST_BOUND_MS, 'the server to end the request that timed out');
          expect(answer).to.match(/^HTTP\/1\.1 408/);
          await pollUntil(async () => (await user.call('GET', '/tasks')).status === 200, 'the slot to be freed', {
            ms: IN_TEST_BOUND_MS,
          });
        });
      });

      it('frees every slot once the requests end: many concurrent requests leave none held', async () => {
        await withServer(serve({ inFlightPerUser: 2 }), async (server) => {
          const user = new TestUser(server.baseUrl);
          const statuses = await Promise.all(Array.from({ length: 12 }, () => user.call('GET', '/tasks')));
          expect(statuses.map(({ status }) => status)).to.include(200);
          expect(statuses.every(({ status }) => status === 200 || status === 429)).to.equal(true);
          const after = await Promise.all([user.call('GET', '/tasks'), user.call('GET', '/tasks')]);
          expect(after.map(({ status }) => status)).to.deep.equal([200, 200]);
        });
      });
    });
  });
}

async function withServer(starting: Promise<TestServer>, body: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await starting;
  try {
    await body(server);
  } finally {
    await server.close();
  }
}
