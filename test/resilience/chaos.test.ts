import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ChaosClient, RetryBudget, type ChaosUser } from '../helpers/chaos-client.js';
import {
  keyMarker,
  Ledger,
  TrackedTask,
  type FinalTask,
  type ListedTask,
  type TaskState,
  type WriteAttempt,
} from '../helpers/chaos-ledger.js';
import { isSuccess, isUnavailable, Traffic, waitBeforeRetry, type Exchange } from '../helpers/chaos-traffic.js';
import { cleanUpProcesses, startServer, type LogLine, type ServerProcess } from '../helpers/server-process.js';
import { createThrowawayPostgres, postgresBinDir, type ThrowawayPostgres } from '../helpers/throwaway-postgres.js';
import { tokenFor } from '../helpers/tokens.js';
import { pollUntil, PROCESS_TEST_TIMEOUT_MS, within } from '../helpers/wait.js';

// Chaos under load: the server process on a PostgreSQL of the test's own, under a closed loop of
// clients that list, read, create (with retried Idempotency-Keys), rename, complete and delete
// tasks, while PostgreSQL is stopped and started twice. Every answer must be one the client's own
// actions explain (the rules are in chaos-client.ts: in short, 2xx, or 503 with Retry-After;
// never a 500, never a hang), and afterwards, with the database back, every acknowledged write
// must be there as acknowledged and no idempotency key may have produced two tasks (chaos-ledger.ts).
// The restarts are placed by events: after so many answers, and again after so many successes
// once the service has recovered. Every wait is bounded; the summary line gives the figures.

const USERS = 3;
const CLIENTS_PER_USER = 4;
const CLIENTS = USERS * CLIENTS_PER_USER;
/** Tasks every client of a user writes (racing writes under If-Match). */
const SHARED_TASKS_PER_USER = 2;
/** PostgreSQL is stopped once the load has had this many answers... */
const ANSWERS_BEFORE_FIRST_STOP = 200;
/** ...started again once the clients have had this many answers with it stopped... */
const ANSWERS_DURING_OUTAGE = 2 * CLIENTS;
/** ...and stopped again (or the load ended) once the service has answered this many successes since. */
const SUCCESSES_AFTER_RECOVERY = 200;
const RESTARTS = 2;
/** The whole load, restarts included; then each client finishes its operation under way. */
const LOAD_BOUND_MS = 50_000;
const DRAIN_BOUND_MS = 30_000;
/** Reading every task back afterwards: a few hundred quick reads. */
const READ_BACK_BOUND_MS = 60_000;

