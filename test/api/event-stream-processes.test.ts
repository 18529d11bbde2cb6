import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { expectProblem, TestUser } from '../helpers/api-client.js';
import { adminKnex, DATABASE_KINDS, sharedTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { openEventStream, type OpenStream } from '../helpers/event-stream.js';
import { postgresSignal, redisReachable, redisSignal, TEST_REDIS_URL, type ProcessSignal } from '../helpers/signals.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/test-server.js';
import { pollUntil } from '../helpers/wait.js';

// A change handled by one process reaches a stream held by another: two servers over one
// PostgreSQL database, each with the signal src/server.ts would build for it (LISTEN/NOTIFY, or
// Redis pub/sub), as two processes behind a load balancer. The streams' heartbeat is a minute, which
// no test waits for: whatever a stream receives, a signal woke it for (or the gap a lost
// connection reported).

const QUIET = { heartbeatMs: 60_000 };

/** Two servers (processes) over one database, each with its own signal; closed after each test. */
function twoProcesses(makeSignal: () => ProcessSignal & { readonly name: string }) {
  const started: { server: TestServer; signal: ProcessSignal }[] = [];
  const streams: OpenStream[] = [];
  return {
    async start(db: Knex, options: TestServerOptions = {}) {
      const made = [makeSignal(), makeSignal()];
      const servers = await Promise.all(
        made.map((signal) =>
          startTestServer(db, { ...options, events: { ...QUIET, ...options.events }, signal: signal.signal }),
        ),
      );
      servers.forEach((server, index) => started.push({ server, signal: made[index]! }));
      return { a: servers[0]!, b: servers[1]!, signalOfB: made[1]! };
    },
    async follow(server: TestServer, user: TestUser): Promise<OpenStream> {
      const stream = await openEventStream(server.baseUrl, user.id, { token: await user.bearer() });
      streams.push(stream);
      return stream;
    },
    async stop() {
      await Promise.all(streams.splice(0).map((stream) => stream.close()));
      await Promise.all(
        started.splice(0).map(async ({ server, signal }) => {
          await server.close();
          await signal.close();
        }),
      );
    },
  };
}

/** A user of server `a`'s, with their default list made (its event is no test's business). */
async function newUser(a: TestServer): Promise<TestUser> {
  const user = new TestUser(a.baseUrl);
  expect((await user.call('GET', '/lists')).status).to.equal(200);
  return user;
}

for (const kind of ['postgres', 'pgbouncer'] as const) {
  describe(`event stream across processes, over LISTEN/NOTIFY [${kind}]`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let admin: Knex;
    const named = (name: string) => {
      const url = new URL(database.directUrl!);
      url.searchParams.set('application_name', name);
      return url.toString();
    };
    // NOTIFY through the suite's pool (through the pooler for pgbouncer), LISTEN directly (DATABASE_LISTEN_URL).
    const processes = twoProcesses(() => {
      const name = `stream-${randomUUID().slice(0, 8)}`;
      return { ...postgresSignal(database.knex, named(name)), name };
    });
    const listeners = async (name: string) =>
      (
        await admin.raw<{ rows: { pid: number }[] }>(
          `select pid from pg_stat_activity where application_name = ? and query = 'listen todo_events' and state = 'idle'`,
          [name],
        )
      ).rows.map((row) => row.pid);

    before(async function () {
      if (!DATABASE_KINDS.includes(kind)) return this.skip();
      database = await sharedTestDatabase(kind);
      admin = adminKnex(database.directUrl!);
    });
    afterEach(() => processes.stop());
    after(async () => admin?.destroy());

    it('a change made through one process reaches a stream held by the other', async () => {
      const { a, b, signalOfB } = await processes.start(database.knex);
      await pollUntil(async () => (await listeners(signalOfB.name)).length === 1, 'B to listen');
      const alice = await newUser(a);
      const stream = await processes.follow(b, alice);
      await alice.createTask({ title: 'Made through A' });
      const [event] = await stream.eventsUntil(1);
      expect(event!.data.task?.title).to.equal('Made through A');
    });

    it("still gets later events, and those made meanwhile, after its process's LISTEN connection was terminated", async () => {
      const { a, b, signalOfB } = await processes.start(database.knex);
      await pollUntil(async () => (await listeners(signalOfB.name)).length === 1, 'B to listen');
      const alice = await newUser(a);
      const stream = await processes.follow(b, alice);
      const [killed] = await listeners(signalOfB.name);
      await admin.raw('select pg_terminate_backend(?)', [killed!]);
      // Made while B may not listen yet: the gap its reconnection reports wakes the stream for it.
      await alice.createTask({ title: 'Meanwhile' });
      await stream.eventsUntil(1);
      await pollUntil(async () => (await listeners(signalOfB.name)).some((pid) => pid !== killed), 'B to listen again');
      await alice.createTask({ title: 'Later' });
      const events = await stream.eventsUntil(2);
      expect(events.map((event) => event.data.task?.title)).to.deep.equal(['Meanwhile', 'Later']);
    });
  });
}

