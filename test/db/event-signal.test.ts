import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createEventSignal } from '../../src/events/event-signal.js';
import { postgresTransport } from '../../src/events/signal-postgres.js';
import { adminKnex, DATABASE_KINDS, sharedTestDatabase, type TestDatabase } from '../helpers/databases.js';
import {
  Heard,
  postgresSignal,
  recordingLogger,
  redisReachable,
  redisSignal,
  TEST_REDIS_URL,
  type ProcessSignal,
} from '../helpers/signals.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { IN_TEST_BOUND_MS, pollUntil, within } from '../helpers/wait.js';

// The signal of new events between processes (src/events/event-signal.ts): each test builds two
// "processes'" signals over one database, as src/server.ts does, and shows that an announcement
// in one reaches the other's subscribers; that ids of any length and character arrive; and that a
// lost connection is found and opened again, after which the other process is told of the gap
// (every user) and hears later announcements.

/** A user id as long and as strange as a token's `sub` may be: 255 code points, 4 bytes each in UTF-8, a newline among them. */
const longId = (index: number) => `${index}\n${'😀'.repeat(250)}`.slice(0, 255);

/** The URL with an application_name, by which the test finds its connection in pg_stat_activity. */
function named(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

/** The backends of the connections named `name` that listen (their last statement the LISTEN, or a ping or a NOTIFY after it). */
async function listenerPids(admin: Knex, name: string): Promise<number[]> {
  const { rows } = await admin.raw<{ rows: { pid: number }[] }>(
    `select pid from pg_stat_activity
      where application_name = ? and state = 'idle'
        and (query in ('listen todo_events', 'select 1') or query like 'select pg_notify(%')`,
    [name],
  );
  return rows.map((row) => row.pid);
}

async function listenerPid(admin: Knex, name: string): Promise<number | undefined> {
  const pids = await listenerPids(admin, name);
  if (pids.length > 1) throw new Error(`${name}: ${pids.length} listening connections`);
  return pids[0];
}

for (const kind of ['postgres', 'pgbouncer'] as const) {
  describe(`event signal over LISTEN/NOTIFY [${kind}]`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let admin: Knex;
    const opened: ProcessSignal[] = [];

    before(async function () {
      if (!DATABASE_KINDS.includes(kind)) return this.skip();
      database = await sharedTestDatabase(kind);
      admin = adminKnex(database.directUrl!);
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((signal) => signal.close()));
    });
    after(async () => admin?.destroy());

    /** A process's signal: NOTIFY through the suite's pool (the pooler for pgbouncer), LISTEN directly, once listening. */
    async function processSignal(): Promise<ProcessSignal & { readonly name: string }> {
      const name = `signal-${randomUUID().slice(0, 8)}`;
      const signal = { ...postgresSignal(database.knex, named(database.directUrl!, name)), name };
      opened.push(signal);
      await pollUntil(async () => (await listenerPid(admin, name)) !== undefined, `${name} to listen`);
      return signal;
    }

    it("tells another process's subscribers, and its own once", async () => {
      const [a, b] = [await processSignal(), await processSignal()];
      const [inA, inB] = [new Heard(a.signal), new Heard(b.signal)];
      const user = `user-${randomUUID()}`;
      a.signal.announce(user);
      await inB.hears(user);
      // A's own announcement came back to it over NOTIFY too: it must not be told twice.
      b.signal.announce('sync-point');
      await inA.hears('sync-point');
      expect(inA.users.filter((heard) => heard === user)).to.have.length(1);
    });

    it("tells a subscriber of this process's announcements alone (the webhooks' relay) none of another's", async () => {
      const [a, b] = [await processSignal(), await processSignal()];
      const [everyone, own] = [new Heard(b.signal), new Heard(b.signal, 'own')];
      const user = `user-${randomUUID()}`;
      a.signal.announce(user);
      await everyone.hears(user);
      b.signal.announce('own');
      await own.hears('own');
      expect(own.users).to.deep.equal(['own']);
    });

    it('notifies through its listening connection while it listens, through the pool while it cannot', async () => {
      const notifiedThroughPool: string[] = [];
      const counter = (query: { sql: string }) => {
        if (query.sql.includes('pg_notify')) notifiedThroughPool.push(query.sql);
      };
      database.knex.on('query', counter);
      try {
        const [a, b] = [await processSignal(), await processSignal()];
        const inB = new Heard(b.signal);
        const user = `user-${randomUUID()}`;
        a.signal.announce(user);
        await inB.hears(user);
        expect(notifiedThroughPool).to.deep.equal([]);

        // A process whose listening connection cannot be opened still tells the others.
        const { logger } = recordingLogger();
        const deaf = createEventSignal(
          postgresTransport(database.knex, 'postgres://postgres@127.0.0.1:1/nowhere', logger),
          logger,
        );
        try {
          const unheard = `user-${randomUUID()}`;
          deaf.announce(unheard);
          await inB.hears(unheard);
          expect(notifiedThroughPool).to.have.length(1);
        } finally {
          await deaf.close();
        }
      } finally {
        database.knex.off('query', counter);
      }
    });

    it('carries ids of any length and character, many at once, in messages under the 8000-byte bound', async () => {
      const [a, b] = [await processSignal(), await processSignal()];
      const inB = new Heard(b.signal);
      const users = Array.from({ length: 60 }, (_, index) => longId(index));
      for (const user of users) a.signal.announce(user);
      await inB.until((heard) => users.every((user) => heard.includes(user)), 'all 60 users');
      expect(
        a.lines.filter((line) => line.level === 40),
        'no NOTIFY refused',
      ).to.deep.equal([]);
    });

    it('sends what it gathered when closed, before closing', async () => {
      const [a, b] = [await processSignal(), await processSignal()];
      const inB = new Heard(b.signal);
      const user = `user-${randomUUID()}`;
      a.signal.announce(user);
      await a.close();
      await inB.hears(user);
    });

    it('listens again when its connection is terminated, tells of the gap, and hears later announcements', async () => {
      const [a, b] = [await processSignal(), await processSignal()];
      const inB = new Heard(b.signal);
      const killed = (await listenerPid(admin, b.name))!;
      await admin.raw('select pg_terminate_backend(?)', [killed]);
      await inB.hearsGap();
      expect(await listenerPid(admin, b.name))
        .to.be.a('number')
        .and.not.equal(killed);
      const user = `user-${randomUUID()}`;
      a.signal.announce(user);
      await inB.hears(user);
      expect(b.lines.some((line) => line.msg === 'the events listener lost its connection: reconnecting')).to.equal(
        true,
      );
    });

    it('finds a connection that went silent (no error, no end) by its ping, and listens again', async () => {
      const direct = new URL(database.directUrl!);
      const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
      const { logger, lines } = recordingLogger();
      const name = `silent-${randomUUID().slice(0, 8)}`;
      const b = createEventSignal(
        postgresTransport(database.knex, named(proxy.via(database.directUrl!), name), logger, {
          pingMs: 100,
          pingTimeoutMs: 300,
        }),
        logger,
      );
      try {
        const a = await processSignal();
        const inB = new Heard(b);
        await pollUntil(async () => (await listenerPid(admin, name)) !== undefined, `${name} to listen`);
        const silenced = (await listenerPid(admin, name))!;
        proxy.silence();
        await inB.hearsGap();
        expect(lines.some((line) => line.msg === 'the events listener does not answer: reconnecting')).to.equal(true);
        // The silenced one stays, idle, on the server's side: it never heard of the client's end.
        await pollUntil(
          async () => (await listenerPids(admin, name)).some((pid) => pid !== silenced),
          'a new listening connection',
        );
        const user = `user-${randomUUID()}`;
        a.signal.announce(user);
        await inB.hears(user);
        // And what it announces reaches the others, whether its listening connection is silent or new.
        const inA = new Heard(a.signal);
        proxy.silence();
        const fromB = `user-${randomUUID()}`;
        b.announce(fromB);
        await inA.hears(fromB);
      } finally {
        await b.close();
        await proxy.close();
      }
    });

    it('closes at once while its database cannot be reached', async () => {
      const { logger } = recordingLogger();
      const signal = createEventSignal(
        postgresTransport(database.knex, 'postgres://postgres@127.0.0.1:1/nowhere', logger),
        logger,
      );
      await within(signal.close(), IN_TEST_BOUND_MS, 'the signal to close');
    });
  });
}