describe('chaos: PostgreSQL restarted twice under mixed load', function () {
  // A backstop: every wait below has a bound of its own that fails sooner.
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  let postgres: ThrowawayPostgres | undefined;
  let server: ServerProcess | undefined;

  before(async function () {
    if (!postgresBinDir()) {
      if (process.env.CI) throw new Error('initdb and pg_ctl are not installed; CI requires them');
      console.warn('\n  WARNING: initdb / pg_ctl not installed: skipping the chaos test\n');
      this.skip();
    }
    postgres = await createThrowawayPostgres();
    // A process of its own (it migrates the database as it starts), so that a server that hangs
    // cannot stall the test: every request the test sends is bounded on the client's side.
    server = await startServer({
      env: {
        DATABASE_URL: postgres.adminUrl,
        RATE_LIMIT_PER_ADDRESS: '0',
        RATE_LIMIT_PER_USER: '0',
        RATE_LIMIT_IN_FLIGHT_PER_USER: '0',
        TRUST_PROXY: 'loopback',
      },
    });
  });
  after(async () => {
    await cleanUpProcesses();
    await postgres?.remove();
  });

  it('answers every request with 2xx or 503 + Retry-After, loses no acknowledged write and duplicates no keyed create', async () => {
    const { baseUrl } = server!;
    const ledger = new Ledger();
    const budget = new RetryBudget();
    const users = await setUpUsers(baseUrl, ledger, budget);

    const load = new Traffic(baseUrl);
    const clients = users.flatMap((user, u) =>
      Array.from({ length: CLIENTS_PER_USER }, (_, c) => new ChaosClient(`u${u}c${c}`, user, load, ledger, budget)),
    );
    let stopping = false;
    const running = Promise.all(clients.map((client) => client.run(() => stopping)));
    /** The exchanges sent while PostgreSQL was down (from its stop to its start), by index in `load.exchanges`. */
    const outages: { from: number; to: number }[] = [];
    let loadError: unknown;
    let postgresDown = false;
    try {
      const deadline = performance.now() + LOAD_BOUND_MS;
      const left = () => Math.max(0, Math.round(deadline - performance.now()));
      await load.until(() => load.answered >= ANSWERS_BEFORE_FIRST_STOP, 'answers before the first stop', left());
      for (let round = 1; round <= RESTARTS; round += 1) {
        const from = load.exchanges.length;
        budget.databaseDown();
        postgresDown = true;
        await postgres!.stop();
        const stopped = load.answered;
        await load.until(() => load.answered >= stopped + ANSWERS_DURING_OUTAGE, `answers in outage ${round}`, left());
        await postgres!.start();
        postgresDown = false;
        budget.databaseUp();
        outages.push({ from, to: load.exchanges.length });
        const recovered = load.succeeded;
        await load.until(
          () => load.succeeded >= recovered + SUCCESSES_AFTER_RECOVERY,
          `successes after recovery ${round}`,
          left(),
        );
      }
    } catch (error) {
      loadError = error;
      budget.halted = true; // the run is abandoned: nothing retries any more
    } finally {
      stopping = true;
    }
    if (postgresDown) await postgres!.start();
    await within(running, DRAIN_BOUND_MS, 'the clients to finish their last operation');

    const violations = [
      ...load.exchanges
        .filter((exchange) => exchange.violation)
        .map((exchange) => describeViolation(exchange, server!)),
      ...clients.flatMap((client) => client.violations),
    ];
    let verdict = { writesChecked: 0, duplicates: 0 };
    if (loadError === undefined) {
      const check = new Traffic(baseUrl);
      const { final, listed } = await within(
        readBack(check, users, [...ledger.tasks.values()]),
        READ_BACK_BOUND_MS,
        'every task to be read back',
      );
      const result = ledger.verify(final, listed);
      verdict = result;
      violations.push(
        ...result.violations,
        ...check.exchanges
          .filter((exchange) => !isSuccess(exchange.status) && exchange.status !== 404 && !isUnavailable(exchange))
          .map((exchange) => `after the run: ${describeViolation(exchange, server!)}`),
      );
    }

    const retried = clients.reduce(
      (sum, client) => ({
        creates: sum.creates + client.retried.creates,
        writesReadBack: sum.writesReadBack + client.retried.writesReadBack,
      }),
      { creates: 0, writesReadBack: 0 },
    );
    const summary = summarize(load, { ...verdict, ...retried }, outages.length);
    console.log(`\n      ${summary}\n`);
    const listing = `${summary}\n  ${violations.slice(0, 25).join('\n  ')}`;
    if (loadError !== undefined) throw new Error(`${(loadError as Error).message}\n${listing}`, { cause: loadError });
    for (const [index, { from, to }] of outages.entries())
      expect(
        load.exchanges.slice(from, to).some((exchange) => exchange.status === 503),
        `no 503 while PostgreSQL was down (outage ${index + 1}): the restart did not reach the load`,
      ).to.equal(true);
    expect(violations, listing).to.deep.equal([]);
  });
});

/** USERS users, provisioned, each with its shared tasks; PostgreSQL is up, so every request must succeed. */
async function setUpUsers(baseUrl: string, ledger: Ledger, budget: RetryBudget): Promise<ChaosUser[]> {
  const setup = new Traffic(baseUrl);
  return Promise.all(
    Array.from({ length: USERS }, async (_, u) => {
      const id = `chaos-${u}-${randomUUID()}`;
      const user = { id, token: await tokenFor(id), shared: [] as TrackedTask[] };
      const creator = new ChaosClient(`u${u}-setup`, user, setup, ledger, budget);
      for (let t = 0; t < SHARED_TASKS_PER_USER; t += 1) {
        const task = await creator.create(true);
        if (!task) throw new Error(`setting up: ${JSON.stringify(setup.exchanges.at(-1))}`);
        user.shared.push(task);
      }
      return user;
    }),
  );
}