describe('event stream across processes, over Redis pub/sub [postgres]', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let redis: Redis;
  const processes = twoProcesses(() => redisSignal(database.knex));
  /** The id of the subscriber connection named `name`, from CLIENT LIST. */
  const subscriber = async (name: string) =>
    ((await redis.client('LIST')) as string)
      .split('\n')
      .find((entry) => entry.includes(` name=${name} `) && / sub=1 /.test(entry))
      ?.match(/^id=(\d+)/)?.[1];

  before(async function () {
    if (!DATABASE_KINDS.includes('postgres')) return this.skip();
    if (!(await redisReachable())) {
      if (process.env.CI) throw new Error(`Redis unreachable at ${TEST_REDIS_URL}; CI requires it`);
      return this.skip();
    }
    database = await sharedTestDatabase('postgres');
    redis = new Redis(TEST_REDIS_URL);
  });
  afterEach(() => processes.stop());
  after(() => redis?.disconnect());

  it('a change made through one process reaches a stream held by the other, also after its subscriber was killed', async () => {
    const { a, b, signalOfB } = await processes.start(database.knex);
    await pollUntil(async () => (await subscriber(signalOfB.name)) !== undefined, 'B to subscribe');
    const alice = await newUser(a);
    const stream = await processes.follow(b, alice);
    await alice.createTask({ title: 'Made through A' });
    await stream.eventsUntil(1);

    const killed = (await subscriber(signalOfB.name))!;
    await redis.client('KILL', 'ID', killed);
    await alice.createTask({ title: 'Meanwhile' });
    await stream.eventsUntil(2);
    await pollUntil(
      async () => ![undefined, killed].includes(await subscriber(signalOfB.name)),
      'B to subscribe again',
    );
    await alice.createTask({ title: 'Later' });
    const events = await stream.eventsUntil(3);
    expect(events.map((event) => event.data.task?.title)).to.deep.equal(['Made through A', 'Meanwhile', 'Later']);
  });

  it("bounds a user's streams across the processes sharing the Redis, and frees a closed one's slot for any", async () => {
    const shared = {
      rateLimit: { redisUrl: TEST_REDIS_URL },
      redisKeyPrefix: `test-${randomUUID()}:`,
      waitForRedis: true,
    };
    const { a, b } = await processes.start(database.knex, { ...shared, events: { streamsPerUser: 2 } });
    const alice = await newUser(a);
    const onA = await processes.follow(a, alice);
    await processes.follow(b, alice);
    for (const server of [a, b]) {
      const refused = await processes.follow(server, alice);
      expectProblem({ status: refused.status, headers: refused.headers, body: refused.body }, 429);
      expect(refused.headers.get('ratelimit-policy')).to.equal('"streams"; q=2');
    }
    await onA.close();
    await pollUntil(async () => (await processes.follow(b, alice)).status === 200, "the closed stream's slot to free");
  });
});
