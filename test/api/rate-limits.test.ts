import { randomInt, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Config } from '../../src/config.js';
import { CLEANUP_BATCH, PostgresRateLimitStore } from '../../src/rate-limit/rate-limit.postgres-store.js';
import { expectProblem, request, TestUser, type ApiResponse, type RequestOptions } from '../helpers/api-client.js';
import { DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';
import { specOperations } from '../helpers/spec-conformance.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/test-server.js';
import { IN_TEST_BOUND_MS, pollUntil } from '../helpers/wait.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A client address of its own for each test, sent as X-Forwarded-For through a server that trusts
 * its loopback proxy: counters of one test never reach another's, even in a shared database.
 */
const newAddress = () => `198.18.${randomInt(256)}.${randomInt(1, 255)}`;
const from = (address: string): RequestOptions => ({ headers: { 'x-forwarded-for': address } });

const BEHIND_PROXY: Partial<Config['http']> = { trustProxy: 'loopback' };

interface Limit {
  readonly name: string;
  readonly value: Record<string, string>;
}

/** A draft-8 list header (`"address"; r=2; t=60, "user"; r=4; t=60`) as its items, by policy name. */
function limits(response: ApiResponse, header: 'RateLimit' | 'RateLimit-Policy'): Limit[] {
  const raw = response.headers.get(header);
  if (raw === null) return [];
  return raw.split(/,\s*/).map((item) => {
    const [name = '', ...parameters] = item.split(/;\s*/);
    return {
      name: JSON.parse(name) as string,
      value: Object.fromEntries(
        parameters.map((parameter) => parameter.split(/=(.*)/s).slice(0, 2) as [string, string]),
      ),
    };
  });
}

function policyNames(response: ApiResponse): string[] {
  return limits(response, 'RateLimit-Policy').map(({ name }) => name);
}

function remaining(response: ApiResponse, name: string): number {
  const item = limits(response, 'RateLimit').find((limit) => limit.name === name);
  expect(item, `RateLimit has a "${name}" item: ${response.headers.get('ratelimit')}`).to.not.equal(undefined);
  return Number(item!.value.r);
}

function expectTooManyRequests(response: ApiResponse, maxRetryAfter: number): number {
  const problem = expectProblem(response, 429);
  expect(problem.title).to.equal('Too Many Requests');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).to.be.within(0, maxRetryAfter);
  return retryAfter;
}

async function withServers<T>(servers: Promise<TestServer>[], body: (servers: TestServer[]) => Promise<T>): Promise<T> {
  // The ones that started are closed also when another did not (an open server would keep mocha from exiting).
  const results = await Promise.allSettled(servers);
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((server) => server.close()));
    throw failed.reason;
  }
  try {
    return await body(started);
  } finally {
    await Promise.all(started.map((server) => server.close()));
  }
}