/**
 * Every tracked task read by id (absent: a 404), and every task of every user as listed; a 503 is
 * retried a few times, a read that still fails fails the test.
 */
async function readBack(
  check: Traffic,
  users: readonly ChaosUser[],
  tasks: readonly TrackedTask[],
): Promise<{ final: Map<number, FinalTask>; listed: ListedTask[] }> {
  await pollUntil(
    async () => (await check.send(undefined, 'getReadiness', 'GET', '/ready')).status === 200,
    'readiness',
    {
      ms: 30_000,
      everyMs: 200,
    },
  );
  const tokens = new Map(users.map((user) => [user.id, user.token]));
  const final = new Map<number, FinalTask>();
  const queue = [...tasks];
  const reader = async () => {
    for (let task = queue.pop(); task; task = queue.pop()) {
      const exchange = await retried(() =>
        check.send(
          tokens.get(task.userId),
          'getTask',
          'GET',
          `/api/${encodeURIComponent(task.userId)}/tasks/${task.id}`,
        ),
      );
      if (exchange.status === 404) continue;
      if (exchange.status !== 200)
        throw new Error(`after the run, reading task ${task.id} failed: ${JSON.stringify(exchange)}`);
      const body = exchange.body as FinalTask;
      final.set(task.id, { ...body, etag: exchange.etag ?? '' });
    }
  };
  await Promise.all(Array.from({ length: 8 }, reader));

  const listed: ListedTask[] = [];
  for (const user of users) {
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const path = `/api/${encodeURIComponent(user.id)}/tasks?limit=100${query}`;
      const exchange = await retried(() => check.send(user.token, 'listTasks', 'GET', path));
      if (exchange.status !== 200) throw new Error(`after the run, listing failed: ${JSON.stringify(exchange)}`);
      const page = exchange.body as { items: ListedTask[]; next_cursor: string | null };
      listed.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor !== null);
  }
  return { final, listed };
}

/** With the database back a 503 is still possible on a busy machine (a statement bound): a few retries. */
async function retried(send: () => Promise<Exchange>): Promise<Exchange> {
  for (let attempt = 1; ; attempt += 1) {
    const exchange = await send();
    if (exchange.status !== 503 || attempt === 5) return exchange;
    await waitBeforeRetry(exchange);
  }
}

function summarize(
  load: Traffic,
  outcome: { writesChecked: number; duplicates: number; creates: number; writesReadBack: number },
  restarts: number,
): string {
  const count = (holds: (status: number | undefined) => boolean) =>
    load.exchanges.filter((exchange) => holds(exchange.status)).length;
  const others = new Map<number, number>();
  for (const { status } of load.exchanges)
    if (status !== undefined && status >= 400 && status < 500) others.set(status, (others.get(status) ?? 0) + 1);
  const otherText = [...others].map(([status, n]) => `${n}×${status}`).join(' ') || '0';
  const slowest = load.exchanges.reduce<Exchange | undefined>((max, e) => (max && max.ms >= e.ms ? max : e), undefined);
  const violations = load.exchanges.filter((exchange) => exchange.violation).length;
  return (
    `chaos: ${load.exchanges.length} requests, ${count(isSuccess)} 2xx, ${count((s) => s === 503)} 503, ` +
    `other 4xx ${otherText}, ${count((s) => s === 500)} 500, ${count((s) => s === undefined)} unanswered, ` +
    `max latency ${slowest?.ms ?? 0} ms (${slowest?.label ?? '-'}), ${restarts} PostgreSQL restarts, ` +
    `${outcome.creates} creates retried, ${outcome.writesReadBack} uncertain writes read back, ` +
    `${outcome.writesChecked} writes checked, ${outcome.duplicates} duplicates, ${violations} answers breaking the rules`
  );
}

