import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { ApiResponse, Task } from '../helpers/api-client.js';
import { TestUser } from '../helpers/api-client.js';
import { adminKnex } from '../helpers/databases.js';
import { cleanUpProcesses, startServer, type ServerProcess } from '../helpers/server-process.js';
import { createThrowawayPostgres, postgresBinDir, type ThrowawayPostgres } from '../helpers/throwaway-postgres.js';
import { EVENT_BOUND_MS, EXIT_BOUND_MS, pollUntil, PROCESS_TEST_TIMEOUT_MS, within } from '../helpers/wait.js';

// Exactly once for keyed creates when the server process is killed (SIGKILL) or its PostgreSQL is
// restarted in the middle of a burst: the real server as a child process over a PostgreSQL of the
// test's own. A burst of creates, each with a key of its own, runs until the disruption has cut
// every client off. "In the middle" is made of events, not times: once some creates have been
// answered, the test locks the tasks table from a session of its own, so that the creates in flight
// stop inside their request, between taking their key and writing their task (where the old
// design had committed a claim "in progress"), and the disruption comes once several wait there.
// Then every create that got no 2xx is retried with its key until it gets one, as a client would,
// and each key must have made exactly one task, the one its answer names; no retry may be told its
// key is still "in progress" (409).

/** Clients sending at once, each its next create as soon as the last is answered. */
const CONCURRENCY = 16;
/** The tasks table is locked once this many creates have been answered 201. */
const ANSWERS_BEFORE_DISRUPTION = 10;
/** The disruption comes once this many creates wait for the tasks table (fewer than the server's 10 connections). */
const CREATES_STOPPED_INSIDE = 6;
/** A bound on the burst should the disruption never stop it. */
const MAX_CREATES = 400;

/** One keyed create of the burst, and what its client saw. */
interface Create {
  readonly key: string;
  status?: number;
  taskId?: number;
  error?: string;
}

interface Burst {
  readonly creates: Create[];
  /** Creates sent and not yet answered when the disruption started. */
  readonly inFlightAtDisruption: number;
}

const titleOf = (key: string) => `burst ${key}`;

function create(user: TestUser, key: string): Promise<ApiResponse<Task>> {
  return user.call<Task>('POST', '/tasks', { json: { title: titleOf(key) }, headers: { 'Idempotency-Key': key } });
}

/**
 * CONCURRENCY clients send creates, each with a new key, until each has seen a failure (no 201);
 * `disrupt` starts once ANSWERS_BEFORE_DISRUPTION creates were answered 201, while they go on.
 */
async function runBurst(user: TestUser, disrupt: () => Promise<void>): Promise<Burst> {
  const creates: Create[] = [];
  let answered = 0;
  let inFlight = 0;
  let inFlightAtDisruption: number | undefined;
  let disruption: Promise<void> | undefined;
  const client = async () => {
    while (creates.length < MAX_CREATES) {
      const attempt: Create = { key: randomUUID() };
      creates.push(attempt);
      inFlight += 1;
      try {
        const response = await create(user, attempt.key);
        attempt.status = response.status;
        if (response.status === 201) attempt.taskId = response.body.id;
      } catch (error) {
        attempt.error = String((error as Error).cause ?? error);
      } finally {
        inFlight -= 1;
      }
      if (attempt.status !== 201) return;
      answered += 1;
      if (answered === ANSWERS_BEFORE_DISRUPTION) {
        inFlightAtDisruption = inFlight;
        disruption = disrupt();
      }
    }
  };
  await within(
    Promise.all(Array.from({ length: CONCURRENCY }, client)).then(() => disruption),
    EVENT_BOUND_MS,
    'every client of the burst to be cut off',
    () => `; ${answered} answered 201 of ${creates.length} sent`,
  );
  if (inFlightAtDisruption === undefined)
    throw new Error(`the burst ended before ${ANSWERS_BEFORE_DISRUPTION} answers: ${JSON.stringify(creates)}`);
  return { creates, inFlightAtDisruption };
}

/** A session of the test's own that holds the tasks table against inserts, and the creates it has stopped. */
interface Hold {
  /** The backends of the creates waiting for the table, inside their request's transaction. */
  readonly waiting: number[];
  /** Ends the hold (a no-op once PostgreSQL has ended the session itself). */
  release(): Promise<void>;
}

async function holdTaskInserts(admin: Knex): Promise<Hold> {
  const holder = await admin.transaction();
  await holder.raw('lock table tasks in share mode');
  let waiting: number[] = [];
  await pollUntil(
    async () => {
      const { rows } = await admin.raw<{ rows: { pid: number }[] }>(
        `select pid from pg_locks where locktype = 'relation' and relation = 'tasks'::regclass and not granted`,
      );
      waiting = rows.map((row) => row.pid);
      return waiting.length >= CREATES_STOPPED_INSIDE;
    },
    `${CREATES_STOPPED_INSIDE} creates to wait for the tasks table`,
    { everyMs: 10, context: () => `; ${waiting.length} waiting` },
  );
  return {
    waiting,
    release: async () => {
      await holder.commit().catch(() => undefined);
    },
  };
}

/** Retries the create with its key, as a client would, until it is answered with anything but a 503. */
async function retryUntilAnswered(user: TestUser, attempt: Create, statuses: number[]): Promise<void> {
  let response: ApiResponse<Task> | undefined;
  await pollUntil(
    async () => {
      try {
        response = await create(user, attempt.key);
      } catch {
        return false; // not listening yet
      }
      statuses.push(response.status);
      return response.status !== 503;
    },
    `an answer to the retry of ${attempt.key}`,
    { everyMs: 100 },
  );
  expect(response!.status, `the retry of ${attempt.key}: ${JSON.stringify(response!.body)}`).to.equal(201);
  attempt.status = 201;
  attempt.taskId = response!.body.id;
}