for (const kind of DATABASE_KINDS) {
  describe(`rate limits [${kind}]`, function () {
    this.timeout(30_000);
    let db: Knex;
    before(async () => {
      db = (await sharedTestDatabase(kind)).knex;
    });
    const serve = (rateLimit: Partial<Config['rateLimit']>, options: TestServerOptions = {}) =>
      startTestServer(db, { http: BEHIND_PROXY, ...options, rateLimit });

    describe('per client address, before authentication', () => {
      let server: TestServer;
      before(async () => (server = await serve({ perAddress: 3, perUser: 0 })));
      after(() => server.close());

      it('refuses requests beyond the limit with 429, whatever their token', async () => {
        const address = newAddress();
        const user = new TestUser(server.baseUrl);
        const statuses: number[] = [];
        for (const token of ['not-a-token', undefined, await user.bearer()]) {
          statuses.push((await request(server.baseUrl, 'GET', '/api/me', { token, ...from(address) })).status);
        }
        expect(statuses).to.deep.equal([401, 401, 200]);
        const refused = await request(server.baseUrl, 'GET', '/api/me', { token: 'not-a-token', ...from(address) });
        expectTooManyRequests(refused, 60);
        expect((refused.body as { detail: string }).detail).to.include('address');
        expectTooManyRequests(await user.call('GET', '/api/me', from(address)), 60);
      });

      it('counts each address on its own', async () => {
        const [crowded, other] = [newAddress(), newAddress()];
        for (let i = 0; i < 4; i += 1) await request(server.baseUrl, 'GET', '/api/me', from(crowded));
        expectTooManyRequests(await request(server.baseUrl, 'GET', '/api/me', from(crowded)), 60);
        expectProblem(await request(server.baseUrl, 'GET', '/api/me', from(other)), 401);
      });

      it('tells what is left in RateLimit and the policy in RateLimit-Policy, also on errors', async () => {
        const address = newAddress();
        const first = await request(server.baseUrl, 'GET', '/api/me', from(address));
        expectProblem(first, 401);
        const [policy] = limits(first, 'RateLimit-Policy');
        expect(policy?.name).to.equal('address');
        expect(policy?.value).to.include({ q: '3', w: '60' });
        expect(policy?.value.pk).to.match(/^:[A-Za-z0-9+/=]+:$/);
        expect(remaining(first, 'address')).to.equal(2);
        const t = Number(limits(first, 'RateLimit')[0]!.value.t);
        expect(t).to.be.within(0, 60);
        expect(remaining(await request(server.baseUrl, 'GET', '/api/me', from(address)), 'address')).to.equal(1);
      });

      it('leaves probes, documents and metrics unlimited', async () => {
        const address = newAddress();
        for (let i = 0; i < 5; i += 1) {
          for (const path of ['/health', '/openapi.json', '/metrics']) {
            const response = await request(server.baseUrl, 'GET', path, from(address));
            expect(response.status, path).to.equal(200);
            expect(response.headers.has('ratelimit'), path).to.equal(false);
          }
        }
      });

      it('reads the address from X-Forwarded-For only behind a trusted proxy', async () => {
        await withServers([serve({ perAddress: 2, perUser: 0 }, { http: { trustProxy: false } })], async ([direct]) => {
          // Without TRUST_PROXY a client cannot escape its limit by claiming other addresses.
          for (let i = 0; i < 2; i += 1) await request(direct!.baseUrl, 'GET', '/api/me', from(newAddress()));
          expectTooManyRequests(await request(direct!.baseUrl, 'GET', '/api/me', from(newAddress())), 60);
        });
      });
    });

    describe('per user, after authentication', () => {
      let server: TestServer;
      before(async () => (server = await serve({ perAddress: 100, perUser: 2 })));
      after(() => server.close());

      it('refuses the user beyond the limit from any address, and no one else', async () => {
        const user = new TestUser(server.baseUrl);
        expect((await user.call('GET', '/api/me', from(newAddress()))).status).to.equal(200);
        expect((await user.call('GET', '/tasks', from(newAddress()))).status).to.equal(200);
        const refused = await user.call('GET', '/api/me', from(newAddress()));
        expectTooManyRequests(refused, 60);
        expect((refused.body as { detail: string }).detail).to.include('user');
        expect((await new TestUser(server.baseUrl).call('GET', '/api/me', from(newAddress()))).status).to.equal(200);
      });

      it('carries both policies, each with what is left of it', async () => {
        const user = new TestUser(server.baseUrl);
        const address = newAddress();
        const first = await user.call('GET', '/api/me', from(address));
        expect(policyNames(first)).to.deep.equal(['address', 'user']);
        expect(limits(first, 'RateLimit-Policy')[1]?.value).to.include({ q: '2', w: '60' });
        expect([remaining(first, 'address'), remaining(first, 'user')]).to.deep.equal([99, 1]);
        await user.call('GET', '/api/me', from(address));
        const refused = await user.call('GET', '/api/me', from(address));
        const retryAfter = expectTooManyRequests(refused, 60);
        expect([remaining(refused, 'address'), remaining(refused, 'user')]).to.deep.equal([97, 0]);
        // Retry-After is the refusing limit's reset.
        expect(retryAfter).to.equal(Number(limits(refused, 'RateLimit')[1]!.value.t));
      });

      it('is not counted for requests refused before the user is known', async () => {
        const user = new TestUser(server.baseUrl);
        for (let i = 0; i < 3; i += 1)
          expectProblem(await request(server.baseUrl, 'GET', `/api/${user.id}/tasks`, from(newAddress())), 401);
        const response = await user.call('GET', '/api/me', from(newAddress()));
        expect(response.status).to.equal(200);
        expect(policyNames(response)).to.deep.equal(['address', 'user']);
        expect(remaining(response, 'user')).to.equal(1);
      });
    });

    it('starts a new window once Retry-After has passed', async () => {
      await withServers([serve({ windowSeconds: 1, perAddress: 1, perUser: 0 })], async ([server]) => {
        const address = newAddress();
        expectProblem(await request(server!.baseUrl, 'GET', '/api/me', from(address)), 401);
        const retryAfter = expectTooManyRequests(await request(server!.baseUrl, 'GET', '/api/me', from(address)), 1);
        await sleep(retryAfter * 1000 + 300);
        const again = await request(server!.baseUrl, 'GET', '/api/me', from(address));
        expectProblem(again, 401);
        expect(remaining(again, 'address')).to.equal(0);
      });
    });

    it('answers 429 on every /api operation, as the spec documents', async () => {
      const user = `limited-${randomUUID()}`;
      await withServers([serve({ perAddress: 1, perUser: 0 })], async ([server]) => {
        const operations = specOperations().filter(
          (operation) => operation.path.startsWith('/api') && operation.statuses.includes('429'),
        );
        expect(operations.map(({ operationId }) => operationId)).to.include.members([
          'getCurrentUser',
          'listTasks',
          'createTask',
        ]);
        for (const operation of operations) {
          const address = newAddress();
          const path = operation.path
            .replace('{user_id}', user)
            .replace('{task_id}', '1')
            .replace('{list_id}', '1')
            .replace('{webhook_id}', '1')
            .replace('{delivery_id}', '1');
          const body =
            operation.requestExample === undefined
              ? {}
              : { rawBody: JSON.stringify(operation.requestExample), contentType: operation.requestMediaTypes[0] };
          await request(server!.baseUrl, operation.method, path, { ...from(address), ...body });
          expectTooManyRequests(
            await request(server!.baseUrl, operation.method, path, { ...from(address), ...body }),
            60,
          );
        }
      });
    });

    if (kind !== 'pglite') {
      describe('counters in PostgreSQL, shared by every process', () => {
        it('are shared by two app instances over one database', async () => {
          await withServers(
            [serve({ perAddress: 3, perUser: 2 }), serve({ perAddress: 3, perUser: 2 })],
            async ([a, b]) => {
              const address = newAddress();
              expectProblem(await request(a!.baseUrl, 'GET', '/api/me', from(address)), 401);
              expectProblem(await request(b!.baseUrl, 'GET', '/api/me', from(address)), 401);
              expect(remaining(await request(a!.baseUrl, 'GET', '/api/me', from(address)), 'address')).to.equal(0);
              expectTooManyRequests(await request(b!.baseUrl, 'GET', '/api/me', from(address)), 60);

              const user = new TestUser(a!.baseUrl);
              const token = await user.bearer();
              expect((await request(a!.baseUrl, 'GET', '/api/me', { token, ...from(newAddress()) })).status).to.equal(
                200,
              );
              expect((await request(b!.baseUrl, 'GET', '/api/me', { token, ...from(newAddress()) })).status).to.equal(
                200,
              );
              expectTooManyRequests(await request(a!.baseUrl, 'GET', '/api/me', { token, ...from(newAddress()) }), 60);
            },
          );
        });

        it('are counted in memory, and all written once the server has closed', async () => {
          const address = newAddress();
          const stored = () =>
            db('rate_limit_counters')
              .where({ key: `address:${address}` })
              .first<{ hits: number } | undefined>('hits');
          const server = await serve({ perAddress: 1_000, perUser: 0 });
          try {
            for (let i = 0; i < 20; i += 1) await request(server.baseUrl, 'GET', '/api/me', from(address));
            expect((await stored())?.hits, 'the first request started the window in the table').to.be.within(1, 20);
          } finally {
            await server.close();
          }
          expect((await stored())?.hits, 'closing the server wrote the rest').to.equal(20);
        });

        it('count concurrent hits exactly, one statement each', async () => {
          const store = new PostgresRateLimitStore(db, 60, `test-${randomUUID()}:`, (error: unknown) => {
            throw error;
          });
          const hits = await Promise.all(Array.from({ length: 40 }, () => store.hit('key', 1)));
          expect(hits.map(({ hits: count }) => count).sort((x, y) => x - y)).to.deep.equal(
            Array.from({ length: 40 }, (_, i) => i + 1),
          );
          expect(new Set(hits.map(({ resetAt }) => resetAt.getTime())).size, 'one window').to.equal(1);
          await store.resetKey('key');
        });

        it('restart an ended window in the same statement', async () => {
          const prefix = `test-${randomUUID()}:`;
          const store = new PostgresRateLimitStore(db, 60, prefix, () => undefined);
          await db('rate_limit_counters').insert({
            key: `${prefix}key`,
            hits: 7,
            reset_at: db.raw("now() - interval '1 second'"),
          });
          const { hits, resetAt } = await store.hit('key', 3);
          expect(hits, 'the new window holds only this hit, with its weight').to.equal(3);
          expect(resetAt.getTime()).to.be.closeTo(Date.now() + 60_000, 5_000);
          await store.resetKey('key');
        });

        it('delete ended windows in bounded batches, only their own, never a running one', async () => {
          const prefix = `test_${randomUUID()}:`;
          const other = `test-${randomUUID()}:`;
          const store = new PostgresRateLimitStore(db, 60, prefix, () => undefined);
          const ended = db.raw("now() - interval '1 minute'");
          const rows = (keyPrefix: string, count: number, resetAt: Knex.Raw) =>
            Array.from({ length: count }, (_, i) => ({ key: `${keyPrefix}${i}`, hits: 1, reset_at: resetAt }));
          await db.batchInsert(
            'rate_limit_counters',
            [...rows(prefix, CLEANUP_BATCH + 20, ended), ...rows(other, 3, ended)],
            200,
          );
          await db('rate_limit_counters').insert({
            key: `${prefix}running`,
            hits: 1,
            reset_at: db.raw("now() + interval '1 minute'"),
          });
          // `_` in the prefix is a LIKE wildcard: it must not reach this key.
          await db('rate_limit_counters').insert({
            key: prefix.replace('_', 'x') + 'lookalike',
            hits: 1,
            reset_at: ended,
          });

          expect(await store.deleteEndedWindows()).to.equal(CLEANUP_BATCH);
          expect(await store.deleteEndedWindows()).to.equal(20);
          expect(await store.deleteEndedWindows()).to.equal(0);
          const left = await db('rate_limit_counters').where('key', 'like', 'test%').pluck('key');
          expect(left).to.include.members([`${prefix}running`, `${other}0`, prefix.replace('_', 'x') + 'lookalike']);
          await db('rate_limit_counters').whereIn('key', left).del();
        });
      });
    }
  });
}