/** The exchange, its problem detail, and for a 5xx the error the server logged for it. */
function describeViolation(exchange: Exchange, server: ServerProcess): string {
  const detail = (exchange.body as { detail?: unknown } | undefined)?.detail;
  const logged = server.logs().find((line) => requestId(line) === exchange.requestId)?.err as
    { type?: string; message?: string; code?: string } | undefined;
  return (
    `${exchange.label} ${exchange.method} ${exchange.path}: ${exchange.violation ?? exchange.status ?? exchange.error}` +
    (typeof detail === 'string' ? ` ("${detail}")` : '') +
    (logged ? ` [server: ${logged.type ?? ''} ${logged.code ?? ''} ${logged.message ?? ''}]` : '')
  );
}

function requestId(line: LogLine): string | undefined {
  const req = line.req as { id?: unknown } | undefined;
  return typeof req?.id === 'string' ? req.id : undefined;
}

describe("chaos: the ledger's checks", () => {
  const user = 'chaos-ledger-user';
  const state = (etag: string, title: string, completed = false): TaskState => ({ etag, title, completed });
  const created = state('"e0"', 'created');
  const renamed = state('"e1"', 'renamed');

  /** A ledger with one acknowledged create (key k1, task 1) and these writes on it. */
  function ledgerWith(...attempts: WriteAttempt[]): { ledger: Ledger; task: TrackedTask } {
    const ledger = new Ledger();
    ledger.keySent(user, 'k1');
    const task = new TrackedTask(1, user, 'k1', false, created);
    task.attempts.push(...attempts);
    ledger.createAcknowledged(task);
    return { ledger, task };
  }
  const shown = (now: TaskState, id = 1, key = 'k1'): FinalTask => ({ ...now, id, description: keyMarker(key) });
  const verify = (ledger: Ledger, now: FinalTask | undefined, listed: FinalTask[] = now ? [now] : []) =>
    ledger.verify(new Map(now ? [[now.id, now]] : []), listed);
  const acknowledged = (base: TaskState, result: TaskState): WriteAttempt => ({
    base,
    intended: result,
    outcome: 'acknowledged',
    result,
  });

  it('passes a history the final state agrees with, counting every acknowledged write', () => {
    const { ledger } = ledgerWith(acknowledged(created, renamed));
    expect(verify(ledger, shown(renamed))).to.deep.equal({ violations: [], writesChecked: 2, duplicates: 0 });
  });

  it('accepts the state of an uncertain write, which may have committed', () => {
    const { ledger } = ledgerWith({ base: created, intended: renamed, outcome: 'uncertain' });
    expect(verify(ledger, shown(state('"e9"', 'renamed'))).violations).to.deep.equal([]);
  });

  it('finds an acknowledged write lost, a state no write produced, and a lost update', () => {
    expect(verify(ledgerWith(acknowledged(created, renamed)).ledger, shown(created)).violations)
      .to.have.length(1)
      .and.match(/acknowledged state \(title "renamed".* is lost/);
    expect(verify(ledgerWith().ledger, shown(state('"e9"', 'garbled'))).violations.join('\n')).to.match(
      /shows state \(title "garbled".*, which no write of this run produced/,
    );
    const other = state('"e2"', 'other');
    const { violations } = verify(
      ledgerWith(acknowledged(created, renamed), acknowledged(created, other)).ledger,
      shown(other),
    );
    expect(violations.join('\n'))
      .to.match(/"renamed".* is lost/)
      .and.match(/based on the same ETag "e0" \(a lost update\)/);
  });

  it('finds a key that produced two tasks, and a task no request created', () => {
    const { ledger } = ledgerWith();
    const verdict = verify(ledger, shown(created), [shown(created), shown(created, 2), shown(created, 3, 'unknown')]);
    expect(verdict.duplicates).to.equal(1);
    expect(verdict.violations.join('\n'))
      .to.match(/idempotency key k1 produced 2 tasks: 1, 2/)
      .and.match(/task 3 .* was created by no request of this run/);
  });

  it('finds an acknowledged create gone and an acknowledged delete still there', () => {
    expect(verify(ledgerWith().ledger, undefined).violations).to.deep.equal([
      'task 1: its create was acknowledged, yet it is gone',
    ]);
    const { ledger, task } = ledgerWith();
    task.deletion = 'acknowledged';
    expect(verify(ledger, shown(created)).violations).to.deep.equal([
      'task 1: its delete was acknowledged, yet it is still there',
    ]);
  });
});
