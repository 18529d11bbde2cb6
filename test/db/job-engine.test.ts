import { randomBytes } from 'node:crypto';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { TestClock, type Clock, type Job } from 'pg-boss';
import { startBackground } from '../../src/background.js';
import { loadConfig } from '../../src/config.js';
import { openPostgresPool } from '../../src/db/database.js';
import { inRequestTransaction } from '../../src/db/request-transaction.js';
import { createEventSignal } from '../../src/events/event-signal.js';
import type { BackgroundJob } from '../../src/jobs/background-job.js';
import { startJobEngine, type JobEngine } from '../../src/jobs/job-engine.js';
import { createLogger } from '../../src/logger.js';
import { TestUser } from '../helpers/api-client.js';
import {
  createTestDatabase,
  DATABASE_KINDS,
  sharedTestDatabase,
  type DatabaseKind,
  type TestDatabase,
} from '../helpers/databases.js';
import { startTestServer } from '../helpers/test-server.js';
import { TEST_SECRET } from '../helpers/tokens.js';
import { IN_TEST_BOUND_MS, pollUntil, within } from '../helpers/wait.js';

// Issue 17: the job engine (src/jobs/: pg-boss over the server's own Knex) on each database: a job
// sent runs once; one that throws runs again as its queue says; RUN_JOBS=false sends without
// running; stop() waits (bounded) for the jobs under way; two engines over one PostgreSQL never
// run a job twice; the engine's statements never land inside a request's transaction (on PGlite,
// one connection, they wait for it), and a job sent inside one is sent with it. Time-driven
// behaviour (retry delays, the hourly schedules) runs on pg-boss's TestClock, on a database of its
// own: the clock is the whole pg-boss schema's.

const engineKind = (kind: DatabaseKind) => (kind === 'pglite' ? 'pglite' : 'postgres');
/** A queue of the test's own: engines of other tests over the shared database never see its jobs. */
const queueName = () => `test-${randomBytes(6).toString('hex')}`;
/** Workers that look for jobs every half second (pg-boss's least), so that tests wait little. */
const EAGER = { pollingIntervalSeconds: 0.5 } as const;

interface JobRow {
  readonly id: string;
  readonly state: string;
  readonly retry_count: number;
}

/** The queue's jobs as pg-boss keeps them, oldest first. */
async function jobsOf(db: Knex, name: string): Promise<JobRow[]> {
  const { rows } = await db.raw<{ rows: JobRow[] }>(
    'select id, state, retry_count from pgboss.job where name = ? order by created_on, id',
    [name],
  );
  return rows;
}

/** Until every one of the queue's `count` jobs is completed. */
const allCompleted = (db: Knex, name: string, count: number) =>
  pollUntil(async () => {
    const jobs = await jobsOf(db, name);
    return jobs.length === count && jobs.every((job) => job.state === 'completed');
  }, `the ${count} jobs of ${name} to complete`);

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    { logLevel: 'info', logFormat: 'json' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

/** A promise settled from outside: what a job waits for, or tells that it has started. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => (open = resolve));
  return { open, opened };
}

/**
 * Whether `promise` has settled, after `turns` round trips to the database, each followed by a
 * turn of the event loop, give it every chance to (PGlite answers without one).
 */
async function settledAfter(promise: Promise<unknown>, db: Knex | Knex.Transaction, turns = 20): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let turn = 0; turn < turns && !settled; turn += 1) {
    await db.raw('select 1');
    await setImmediate();
  }
  return settled;
}

/** The service's default settings, as the server reads them (the jobs' retention and history days). */
const defaultConfig = () => loadConfig({ BETTER_AUTH_SECRET: TEST_SECRET });