describe('event signal over Redis pub/sub', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let redis: Redis;
  const opened: ProcessSignal[] = [];

  before(async function () {
    if (!(await redisReachable())) {
      if (process.env.CI) throw new Error(`Redis unreachable at ${TEST_REDIS_URL}; CI requires it`);
      return this.skip();
    }
    database = await sharedTestDatabase('pglite');
    redis = new Redis(TEST_REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((signal) => signal.close()));
  });
  after(() => redis?.disconnect());

  /** The CLIENT LIST entry of the subscriber named `name`. */
  async function subscriberId(name: string): Promise<string | undefined> {
    const list = (await redis.client('LIST')) as string;
    const line = list.split('\n').find((entry) => entry.includes(` name=${name} `) && / sub=1 /.test(entry));
    return line?.match(/^id=(\d+)/)?.[1];
  }

  async function processSignal(): Promise<ProcessSignal & { readonly name: string }> {
    const signal = redisSignal(database.knex);
    opened.push(signal);
    await pollUntil(async () => (await subscriberId(signal.name)) !== undefined, `${signal.name} to subscribe`);
    return signal;
  }

  it("tells another process's subscribers, and its own once", async () => {
    const [a, b] = [await processSignal(), await processSignal()];
    const [inA, inB] = [new Heard(a.signal), new Heard(b.signal)];
    const users = [`user-${randomUUID()}`, longId(1), longId(2)];
    for (const user of users) a.signal.announce(user);
    await inB.until((heard) => users.every((user) => heard.includes(user)), 'the three users');
    b.signal.announce('sync-point');
    await inA.hears('sync-point');
    expect(inA.users.filter((heard) => heard === users[0])).to.have.length(1);
  });

  it('subscribes again after its connection is killed, tells of the gap, and hears later announcements', async () => {
    const [a, b] = [await processSignal(), await processSignal()];
    const inB = new Heard(b.signal);
    const killed = (await subscriberId(b.name))!;
    await redis.client('KILL', 'ID', killed);
    await inB.hearsGap();
    const again = await subscriberId(b.name);
    expect(again).to.be.a('string').and.not.equal(killed);
    const user = `user-${randomUUID()}`;
    a.signal.announce(user);
    await inB.hears(user);
  });
});