describe('rate limits with counters in Redis', function () {
  this.timeout(30_000);
  const prefix = `todo-api-test:${randomUUID()}:`;
  let db: Knex;
  let admin: Redis;
  before(async () => {
    db = (await sharedTestDatabase(DATABASE_KINDS.at(-1)!)).knex;
    admin = new Redis(REDIS_URL, { lazyConnect: true });
    await admin.connect();
  });
  after(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });
  // The real Redis is up: the servers count on it from the first request (the relay may be down on purpose).
  const serve = (redisUrl: string, rateLimit: Partial<Config['rateLimit']> = {}) =>
    startTestServer(db, {
      http: BEHIND_PROXY,
      rateLimit: { perAddress: 3, perUser: 0, ...rateLimit, redisUrl },
      redisKeyPrefix: prefix,
      waitForRedis: redisUrl === REDIS_URL,
    });

  it('shares counters between two app instances over one Redis', async () => {
    await withServers([serve(REDIS_URL), serve(REDIS_URL)], async ([a, b]) => {
      const address = newAddress();
      expectProblem(await request(a!.baseUrl, 'GET', '/api/me', from(address)), 401);
      expect(remaining(await request(b!.baseUrl, 'GET', '/api/me', from(address)), 'address')).to.equal(1);
      expectProblem(await request(a!.baseUrl, 'GET', '/api/me', from(address)), 401);
      expectTooManyRequests(await request(b!.baseUrl, 'GET', '/api/me', from(address)), 60);
      expect(await admin.keys(`${prefix}rate-limit:address:*`)).to.include(`${prefix}rate-limit:address:${address}`);
    });
  });

  it('lets requests through, promptly and without RateLimit headers, while Redis is down', async () => {
    const proxy = await RedisProxy.start();
    await proxy.stop();
    await withServers([serve(proxy.url, { perAddress: 1 })], async ([server]) => {
      const address = newAddress();
      for (let i = 0; i < 3; i += 1) {
        const started = Date.now();
        const response = await request(server!.baseUrl, 'GET', '/api/me', from(address));
        expectProblem(response, 401);
        expect(Date.now() - started, 'answered without waiting for Redis').to.be.below(1_000);
        expect(response.headers.has('ratelimit')).to.equal(false);
        expect(response.headers.has('ratelimit-policy')).to.equal(false);
      }
    });
  });

  it('limits again once Redis is back, even if it was down when the server started', async () => {
    const proxy = await RedisProxy.start();
    await proxy.stop();
    await withServers([serve(proxy.url, { perAddress: 1 })], async ([server]) => {
      const address = newAddress();
      expect((await request(server!.baseUrl, 'GET', '/api/me', from(address))).headers.has('ratelimit')).to.equal(
        false,
      );
      await proxy.resume();
      // The client reconnects on its own schedule: polled until a request is counted, bounded.
      let response: ApiResponse | undefined;
      await pollUntil(
        async () =>
          (response = await request(server!.baseUrl, 'GET', '/api/me', from(address))).headers.has('ratelimit'),
        'a request to be counted in Redis again',
        { ms: IN_TEST_BOUND_MS, everyMs: 100 },
      );
      expect(response?.headers.has('ratelimit'), 'counted once Redis answers').to.equal(true);
      expectTooManyRequests(await request(server!.baseUrl, 'GET', '/api/me', from(address)), 60);
    });
    await proxy.stop();
  });
});

/** A TCP relay to the test Redis that can be cut and restored on the same port: an outage on demand. */
class RedisProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  private constructor(private port = 0) {}

  static async start(): Promise<RedisProxy> {
    const proxy = new RedisProxy();
    await proxy.resume();
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async resume(): Promise<void> {
    const upstream = new URL(REDIS_URL);
    this.server = createServer((client) => {
      const server = connect(Number(upstream.port || 6379), upstream.hostname);
      for (const socket of [client, server]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket)).on('error', () => undefined);
      }
      client.pipe(server).pipe(client);
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}