describe('idempotency keys: exactly once across a crash', function () {
  // A backstop: initdb, pg_ctl, the server's start and every wait below have bounds of their own.
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  let postgres: ThrowawayPostgres | undefined;

  before(async function () {
    if (!postgresBinDir()) {
      if (process.env.CI) throw new Error('initdb and pg_ctl are not installed; CI requires them');
      console.warn('\n  WARNING: initdb / pg_ctl not installed: skipping the idempotency crash tests\n');
      this.skip();
    }
    postgres = await createThrowawayPostgres();
  });
  after(async () => postgres?.remove());
  afterEach(cleanUpProcesses);

  /** The server over the throwaway PostgreSQL (it migrates it), without rate limits: the burst is the point. */
  const startApi = () =>
    startServer({
      env: {
        DATABASE_URL: postgres!.adminUrl,
        RATE_LIMIT_PER_ADDRESS: '0',
        RATE_LIMIT_PER_USER: '0',
        RATE_LIMIT_IN_FLIGHT_PER_USER: '0',
      },
    });

  /** A user of the server, provisioned (and the validator warmed up) first, so that the burst is creates alone. */
  async function newUser(server: ServerProcess): Promise<TestUser> {
    const user = new TestUser(server.baseUrl);
    expect((await user.call('GET', '/api/me')).status).to.equal(200);
    return user;
  }

  /**
   * Retries every create of the burst that got no 201 with its key until it does (through `user`),
   * then checks that each key made exactly one task, the one its answer names, and that the user
   * has no other; no retry may be a 409. Returns how many were retried.
   */
  async function retryAndCheck(user: TestUser, { creates }: Burst): Promise<number> {
    const unanswered = creates.filter((attempt) => attempt.status !== 201);
    const statuses: number[] = [];
    for (const attempt of unanswered) await retryUntilAnswered(user, attempt, statuses);
    expect(
      statuses.filter((status) => status === 409),
      'no retry refused as "in progress"',
    ).to.deep.equal([]);

    const db = adminKnex(postgres!.adminUrl);
    try {
      const rows = await db('tasks').where({ user_id: user.id }).select<{ id: number; title: string }[]>('id', 'title');
      const byTitle = new Map<string, number[]>();
      for (const { id, title } of rows) byTitle.set(title, [...(byTitle.get(title) ?? []), id]);
      const duplicated = [...byTitle].filter(([, ids]) => ids.length > 1);
      expect(duplicated, 'keys that wrote more than one task').to.deep.equal([]);
      expect(rows.length, 'one task per key, no other').to.equal(creates.length);
      for (const attempt of creates)
        expect(byTitle.get(titleOf(attempt.key)), `the task of ${attempt.key}`).to.deep.equal([attempt.taskId]);
    } finally {
      await db.destroy();
    }
    return unanswered.length;
  }

  /** How many requests the server answered from a stored response (their commit had happened; the answer was lost). */
  const replaysIn = (server: ServerProcess) =>
    server.logs().filter((line) => line.msg === 'idempotency key: replaying the stored response').length;

  it('SIGKILL of the server mid-burst: after a restart, every unanswered create retried with its key makes exactly one task, and none is refused as in progress', async () => {
    const first = await startApi();
    const user = await newUser(first);
    const admin = adminKnex(postgres!.adminUrl, 3);
    try {
      let stoppedInside: number[] = [];
      const burst = await runBurst(user, async () => {
        const hold = await holdTaskInserts(admin);
        stoppedInside = hold.waiting;
        first.signal('SIGKILL');
        await hold.release();
      });
      expect(await first.waitForExit(EXIT_BOUND_MS)).to.deep.equal({ code: null, signal: 'SIGKILL' });
      // What the killed process left running in PostgreSQL ends as soon as it finds its client gone.
      await pollUntil(async () => {
        const { rows } = await admin.raw<{ rows: unknown[] }>('select 1 from pg_stat_activity where pid = any(?)', [
          stoppedInside,
        ]);
        return rows.length === 0;
      }, "the killed server's sessions to end");

      const second = await startApi();
      const retried = await retryAndCheck(new TestUser(second.baseUrl, user.id), burst);
      console.log(
        `      ${burst.creates.length} creates, ${burst.inFlightAtDisruption} in flight when the hold began, ${stoppedInside.length} stopped inside their transaction at SIGKILL; ${retried} retried after the restart (${replaysIn(second)} replays of a commit whose answer was lost), each key one task`,
      );
    } finally {
      await admin.destroy();
    }
  });

  it('PostgreSQL restarted mid-burst: every create answered 503 or cut off, retried with its key, makes exactly one task', async () => {
    const server = await startApi();
    const user = await newUser(server);
    const admin = adminKnex(postgres!.adminUrl, 3);
    try {
      let stoppedInside: number[] = [];
      const burst = await runBurst(user, async () => {
        const hold = await holdTaskInserts(admin);
        stoppedInside = hold.waiting;
        await postgres!.stop(); // ends every session: the hold, and the creates inside their transaction
        await hold.release();
        await postgres!.start();
      });
      const failures = burst.creates.filter((attempt) => attempt.status !== 201);
      expect(
        failures.filter((attempt) => attempt.status !== undefined && attempt.status !== 503),
        'the burst saw only 201s, then 503s (or a cut connection)',
      ).to.deep.equal([]);

      const replaysBefore = replaysIn(server);
      const retried = await retryAndCheck(user, burst);
      console.log(
        `      ${burst.creates.length} creates, ${stoppedInside.length} stopped inside their transaction when PostgreSQL stopped; ${retried} retried (${replaysIn(server) - replaysBefore} replays), each key one task`,
      );
    } finally {
      await admin.destroy();
    }
  });
});