for (const kind of DATABASE_KINDS) {
  describe(`job engine [${kind}]`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    const engines: JobEngine[] = [];
    const { logger, lines } = memoryLogger();

    before(async function () {
      this.timeout(120_000);
      database = await sharedTestDatabase(kind);
    });
    afterEach(async () => {
      await Promise.all(engines.splice(0).map((engine) => engine.stop()));
    });

    async function start(
      jobs: BackgroundJob[],
      {
        db = database.knex,
        runJobs = true,
        stopTimeoutMs,
      }: { db?: Knex; runJobs?: boolean; stopTimeoutMs?: number } = {},
    ): Promise<JobEngine> {
      const engine = await startJobEngine({
        db,
        kind: engineKind(kind),
        logger,
        jobs,
        runJobs,
        superviseSeconds: defaultConfig().background.superviseSeconds,
        ...(stopTimeoutMs === undefined ? {} : { stopTimeoutMs }),
      });
      engines.push(engine);
      return engine;
    }

    it('starts over the database and runs a job sent to it, once', async () => {
      const name = queueName();
      const ran: Job[] = [];
      const engine = await start([{ name, work: EAGER, run: async (jobs) => void ran.push(...jobs) }]);
      const id = await engine.send(name, { hello: 'world' });
      await allCompleted(database.knex, name, 1);
      expect(ran.map((job) => [job.id, job.data])).to.deep.equal([[id, { hello: 'world' }]]);
    });

    it('runs a job that throws again as its queue says, then fails it, saying so each time', async () => {
      const name = queueName();
      let attempts = 0;
      const engine = await start([
        {
          name,
          queue: { retryLimit: 2, retryDelay: 0 },
          work: EAGER,
          run: async () => {
            attempts += 1;
            throw new Error(`attempt ${attempts} failed`);
          },
        },
      ]);
      await engine.send(name, {});
      await pollUntil(async () => (await jobsOf(database.knex, name))[0]?.state === 'failed', 'the job to fail');
      expect(attempts).to.equal(3);
      expect((await jobsOf(database.knex, name))[0]!.retry_count).to.equal(2);
      const warnings = lines.filter((line) => line.job === name);
      expect(warnings.map((line) => [line.level, line.msg])).to.deep.equal(
        Array(3).fill([40, `job ${name} failed: it runs again as its queue says`]),
      );
    });

    it('only sends with RUN_JOBS=false: an engine that runs them runs every job it sent', async () => {
      const name = queueName();
      const ranBy: string[] = [];
      const job = (engine: string): BackgroundJob => ({
        name,
        work: EAGER,
        run: async (jobs) => void ranBy.push(...jobs.map(() => engine)),
      });
      const sender = await start([job('sender')], { runJobs: false });
      await start([job('runner')]);
      for (let n = 0; n < 5; n += 1) await sender.send(name, { n });
      await allCompleted(database.knex, name, 5);
      expect(ranBy).to.deep.equal(Array(5).fill('runner'));
    });

    it('waits in stop() for the job under way, and no longer than its bound', async () => {
      const name = queueName();
      const started = gate();
      const finish = gate();
      const engine = await start(
        [
          {
            name,
            work: EAGER,
            run: async () => {
              started.open();
              await finish.opened;
            },
          },
        ],
        { stopTimeoutMs: IN_TEST_BOUND_MS },
      );
      await engine.send(name, {});
      await within(started.opened, IN_TEST_BOUND_MS, 'the job to start');
      const stopping = engine.stop();
      expect(await settledAfter(stopping, database.knex), 'stopped with a job under way').to.equal(false);
      expect((await jobsOf(database.knex, name))[0]!.state).to.equal('active');
      finish.open();
      await within(stopping, IN_TEST_BOUND_MS, 'the engine to stop');
      expect((await jobsOf(database.knex, name))[0]!.state).to.equal('completed');

      // A job that never ends: stop() gives up on it after its bound, and fails it, to be run again (elsewhere).
      const stuck = queueName();
      const stuckStarted = gate();
      const never = gate();
      const bounded = await start(
        [
          {
            name: stuck,
            work: EAGER,
            run: async () => {
              stuckStarted.open();
              await never.opened;
            },
          },
        ],
        { stopTimeoutMs: 1000 },
      );
      await bounded.send(stuck, {});
      await within(stuckStarted.opened, IN_TEST_BOUND_MS, 'the stuck job to start');
      const stopStarted = Date.now();
      await within(bounded.stop(), IN_TEST_BOUND_MS, 'the bounded stop');
      expect(Date.now() - stopStarted).to.be.at.least(1000);
      expect((await jobsOf(database.knex, stuck))[0]!.state).to.equal('retry');
      never.open();
    });

    it('creates the schedules of the trash purge and the history prune when it runs the jobs', async () => {
      const engine = await startBackground({
        config: defaultConfig(),
        db: database.knex,
        kind: engineKind(kind),
        logger,
        signal: createEventSignal(undefined, logger),
      });
      engines.push(engine);
      const { rows } = await database.knex.raw<{ rows: { name: string; cron: string }[] }>(
        `select name, cron from pgboss.schedule where name in ('trash-purge', 'change-history-prune') order by name`,
      );
      expect(rows).to.deep.equal([
        { name: 'change-history-prune', cron: '37 * * * *' },
        { name: 'trash-purge', cron: '7 * * * *' },
      ]);
    });

    it("sends a job inside a request's transaction with it: gone if it rolls back, run once it commits", async () => {
      const name = queueName();
      const ran: unknown[] = [];
      const engine = await start([
        { name, work: EAGER, run: async (jobs) => void ran.push(...jobs.map((j) => j.data)) },
      ]);
      const refused = inRequestTransaction(database.knex, async () => {
        await engine.send(name, { n: 1 });
        throw new Error('refused');
      });
      // On PGlite a send past the transaction would wait for its one connection forever.
      await within(
        refused.catch((error: Error) => error.message),
        IN_TEST_BOUND_MS,
        'a send in a transaction that rolls back',
      ).then((message) => expect(message).to.equal('refused'));
      expect(await jobsOf(database.knex, name), 'a job sent by a transaction rolled back').to.deep.equal([]);
      await within(
        inRequestTransaction(database.knex, () => engine.send(name, { n: 2 })),
        IN_TEST_BOUND_MS,
        'a send in a transaction that commits',
      );
      await allCompleted(database.knex, name, 1);
      expect(ran).to.deep.equal([{ n: 2 }]);
    });

    it('runs jobs while requests run transactions: every job once, every request answered, no transaction left open', async () => {
      const server = await startTestServer(database.knex);
      try {
        const alice = new TestUser(server.baseUrl);
        await alice.createTask({ title: 'First' });
        const name = queueName();
        const ran: string[] = [];
        const engine = await start([
          {
            name,
            work: { ...EAGER, batchSize: 3 },
            run: async (jobs) => {
              // Statements of a job's own, through the same Knex as the requests.
              await database.knex('tasks').where('user_id', alice.id).count();
              await database.knex.transaction(async (trx) => {
                await trx('tasks').where('user_id', alice.id).first();
              });
              ran.push(...jobs.map((job) => job.id));
            },
          },
        ]);
        const JOBS = 30;
        const sends = Array.from({ length: JOBS }, (_, n) => engine.send(name, { n }));
        const keyed = (body: unknown, path = '/tasks') =>
          alice.call('POST', path, { json: body, headers: { 'Idempotency-Key': randomBytes(8).toString('hex') } });
        const requests = [
          ...Array.from({ length: 12 }, (_, n) => keyed({ title: `Keyed ${n}` })),
          ...Array.from({ length: 6 }, () =>
            keyed(
              {
                atomic: true,
                actions: [
                  { op: 'create', task: { title: 'Undone' } },
                  { op: 'complete', id: 1e15 },
                ],
              },
              '/tasks/bulk',
            ),
          ),
          ...Array.from({ length: 6 }, (_, n) =>
            keyed(
              {
                actions: [
                  { op: 'create', task: { title: `Bulk ${n}` } },
                  { op: 'complete', id: 1e15 },
                ],
              },
              '/tasks/bulk',
            ),
          ),
        ];
        const statuses = (await within(Promise.all(requests), IN_TEST_BOUND_MS * 2, 'the requests')).map(
          (response) => response.status,
        );
        const expected = (count: number, status: number): number[] => Array<number>(count).fill(status);
        expect(statuses).to.deep.equal([...expected(12, 201), ...expected(6, 404), ...expected(6, 207)]);
        const ids = await within(Promise.all(sends), IN_TEST_BOUND_MS, 'the sends');
        await allCompleted(database.knex, name, JOBS);
        expect([...ran].sort()).to.deep.equal([...ids].sort());
        expect(
          await database.knex('tasks').where('user_id', alice.id).count<{ count: number }[]>('* as count'),
        ).to.deep.equal([{ count: 1 + 12 + 6 }]);
        if (kind === 'pglite') {
          // A savepoint is refused outside a transaction block: the one connection is not left in one.
          const probe = await database.knex.raw('savepoint probe').then(
            () => 'inside a transaction block',
            (error: Error) => error.message,
          );
          expect(probe).to.include('SAVEPOINT can only be used in transaction blocks');
        } else {
          const { rows } = await database.knex.raw<{ rows: { open: number }[] }>(
            `select count(*)::integer as open from pg_stat_activity
              where datname = current_database() and state like 'idle in transaction%'`,
          );
          expect(rows[0]!.open, 'connections left inside a transaction').to.equal(0);
        }
      } finally {
        await server.close();
      }
    });

    if (kind !== 'pglite') {
      it("starts several engines at once on a database without pg-boss's schema yet, as a cluster's workers do", async function () {
        this.timeout(120_000);
        const fresh = await createTestDatabase(kind);
        const others = await Promise.all([1, 2].map(async () => (await openPostgresPool(fresh.url!, 4)).knex));
        try {
          const name = queueName();
          const ran: string[] = [];
          const job: BackgroundJob = {
            name,
            work: EAGER,
            run: async (jobs) => void ran.push(...jobs.map((j) => j.id)),
          };
          // Settled, each: an engine that starts late must not outlive the test.
          const starts = await within(
            Promise.allSettled([fresh.knex, ...others].map((db) => start([job], { db }))),
            IN_TEST_BOUND_MS * 4,
            'three engines to start together',
          );
          expect(
            starts.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : [])),
          ).to.deep.equal([]);
          const id = await engines.at(-1)!.send(name, {});
          await allCompleted(fresh.knex, name, 1);
          expect(ran).to.deep.equal([id]);
        } finally {
          await Promise.all(engines.splice(0).map((engine) => engine.stop()));
          await Promise.all(others.map((other) => other.destroy()));
          await fresh.close();
        }
      });

      it('with two engines over one database, runs each of a batch of jobs exactly once, never twice at once', async () => {
        const other = (await openPostgresPool(database.url!, 4)).knex;
        try {
          const name = queueName();
          const runs = new Map<string, string[]>();
          const running = new Set<string>();
          const overlaps: string[] = [];
          const job = (engine: string): BackgroundJob => ({
            name,
            work: { ...EAGER, batchSize: 2, localConcurrency: 2 },
            run: async (jobs) => {
              for (const { id } of jobs) {
                if (running.has(id)) overlaps.push(id);
                running.add(id);
                runs.set(id, [...(runs.get(id) ?? []), engine]);
              }
              await sleep(20); // a job's work, long enough for a second run to overlap it
              for (const { id } of jobs) running.delete(id);
            },
          });
          const first = await start([job('first')]);
          await start([job('second')], { db: other });
          const JOBS = 40;
          const ids = await Promise.all(Array.from({ length: JOBS }, (_, n) => first.send(name, { n })));
          await allCompleted(database.knex, name, JOBS);
          expect(overlaps, 'jobs run twice at once').to.deep.equal([]);
          expect([...runs.keys()].sort()).to.deep.equal([...ids].sort());
          expect(
            [...runs.values()].filter((engines) => engines.length !== 1),
            'jobs run more than once',
          ).to.deep.equal([]);
          const byEngine = [...runs.values()].flat();
          expect(new Set(byEngine), 'both engines took jobs').to.deep.equal(new Set(['first', 'second']));
        } finally {
          await Promise.all(engines.splice(0).map((engine) => engine.stop()));
          await other.destroy();
        }
      });
    }
  });

  describe(`job engine on pg-boss's TestClock [${kind}]`, function () {
    this.timeout(120_000);
    let database: TestDatabase | undefined;
    let engine: JobEngine | undefined;
    const { logger, lines } = memoryLogger();

    // A database of its own: a TestClock sets the time of the whole pg-boss schema.
    before(async function () {
      this.timeout(120_000);
      database = await createTestDatabase(kind);
    });
    afterEach(async () => engine?.stop());
    after(async () => database?.close());

    const startOn = async (clock: Clock, jobs: BackgroundJob[]) =>
      (engine = await startJobEngine({
        db: database!.knex,
        kind: engineKind(kind),
        logger,
        jobs,
        runJobs: true,
        superviseSeconds: defaultConfig().background.superviseSeconds,
        clock,
      }));

    it("runs a failed job again once its queue's delay has passed on the clock, not before", async () => {
      const clock = new TestClock();
      const name = queueName();
      let attempts = 0;
      await startOn(clock, [
        {
          name,
          queue: { retryLimit: 1, retryDelay: 60 },
          work: { pollingIntervalSeconds: 1 },
          run: async () => {
            attempts += 1;
            if (attempts === 1) throw new Error('first attempt failed');
          },
        },
      ]);
      await engine!.send(name, {});
      await clock.tick(1000);
      await pollUntil(async () => (await jobsOf(database!.knex, name))[0]?.state === 'retry', 'the job to be retried');
      expect(attempts).to.equal(1);
      await clock.tick(55_000);
      expect(attempts, 'run again before its delay').to.equal(1);
      await clock.tick(7_000);
      await allCompleted(database!.knex, name, 1);
      expect(attempts).to.equal(2);
    });

    it('never runs a statement inside a transaction held open (on PGlite it waits), and loses none when that rolls back', async () => {
      const clock = new TestClock();
      const knex = database!.knex;
      const name = queueName();
      const ran: string[] = [];
      await startOn(clock, [
        { name, work: { pollingIntervalSeconds: 1 }, run: async (jobs) => void ran.push(...jobs.map((job) => job.id)) },
      ]);
      const first = await engine!.send(name, {});
      const user = `held-${randomBytes(6).toString('hex')}`;
      const trx = await knex.transaction();
      let polling: Promise<void> | undefined;
      let sending: Promise<string | null> | undefined;
      try {
        await trx('users').insert({ id: user });
        // The worker's next poll, which fetches the job, and a send: neither may run in this transaction.
        polling = clock.tick(1000);
        sending = engine!.send(name, {});
        const [polled, sent] = [await settledAfter(polling, trx), await settledAfter(sending, trx)];
        if (kind === 'pglite') {
          // One connection, which the transaction holds: the engine waits for it.
          expect({ polled, sent }).to.deep.equal({ polled: false, sent: false });
          expect((await jobsOf(trx, name)).map((job) => job.state)).to.deep.equal(['created']);
          expect(ran).to.deep.equal([]);
        }
      } finally {
        await trx.rollback();
      }
      const second = await within(sending, IN_TEST_BOUND_MS, 'the send');
      await within(polling, IN_TEST_BOUND_MS, 'the poll');
      await clock.tick(1000);
      await allCompleted(knex, name, 2);
      expect([...ran].sort()).to.deep.equal([first, second].sort());
      expect(await knex('users').where({ id: user })).to.deep.equal([]);
    });

    it('sends the trash purge at minute 7 of the hour, which purges the trash that has expired', async () => {
      // A year ahead, past any time the database's pg-boss has seen (its last cron pass is kept: a
      // clock set before it would wait for it).
      const clock = new TestClock(Date.UTC(new Date().getUTCFullYear() + 1, 5, 1, 10, 6));
      const knex = database!.knex;
      const user = `clock-${randomBytes(6).toString('hex')}`;
      await knex('users').insert({ id: user });
      const [expired] = await knex('tasks')
        .insert({ user_id: user, title: 'Expired' })
        .returning<{ id: number }[]>('id');
      await knex('tasks')
        .where({ id: expired!.id })
        .update({ deleted_at: knex.raw("now() - interval '31 days'"), trash_root: expired!.id });
      engine = await startBackground({
        config: defaultConfig(),
        db: knex,
        kind: engineKind(kind),
        logger,
        signal: createEventSignal(undefined, logger),
        clock,
      });
      const purged = async () => (await knex('tasks').where({ id: expired!.id })).length === 0;

      await clock.tick(50_000); // 10:06:50
      expect(await purged(), 'purged before its time').to.equal(false);
      expect(await jobsOf(knex, 'trash-purge')).to.deep.equal([]);
      await clock.tick(70_000); // 10:08:00
      await pollUntil(purged, 'the trash purge to run');
      await allCompleted(knex, 'trash-purge', 1);
      expect(lines.map((line) => line.msg)).to.include('purged 1 tasks from the trash after 30 days');
    });
  });
}
