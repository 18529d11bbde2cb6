import { expect } from 'chai';
import type { Knex } from 'knex';
import { DEFAULT_POSTGRES_BOUNDS, type PostgresBounds } from '../../src/db/bounds.js';
import { migratePostgres, openPostgresPool } from '../../src/db/database.js';
import type { StatementBound } from '../../src/db/statement-bound.js';
import { expectProblem, request, TestUser, type ApiResponse } from '../helpers/api-client.js';
import { ADMIN_BOUNDS, adminKnex } from '../helpers/databases.js';
import { pgbouncerPath, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { openEventStream, streamAnswer } from '../helpers/event-stream.js';
import { specOperations } from '../helpers/spec-conformance.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { createThrowawayPostgres, postgresBinDir, type ThrowawayPostgres } from '../helpers/throwaway-postgres.js';
import { pollUntil, PROCESS_TEST_TIMEOUT_MS } from '../helpers/wait.js';

// The service against a PostgreSQL of the test's own, which the test stops, starts and locks at
// will: every wait on the database is bounded, ends in a 503 with Retry-After, and the service
// recovers by itself once the database is back.

/** The service's database on the throwaway cluster. */
const DATABASE = 'todo';

/** The promise made to clients: with the database unavailable, an answer within this time. */
const ANSWER_WITHIN_MS = 2_000;

describe('the service when its database fails', function () {
  // A backstop: initdb, pg_ctl and every wait below have bounds of their own that fail sooner.
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  let postgres: ThrowawayPostgres | undefined;
  let cluster: Knex | undefined;
  let admin: Knex | undefined;

  before(async function () {
    if (!postgresBinDir()) {
      if (process.env.CI) throw new Error('initdb and pg_ctl are not installed; CI requires them');
      console.warn('\n  WARNING: initdb / pg_ctl not installed: skipping the database outage tests\n');
      this.skip();
    }
    postgres = await createThrowawayPostgres();
    // The service's data in a database of its own, so that it can be closed to connections while
    // the test keeps its own on the cluster's `postgres` database.
    cluster = adminKnex(postgres.adminUrl);
    await cluster.raw(`create database ${DATABASE}`);
    await migratePostgres(postgres.urlFor(DATABASE), ADMIN_BOUNDS);
    admin = adminKnex(postgres.urlFor(DATABASE), 4); // the test's own session: locks and pg_stat_activity
  });
  after(async () => {
    await admin?.destroy();
    await cluster?.destroy();
    await postgres?.remove();
  });

  /** The app over a pool of its own on the throwaway database; `route` puts a PgBouncer in between. */
  function useServer(options: {
    poolMax: number;
    bounds: PostgresBounds;
    route?: 'direct' | 'pgbouncer';
    /** Rate limits on, counted in PostgreSQL: every /api request writes a counter before anything else. */
    rateLimited?: boolean;
  }) {
    const state: { server?: TestServer; pool?: Knex; statementBound?: StatementBound; pgbouncer?: PgBouncer } = {};
    before(async function () {
      if (options.route === 'pgbouncer') {
        if (!pgbouncerPath()) {
          if (process.env.CI) throw new Error('pgbouncer is not installed; CI requires it');
          this.skip();
        }
        state.pgbouncer = await startPgBouncer({ host: '127.0.0.1', port: postgres!.port });
      }
      const url = state.pgbouncer ? state.pgbouncer.urlFor(DATABASE) : postgres!.urlFor(DATABASE);
      const { knex, statementBound } = await openPostgresPool(url, options.poolMax, options.bounds);
      state.pool = knex;
      state.statementBound = statementBound;
      state.server = await startTestServer(knex, {
        rateLimit: options.rateLimited ? { perAddress: 1_000_000, perUser: 1_000_000 } : {},
      });
    });
    after(async () => {
      await state.server?.close();
      await state.pool?.destroy();
      await state.pgbouncer?.stop();
    });
    return state as Required<Pick<typeof state, 'server' | 'pool' | 'statementBound'>>;
  }

  /** Ways the database becomes unavailable for a while, each undone by the test. */
  const outages: { name: string; begin: () => Promise<unknown>; end: () => Promise<unknown> }[] = [
    { name: 'stopped, then started again', begin: () => postgres!.stop(), end: () => postgres!.start() },
    {
      // What an operator does to take a database out of service: new connections are refused
      // (SQLSTATE 55000) and the open ones ended (57P01), while the server itself keeps running.
      name: 'refusing connections (ALLOW_CONNECTIONS false, its sessions terminated), then accepting them again',
      begin: async () => {
        await cluster!.raw(`alter database ${DATABASE} with allow_connections false`);
        await cluster!.raw('select pg_terminate_backend(pid) from pg_stat_activity where datname = ?', [DATABASE]);
      },
      end: () => cluster!.raw(`alter database ${DATABASE} with allow_connections true`),
    },
  ];

  for (const outage of outages) {
    describe(outage.name, () => {
      const running = useServer({ poolMax: 10, bounds: DEFAULT_POSTGRES_BOUNDS });
      const rateLimited = useServer({ poolMax: 10, bounds: DEFAULT_POSTGRES_BOUNDS, rateLimited: true });

      it('answers every database operation with 503 and Retry-After within 2 s, keeps /health, and recovers without a restart', async () => {
        const { baseUrl } = running.server;
        const alice = new TestUser(baseUrl);
        const operations = databaseOperations(alice, await outageFixture(alice, 'Outlives an outage'));
        expect(operations.map((operation) => operation.operationId).sort()).to.deep.equal(operationsDeclaring503());

        await outage.begin();
        try {
          const slowest = { operationId: '', ms: 0 };
          for (const operation of operations) {
            const { response, ms } = await timed(() => operation.send());
            expectUnavailable(response, operation.operationId);
            if (ms > slowest.ms) Object.assign(slowest, { operationId: operation.operationId, ms });
          }
          expect(slowest.ms, `slowest: ${slowest.operationId}`).to.be.below(ANSWER_WITHIN_MS);
          const causes = causesLogged(running.server);
          // Every 503 but readiness's, which is its answer, not a failure of the request.
          expect(causes, 'each 503 logged with its cause').to.have.length.of.at.least(operations.length - 1);
          expect(new Set(causes)).to.satisfy((found: Set<string>) =>
            [...found].every((cause) => cause === 'no_connection' || cause === 'connection_lost'),
          );
          expect((await request(baseUrl, 'GET', '/health')).status, 'liveness does not need the database').to.equal(
            200,
          );
          await expectBurstUnavailable(alice);
        } finally {
          await outage.end();
        }
        await expectRecovered(operations);
      });

      it('keeps an open event stream through it: its reads fail meanwhile, and it sends what is written once the database is back', async () => {
        const server = await startTestServer(running.pool, { events: { heartbeatMs: 100 } });
        try {
          const alice = new TestUser(server.baseUrl);
          expect((await alice.call('GET', '/lists')).status).to.equal(200);
          const stream = await openEventStream(server.baseUrl, alice.id, { token: await alice.bearer() });
          expect(stream.status).to.equal(200);
          await outage.begin();
          try {
            await pollUntil(
              () =>
                server.logs.some(
                  (line) => line.msg === 'event stream could not read the events: trying again at the next heartbeat',
                ),
              'a read of the stream to fail',
            );
          } finally {
            await outage.end();
          }
          const task = await alice.createTask({ title: 'Written after the outage' });
          const [event] = await stream.eventsUntil(1);
          expect(event!.data.task?.id).to.equal(task.id);
          expect(stream.isEnded(), 'the stream stayed open').to.equal(false);
          await stream.close();
        } finally {
          await server.close();
        }
      });

      it('the same with rate limits counted in PostgreSQL, which every /api request reaches first', async () => {
        const alice = new TestUser(rateLimited.server.baseUrl);
        const operations = databaseOperations(alice, await outageFixture(alice, 'Outlives an outage'));
        await outage.begin();
        try {
          for (const operation of operations) expectUnavailable(await operation.send(), operation.operationId);
        } finally {
          await outage.end();
        }
        await expectRecovered(operations);
      });
    });
  }

  describe('pool exhausted', () => {
    const bounds = { connectTimeoutMs: 500, acquireTimeoutMs: 500, statementTimeoutMs: 10_000 };
    const running = useServer({ poolMax: 1, bounds });

    it('answers every database operation with 503 within the acquire bound while the only connection waits, then everything completes', async () => {
      const alice = new TestUser(running.server.baseUrl);
      const fixture = await outageFixture(alice, 'Locked');
      const task = { id: fixture.taskId };
      const operations = databaseOperations(alice, fixture).filter(
        // The one operation on the locked task that a test below waits for completes instead.
        (operation) => operation.operationId !== 'updateTask',
      );
      const holder = await admin!.transaction();
      try {
        await holder('tasks').where({ id: task.id }).forUpdate();
        // Takes the pool's only connection, and keeps it while it waits for the row lock.
        const blocked = rename(alice, task.id, 'Renamed through the API');
        await waitForLockWaiters(admin!, (waiting) => waiting === 1, 'the request to wait for the row lock');

        // Every operation at once: each waits for the pool in its own request, and gives up alike.
        const answers = await Promise.all(
          operations.map(async (operation) => ({ operation, ...(await timed(() => operation.send())) })),
        );
        for (const { operation, response, ms } of answers) {
          expectUnavailable(response, operation.operationId);
          expect(ms, operation.operationId)
            .to.be.at.least(bounds.acquireTimeoutMs - 50)
            .and.below(ANSWER_WITHIN_MS);
        }

        await holder('tasks').where({ id: task.id }).update({ description: 'written by the lock holder' });
        await holder.commit();
        const renamed = await blocked;
        expect(renamed.status).to.equal(200);
        expect(renamed.body).to.include({
          title: 'Renamed through the API',
          description: 'written by the lock holder',
        });
      } finally {
        if (!holder.isCompleted()) await holder.rollback();
      }
      await expectRecovered(operations);
    });
  });

  for (const route of ['direct', 'pgbouncer'] as const) {
    describe(`a statement longer than DB_STATEMENT_TIMEOUT_MS (${route})`, () => {
      const bounds = { connectTimeoutMs: 1_000, acquireTimeoutMs: 1_000, statementTimeoutMs: 500 };
      const running = useServer({ poolMax: 10, bounds, route });

      it('is a 503 with Retry-After, not a hang, and leaves the lock holder unaffected', async () => {
        // Directly, PostgreSQL ends the statement; a transaction-mode pooler refuses the startup
        // parameter, so there the client ends it (a little later) and drops the connection.
        expect(running.statementBound).to.equal(route === 'direct' ? 'server' : 'client');
        const alice = new TestUser(running.server.baseUrl);
        const task = await alice.createTask({ title: 'Contended' });
        const holder = await admin!.transaction();
        try {
          await holder('tasks').where({ id: task.id }).update({ title: 'Written by the lock holder' });

          const { response, ms } = await timed(() => rename(alice, task.id, 'Never written'));
          expectUnavailable(response, 'updateTask');
          expect(causesLogged(running.server)).to.deep.equal(['statement_timeout']);
          expect(ms)
            .to.be.at.least(bounds.statementTimeoutMs - 50)
            .and.below(ANSWER_WITHIN_MS);
          await waitForLockWaiters(admin!, (waiting) => waiting === 0, 'the server to cancel the abandoned statement');

          await holder.commit();
        } finally {
          if (!holder.isCompleted()) await holder.rollback();
        }
        // The abandoned update never committed anything over the holder's.
        const [row] = await admin!('tasks').where({ id: task.id }).select<{ title: string }[]>('title');
        expect(row?.title).to.equal('Written by the lock holder');
        const again = await rename(alice, task.id, 'Renamed after the lock');
        expect(again.status).to.equal(200);
        expect((again.body as { title?: string }).title).to.equal('Renamed after the lock');
      });
    });
  }

  describe('a burst of requests on a pool of 10', () => {
    const running = useServer({ poolMax: 10, bounds: DEFAULT_POSTGRES_BOUNDS });

    it('queues them all within the default bounds: no spurious 503', async () => {
      const alice = new TestUser(running.server.baseUrl);
      await alice.bearer();
      const burst = 300;
      const { response: statuses, ms } = await timed(() =>
        Promise.all(
          Array.from({ length: burst }, async (_, index) =>
            (index % 2 === 0
              ? alice.call('POST', '/tasks', { json: { title: `Burst ${index}` } })
              : alice.call('GET', '/tasks')
            ).then((response) => response.status),
          ),
        ),
      );
      const counts = statuses.reduce<Record<number, number>>(
        (tally, status) => ({ ...tally, [status]: (tally[status] ?? 0) + 1 }),
        {},
      );
      expect(counts, `${burst} requests in ${ms} ms`).to.deep.equal({ 200: burst / 2, 201: burst / 2 });
    });
  });
});

interface DatabaseOperation {
  readonly operationId: string;
  /** The status it answers once the database is back. */
  readonly succeeds: number;
  send(): Promise<ApiResponse>;
}

/**
 * What the operations below work on: a task, one to delete, a list of the user's own, two trash
 * items, a webhook with a delivery that is over (so it can be sent again), and one to delete.
 */
interface OutageFixture {
  readonly taskId: number;
  readonly doomedTaskId: number;
  readonly listId: number;
  readonly restorableId: number;
  readonly purgeableId: number;
  readonly webhookId: number;
  readonly deliveryId: number;
  readonly doomedWebhookId: number;
}

async function newWebhook(user: TestUser): Promise<number> {
  const webhook = await user.call<{ id: number }>('POST', '/webhooks', {
    json: { url: 'https://hooks.example.com/outage', event_types: ['task.created'] },
  });
  expect(webhook.status).to.equal(201);
  return webhook.body.id;
}

async function outageFixture(user: TestUser, title: string): Promise<OutageFixture> {
  const webhookId = await newWebhook(user);
  const doomedWebhookId = await newWebhook(user);
  const task = await user.createTask({ title });
  // Disabled and enabled again: its delivery of the task's creation has failed, and may be sent again.
  for (const enabled of [false, true]) await user.call('PATCH', `/webhooks/${webhookId}`, { json: { enabled } });
  const deliveries = await user.call<{ items: { id: number; status: string }[] }>(
    'GET',
    `/webhooks/${webhookId}/deliveries`,
  );
  expect(deliveries.body.items.map((delivery) => delivery.status)).to.deep.equal(['failed']);
  const doomed = await user.createTask({ title: 'To delete' });
  const list = await user.call<{ id: number }>('POST', '/lists', { json: { name: 'Spare' } });
  expect(list.status).to.equal(201);
  const trashed: number[] = [];
  for (const trashTitle of ['To restore', 'To purge']) {
    const { id } = await user.createTask({ title: trashTitle });
    expect((await user.call('DELETE', `/tasks/${id}`)).status).to.equal(204);
    trashed.push(id);
  }
  return {
    taskId: task.id,
    doomedTaskId: doomed.id,
    listId: list.body.id,
    restorableId: trashed[0]!,
    purgeableId: trashed[1]!,
    webhookId,
    deliveryId: deliveries.body.items[0]!.id,
    doomedWebhookId,
  };
}

/** One valid request for every operation that needs the database, each of which succeeds once the database is back. */
function databaseOperations(user: TestUser, fixture: OutageFixture): DatabaseOperation[] {
  const { taskId, doomedTaskId, listId, restorableId, purgeableId, webhookId, deliveryId, doomedWebhookId } = fixture;
  const task = `/tasks/${taskId}`;
  const list = `/lists/${listId}`;
  const webhook = `/webhooks/${webhookId}`;
  let names = 0;
  const newName = () => `Outage list ${++names}`;
  const mergePatch = 'application/merge-patch+json';
  return [
    { operationId: 'getReadiness', succeeds: 200, send: () => request(user.baseUrl, 'GET', '/ready') },
    { operationId: 'getCurrentUser', succeeds: 200, send: () => user.call('GET', '/api/me') },
    { operationId: 'listTasks', succeeds: 200, send: () => user.call('GET', '/tasks') },
    {
      operationId: 'createTask',
      succeeds: 201,
      send: () => user.call('POST', '/tasks', { json: { title: 'Another' } }),
    },
    { operationId: 'getTask', succeeds: 200, send: () => user.call('GET', task) },
    {
      operationId: 'replaceTask',
      succeeds: 200,
      send: () => user.call('PUT', task, { json: { title: 'Replaced', description: null, completed: false } }),
    },
    {
      operationId: 'updateTask',
      succeeds: 200,
      send: () => user.call('PATCH', task, { json: { title: 'Patched' }, contentType: mergePatch }),
    },
    // Before the completion: clearing completed tasks then moves the task to the trash.
    { operationId: 'moveTask', succeeds: 200, send: () => user.call('POST', `${task}/move`, { json: {} }) },
    {
      operationId: 'completeTask',
      succeeds: 200,
      send: () => user.call('PATCH', `${task}/complete`, { json: { completed: true } }),
    },
    {
      operationId: 'bulkTasks',
      succeeds: 200,
      send: () =>
        user.call('POST', '/tasks/bulk', {
          json: { atomic: true, actions: [{ op: 'create', task: { title: 'In bulk' } }] },
        }),
    },
    { operationId: 'clearCompletedTasks', succeeds: 200, send: () => user.call('POST', '/tasks/clear-completed') },
    {
      operationId: 'listTags',
      succeeds: 200,
      send: () => user.call('GET', `/api/${encodeURIComponent(user.id)}/tags`),
    },
    { operationId: 'listLists', succeeds: 200, send: () => user.call('GET', '/lists') },
    {
      operationId: 'createList',
      succeeds: 201,
      send: () => user.call('POST', '/lists', { json: { name: newName() } }),
    },
    { operationId: 'getList', succeeds: 200, send: () => user.call('GET', list) },
    {
      operationId: 'updateList',
      succeeds: 200,
      send: () => user.call('PATCH', list, { json: { name: newName() }, contentType: mergePatch }),
    },
    { operationId: 'moveList', succeeds: 200, send: () => user.call('POST', `${list}/move`, { json: {} }) },
    { operationId: 'listTrash', succeeds: 200, send: () => user.call('GET', '/trash') },
    { operationId: 'restoreTask', succeeds: 200, send: () => user.call('POST', `/tasks/${restorableId}/restore`) },
    { operationId: 'purgeTask', succeeds: 204, send: () => user.call('DELETE', `/trash/${purgeableId}`) },
    { operationId: 'emptyTrash', succeeds: 200, send: () => user.call('POST', '/trash/empty') },
    { operationId: 'listChanges', succeeds: 200, send: () => user.call('GET', '/changes') },
    // Opened, checked and closed: where it starts is read before it streams (a 503 when it cannot be).
    { operationId: 'streamEvents', succeeds: 200, send: () => streamAnswer(user) },
    { operationId: 'deleteList', succeeds: 204, send: () => user.call('DELETE', list) },
    { operationId: 'listWebhooks', succeeds: 200, send: () => user.call('GET', '/webhooks') },
    {
      operationId: 'createWebhook',
      succeeds: 201,
      send: () =>
        user.call('POST', '/webhooks', {
          json: { url: 'https://hooks.example.com/new', event_types: ['list.created'] },
        }),
    },
    { operationId: 'getWebhook', succeeds: 200, send: () => user.call('GET', webhook) },
    {
      operationId: 'updateWebhook',
      succeeds: 200,
      send: () => user.call('PATCH', webhook, { json: { description: 'Patched' }, contentType: mergePatch }),
    },
    { operationId: 'listWebhookDeliveries', succeeds: 200, send: () => user.call('GET', `${webhook}/deliveries`) },
    {
      operationId: 'retryWebhookDelivery',
      succeeds: 202,
      send: () => user.call('POST', `${webhook}/deliveries/${deliveryId}/retry`),
    },
    { operationId: 'deleteWebhook', succeeds: 204, send: () => user.call('DELETE', `/webhooks/${doomedWebhookId}`) },
    // A task of its own: clear-completed above removed the other one.
    { operationId: 'deleteTask', succeeds: 204, send: () => user.call('DELETE', `/tasks/${doomedTaskId}`) },
  ];
}

/** The operations whose contract says the database being unavailable is a 503 for them. */
function operationsDeclaring503(): string[] {
  return specOperations()
    .filter((operation) => operation.sharedResponses['503'] === 'ServiceUnavailable')
    .map((operation) => operation.operationId)
    .sort();
}

function expectUnavailable(response: ApiResponse, operationId: string): void {
  const problem = expectProblem(response, 503);
  expect(problem.detail ?? problem.title, operationId).to.be.a('string');
  expect(Number(response.headers.get('retry-after')), `${operationId}: Retry-After`).to.be.above(0);
}

/** Once the database is back: every operation succeeds, in the same process, on the same pool. */
async function expectRecovered(operations: readonly DatabaseOperation[]): Promise<void> {
  for (const operation of operations) {
    const response = await operation.send();
    expect(response.status, `${operation.operationId}: ${JSON.stringify(response.body)}`).to.equal(operation.succeeds);
  }
}

/** The measure: a burst of reads and writes during the outage, every one a 503 (none a 500). */
async function expectBurstUnavailable(user: TestUser): Promise<void> {
  const burst = 100;
  const responses = await Promise.all(
    Array.from({ length: burst }, (_, index) =>
      index % 2 === 0 ? user.call('POST', '/tasks', { json: { title: `Burst ${index}` } }) : user.call('GET', '/tasks'),
    ),
  );
  const counts = responses.reduce<Record<number, number>>(
    (tally, { status }) => ({ ...tally, [status]: (tally[status] ?? 0) + 1 }),
    {},
  );
  expect(counts, `statuses of ${burst} calls during the outage`).to.deep.equal({ 503: burst });
  for (const response of responses) expectUnavailable(response, 'burst');
}

function rename(user: TestUser, taskId: number, title: string): Promise<ApiResponse> {
  return user.call('PATCH', `/tasks/${taskId}`, { json: { title }, contentType: 'application/merge-patch+json' });
}

async function timed<T>(action: () => Promise<T>): Promise<{ response: T; ms: number }> {
  const start = performance.now();
  const response = await action();
  return { response, ms: Math.round(performance.now() - start) };
}

/** How many statements of the database are waiting for a lock right now. */
async function lockWaiters(db: Knex): Promise<number> {
  const { rows } = await db.raw<{ rows: { count: number }[] }>(
    `select count(*)::integer as count from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return rows[0]!.count;
}

/** Polled: PostgreSQL announces no lock wait to another session. */
async function waitForLockWaiters(db: Knex, until: (waiting: number) => boolean, what: string): Promise<void> {
  let waiting: number | undefined;
  await pollUntil(async () => until((waiting = await lockWaiters(db))), what, {
    everyMs: 20,
    context: () => ` (statements waiting for a lock: ${waiting})`,
  });
}

/** The causes the server logged for its 503s, in order. */
function causesLogged(server: TestServer): string[] {
  return server.logs.flatMap((line) =>
    typeof line.database_unavailable === 'string' ? [line.database_unavailable] : [],
  );
}
