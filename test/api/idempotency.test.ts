import { expect } from 'chai';
import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import { postgresKnex } from '../../src/db/database.js';
import { IN_PROGRESS_RETRY_AFTER_SECONDS } from '../../src/idempotency/idempotency.service.js';
import { lockId, RETENTION_HOURS, SWEEP_LIMIT } from '../../src/idempotency/idempotency.store.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type ApiResponse, type Task } from '../helpers/api-client.js';
import { auditTrail, storedTasks } from '../helpers/task-state.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { IN_TEST_BOUND_MS, pollUntil } from '../helpers/wait.js';
import { age, answer, keyed, newKey } from '../helpers/idempotency-keys.js';

type BulkResult = components['schemas']['BulkResult'];

/** A task id no test creates (ids are an identity sequence starting at 1). */
const MISSING_TASK_ID = 8_765_432_109;

interface KeyRow {
  fingerprint: string;
  response_status: number;
}

/** The stored record of the user's key, read past the API. */
function storedKey(suite: ApiSuite, user: TestUser, key: string): Promise<KeyRow | undefined> {
  return suite
    .database()
    .knex('idempotency_keys')
    .where({ user_id: user.id, key })
    .first('fingerprint', 'response_status');
}

/**
 * Whether a transaction holds the key's advisory lock, i.e. a request with the key is running
 * (PostgreSQL only: pg_locks shows a 64-bit lock id as two oids, its high and its low half).
 */
async function keyLocked(suite: ApiSuite, user: TestUser, key: string): Promise<boolean> {
  const id = BigInt.asUintN(64, BigInt(lockId(user.id, key)));
  const held = await suite
    .database()
    .knex('pg_locks')
    .where({ locktype: 'advisory', objsubid: 1, granted: true })
    .andWhere('classid', String(id >> 32n))
    .andWhere('objid', String(id & 0xffffffffn))
    .first<{ pid: number } | undefined>('pid');
  return held !== undefined;
}

/**
 * Stores `count` keys of the user (`expired-0`...) that expired in 2000, before anything the other
 * tests leave behind, so that a sweep takes them first (the user must exist: make a request first).
 */
async function insertExpired(suite: ApiSuite, user: TestUser, count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, index) => ({
    user_id: user.id,
    key: `expired-${index}`,
    fingerprint: '0'.repeat(64),
    response_status: 201,
    response_headers: '{}',
    expires_at: new Date(Date.UTC(2000, 0, 2) + index),
  }));
  await suite.database().knex('idempotency_keys').insert(rows);
}

/** The three operations that take a key, each as a request a test can send and repeat. */
interface KeyedOperation {
  readonly operationId: string;
  readonly status: number;
  /** Prepares what the request needs (a task) and returns the request. */
  readonly prepare: (user: TestUser) => Promise<(headers: Record<string, string>) => Promise<ApiResponse>>;
}

const OPERATIONS: KeyedOperation[] = [
  {
    operationId: 'createTask',
    status: 201,
    prepare: async (user) => (headers) => user.call<Task>('POST', '/tasks', { json: { title: 'Buy milk' }, headers }),
  },
  {
    operationId: 'completeTask',
    status: 200,
    prepare: async (user) => {
      const task = await user.createTask();
      return (headers) => user.call<Task>('PATCH', `/tasks/${task.id}/complete`, { headers });
    },
  },
  {
    operationId: 'bulkTasks',
    status: 200,
    prepare: async (user) => (headers) =>
      user.call<BulkResult>('POST', '/tasks/bulk', {
        json: { atomic: true, actions: [{ op: 'create', task: { title: 'Bulk' } }] },
        headers,
      }),
  },
];

describeEachDatabase('idempotency keys', (suite) => {
  describe('a retry of the same request gets the first answer again, without writing', () => {
    it('createTask: the same 201, task, Location and ETag; one task stored, one audit line', async () => {
      const alice = suite.newUser();
      const key = newKey();
      const first = await alice.call<Task>('POST', '/tasks', {
        json: { title: 'Buy milk', description: 'two litres' },
        headers: keyed(key),
      });
      expect(first.status).to.equal(201);
      expect(first.headers.get('location')).to.equal(`/api/${alice.id}/tasks/${first.body.id}`);
      // A change in between shows that the retry answers from the stored response, not from the task as it now is.
      expect((await alice.call('PATCH', `/tasks/${first.body.id}`, { json: { title: 'Renamed' } })).status).to.equal(
        200,
      );

      // The same JSON with its keys in another order is the same request.
      const retry = await alice.call<Task>('POST', '/tasks', {
        json: { description: 'two litres', title: 'Buy milk' },
        headers: keyed(key),
      });
      expect(answer(retry)).to.deep.equal(answer(first));
      expect(retry.headers.get('x-request-id'), 'a response of its own').to.not.equal(
        first.headers.get('x-request-id'),
      );
      expect(await storedTasks(suite, alice)).to.have.length(1);
      expect(auditTrail(suite, alice).filter((line) => line.startsWith('task.create'))).to.deep.equal([
        `task.create ${first.body.id}`,
      ]);
    });

    it('completeTask: a toggle is applied once, and a recurring task gets one next occurrence', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask({
        title: 'Daily',
        due_date: '2026-03-01',
        recurrence: { frequency: 'daily' },
      });
      const key = newKey();
      const first = await alice.call<Task>('PATCH', `/tasks/${task.id}/complete`, { headers: keyed(key) });
      expect(first.status).to.equal(200);
      expect(first.body.completed).to.equal(true);

      const retry = await alice.call<Task>('PATCH', `/tasks/${task.id}/complete`, { headers: keyed(key) });
      expect(answer(retry)).to.deep.equal(answer(first));
      const stored = await storedTasks(suite, alice);
      expect(
        stored.map((row) => row.completed),
        'still completed, not toggled back; one next occurrence',
      ).to.deep.equal([true, false]);
    });

    for (const { name, body, status } of [
      { name: 'atomic', body: { atomic: true, actions: [{ op: 'create', task: { title: 'One' } }] }, status: 200 },
      {
        name: 'non-atomic, one action failing',
        body: {
          actions: [
            { op: 'create', task: { title: 'One' } },
            { op: 'delete', id: MISSING_TASK_ID },
          ],
        },
        status: 207,
      },
    ]) {
      it(`bulkTasks (${name}): the same ${status} and results; the actions run once`, async () => {
        const alice = suite.newUser();
        const key = newKey();
        const first = await alice.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
        expect(first.status).to.equal(status);
        const retry = await alice.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
        expect(answer(retry)).to.deep.equal(answer(first));
        expect(await storedTasks(suite, alice)).to.have.length(1);
      });
    }

    it('the quoted form of a key ("abc", a structured-field string) is the same key as the bare one', async () => {
      const alice = suite.newUser();
      const key = newKey();
      const first = await alice.call<Task>('POST', '/tasks', { json: { title: 'Quoted' }, headers: keyed(`"${key}"`) });
      expect(first.status).to.equal(201);
      const retry = await alice.call<Task>('POST', '/tasks', { json: { title: 'Quoted' }, headers: keyed(key) });
      expect(answer(retry)).to.deep.equal(answer(first));
      expect(await storedKey(suite, alice, key), 'stored without its quotes').to.include({ response_status: 201 });
      expect(await storedTasks(suite, alice)).to.have.length(1);
    });
  });

  describe('the same key with a different request is a 422, and changes nothing', () => {
    it('createTask with another body', async () => {
      const alice = suite.newUser();
      const key = newKey();
      const first = await alice.call<Task>('POST', '/tasks', { json: { title: 'First' }, headers: keyed(key) });
      expect(first.status).to.equal(201);
      const problem = expectProblem(
        await alice.call('POST', '/tasks', { json: { title: 'Second' }, headers: keyed(key) }),
        422,
      );
      expect(problem.detail).to.equal('This Idempotency-Key was already used for a different request.');
      expect(await storedTasks(suite, alice)).to.have.length(1);
      // The stored answer is still there for the request it belongs to.
      expect(
        answer(await alice.call('POST', '/tasks', { json: { title: 'First' }, headers: keyed(key) })),
      ).to.deep.equal(answer(first));
    });

    it('completeTask on another path, or with another If-Match', async () => {
      const alice = suite.newUser();
      const [one, two] = [await alice.createTask({ title: 'One' }), await alice.createTask({ title: 'Two' })];
      const key = newKey();
      expect((await alice.call('PATCH', `/tasks/${one.id}/complete`, { headers: keyed(key) })).status).to.equal(200);
      expectProblem(await alice.call('PATCH', `/tasks/${two.id}/complete`, { headers: keyed(key) }), 422);
      expectProblem(
        await alice.call('PATCH', `/tasks/${one.id}/complete`, {
          headers: keyed(key, { 'If-Match': '"some-other-tag"' }),
        }),
        422,
      );
      expectProblem(
        await alice.call('PATCH', `/tasks/${one.id}/complete`, { json: { completed: true }, headers: keyed(key) }),
        422,
      );
      expect((await storedTasks(suite, alice)).map((row) => row.completed)).to.deep.equal([true, false]);
    });

    it('bulkTasks after the key was used by another operation', async () => {
      const alice = suite.newUser();
      const key = newKey();
      expect((await alice.call('POST', '/tasks', { json: { title: 'Created' }, headers: keyed(key) })).status).to.equal(
        201,
      );
      expectProblem(
        await alice.call('POST', '/tasks/bulk', {
          json: { actions: [{ op: 'create', task: { title: 'Created' } }] },
          headers: keyed(key),
        }),
        422,
      );
      expect(await storedTasks(suite, alice)).to.have.length(1);
    });
  });

  it("keys are the user's: two users with the same key both write", async () => {
    const [alice, bob] = [suite.newUser(), suite.newUser()];
    const key = newKey();
    const forAlice = await alice.call<Task>('POST', '/tasks', { json: { title: 'Same' }, headers: keyed(key) });
    const forBob = await bob.call<Task>('POST', '/tasks', { json: { title: 'Same' }, headers: keyed(key) });
    expect([forAlice.status, forBob.status]).to.deep.equal([201, 201]);
    expect(forBob.body.user_id).to.equal(bob.id);
    expect(await storedTasks(suite, alice)).to.have.length(1);
    expect(await storedTasks(suite, bob)).to.have.length(1);
  });

  describe('concurrent retries', () => {
    it('10 simultaneous creates with one key: one task; every other answer is the replay or a 409', async () => {
      const alice = suite.newUser();
      await alice.call('GET', '/api/me'); // provisioned first, so that the requests race on the key alone
      const key = newKey();
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          alice.call<Task>('POST', '/tasks', { json: { title: 'Once' }, headers: keyed(key) }),
        ),
      );
      const created = responses.filter((response) => response.status === 201);
      for (const response of responses.filter((response) => response.status !== 201)) {
        expectProblem(response, 409);
        expect(response.headers.get('retry-after')).to.equal(String(IN_PROGRESS_RETRY_AFTER_SECONDS));
      }
      expect(created.length).to.be.at.least(1);
      expect(new Set(created.map((response) => response.body.id)).size, 'every 201 is the same task').to.equal(1);
      expect(await storedTasks(suite, alice)).to.have.length(1);
    });

    it('10 simultaneous toggles with one key: the task is toggled once', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask();
      const key = newKey();
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          alice.call<Task>('PATCH', `/tasks/${task.id}/complete`, { headers: keyed(key) }),
        ),
      );
      for (const response of responses) {
        if (response.status === 200) expect(response.body.completed).to.equal(true);
        else expectProblem(response, 409);
      }
      expect((await storedTasks(suite, alice)).map((row) => row.completed)).to.deep.equal([true]);
    });
  });

  describe('a request still in progress holds its key', () => {
    // A lock held from a separate transaction (the task's row for a complete, the tasks table against
    // inserts for a create or a bulk create) stops the first request inside its handler, after it
    // took its key's lock. PGlite is a single connection, so a held transaction would stop every request.
    for (const { operationId, status, prepare } of OPERATIONS) {
      it(`${operationId}: a retry while the first waits on a lock is a 409 with Retry-After; once it finishes, the replay`, async function () {
        if (suite.kind === 'pglite') this.skip();
        const alice = suite.newUser();
        const send = await prepare(alice);
        const key = newKey();
        const db = suite.database().knex;
        let first: Promise<ApiResponse> | undefined;
        await db.transaction(async (trx) => {
          if (operationId === 'completeTask') await trx('tasks').where({ user_id: alice.id }).forUpdate();
          else await trx.raw('lock table tasks in share mode'); // no insert into tasks until it commits
          first = send(keyed(key));
          await pollUntil(() => keyLocked(suite, alice, key), 'the first request to lock its key', {
            ms: IN_TEST_BOUND_MS,
            everyMs: 10,
          });
          const retry = await send(keyed(key));
          const problem = expectProblem(retry, 409);
          expect(problem.detail).to.equal('A request with this Idempotency-Key is still being processed; retry later.');
          expect(retry.headers.get('retry-after')).to.equal(String(IN_PROGRESS_RETRY_AFTER_SECONDS));
          expect(await storedKey(suite, alice, key), 'nothing stored while it runs').to.equal(undefined);
        });
        const firstAnswer = await first!;
        expect(firstAnswer.status).to.equal(status);
        expect(answer(await send(keyed(key)))).to.deep.equal(answer(firstAnswer));
      });
    }
  });

  describe('the writes and the stored answer commit together, or neither does', () => {
    /** Runs `run` while the database fails one user's inserts into `table` that `when` (SQL on `new`) picks. */
    async function withFault<T>(
      table: 'tasks' | 'idempotency_keys',
      when: string,
      sqlstate: string,
      run: () => Promise<T>,
    ): Promise<T> {
      const { knex } = suite.database();
      const name = `idempotency_test_fault_${table}`;
      await knex.raw(`create function ${name}() returns trigger language plpgsql as $$
        begin
          if ${when} then raise exception 'injected fault' using errcode = '${sqlstate}'; end if;
          return new;
        end $$`);
      await knex.raw(`create trigger ${name} before insert on ${table} for each row execute function ${name}()`);
      try {
        return await run();
      } finally {
        await knex.raw(`drop trigger ${name} on ${table}`);
        await knex.raw(`drop function ${name}()`);
      }
    }

    it('the database lost while storing the answer (503): no task, no key, no audit line; the retry writes once', async () => {
      const alice = suite.newUser();
      const key = newKey();
      const create = () => alice.call<Task>('POST', '/tasks', { json: { title: 'Once' }, headers: keyed(key) });
      // 08006 (connection_failure): how a database lost between the task's insert and the key's reads.
      const lost = await withFault('idempotency_keys', `new.key = '${key}'`, '08006', create);
      expectProblem(lost, 503);
      expect(await storedTasks(suite, alice), 'the task rolled back with the answer').to.have.length(0);
      expect(await storedKey(suite, alice, key)).to.equal(undefined);
      expect(auditTrail(suite, alice), 'a rolled-back write is not in the audit trail').to.deep.equal([]);

      const retry = await create();
      expect(retry.status).to.equal(201);
      expect(answer(await create())).to.deep.equal(answer(retry));
      expect((await storedTasks(suite, alice)).map((row) => row.id)).to.deep.equal([retry.body.id]);
      expect(auditTrail(suite, alice)).to.deep.equal([`task.create ${retry.body.id}`]);
    });

    it('bulkTasks (non-atomic): an unexpected error in a later action undoes the earlier ones too; the retry runs them all once', async () => {
      const alice = suite.newUser();
      const key = newKey();
      const body = {
        actions: [
          { op: 'create', task: { title: 'Before' } },
          { op: 'create', task: { title: 'Fault' } },
          { op: 'delete', id: MISSING_TASK_ID },
          { op: 'create', task: { title: 'After' } },
        ],
      };
      const send = () => alice.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
      const failed = await withFault('tasks', `new.user_id = '${alice.id}' and new.title = 'Fault'`, 'XX000', send);
      expectProblem(failed, 500);
      expect(await storedTasks(suite, alice), 'without a key, "Before" would have been kept').to.have.length(0);
      expect(await storedKey(suite, alice, key)).to.equal(undefined);

      const retry = await send();
      expect(retry.status).to.equal(207);
      expect(retry.body.results.map((result) => result.status)).to.deep.equal([201, 201, 404, 201]);
      expect(answer(await send())).to.deep.equal(answer(retry));
      expect((await storedTasks(suite, alice)).map((row) => row.title)).to.deep.equal(['Before', 'Fault', 'After']);
    });

    it('bulkTasks (non-atomic): a failing action undoes only its own writes (a savepoint), the others commit with the answer', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask({ title: 'Stale' });
      const key = newKey();
      const response = await alice.call<BulkResult>('POST', '/tasks/bulk', {
        json: {
          actions: [
            { op: 'create', task: { title: 'Kept' } },
            { op: 'update', id: task.id, patch: { title: 'Not written' }, if_match: '"stale"' },
            { op: 'complete', id: task.id },
          ],
        },
        headers: keyed(key),
      });
      expect(response.status).to.equal(207);
      expect(response.body.results.map((result) => result.status)).to.deep.equal([201, 412, 200]);
      const stored = await storedTasks(suite, alice);
      expect(stored.map((row) => [row.title, row.completed])).to.deep.equal([
        ['Stale', true],
        ['Kept', false],
      ]);
      expect(await storedKey(suite, alice, key)).to.include({ response_status: 207 });
    });
  });

  describe('a failed request does not keep its key', () => {
    it('completeTask of a missing task (404): the key is free for another request', async () => {
      const alice = suite.newUser();
      const key = newKey();
      expectProblem(await alice.call('PATCH', `/tasks/${MISSING_TASK_ID}/complete`, { headers: keyed(key) }), 404);
      expect(await storedKey(suite, alice, key)).to.equal(undefined);
      const task = await alice.createTask();
      const response = await alice.call<Task>('PATCH', `/tasks/${task.id}/complete`, { headers: keyed(key) });
      expect(response.status).to.equal(200);
    });

    it('a body the validator refuses (400) never claims the key', async () => {
      const alice = suite.newUser();
      const key = newKey();
      expectProblem(await alice.call('POST', '/tasks', { json: { title: '' }, headers: keyed(key) }), 400);
      expect((await alice.call('POST', '/tasks', { json: { title: 'Fixed' }, headers: keyed(key) })).status).to.equal(
        201,
      );
    });

    it('a task rule the handler refuses (400) releases the key, and the retry runs again', async () => {
      const alice = suite.newUser();
      const key = newKey();
      const bothDueForms = { title: 'Both', due_date: '2026-12-01', due_at: '2026-12-01T09:00:00Z', time_zone: 'UTC' };
      expectProblem(await alice.call('POST', '/tasks', { json: bothDueForms, headers: keyed(key) }), 400);
      expect(await storedKey(suite, alice, key)).to.equal(undefined);
      expectProblem(await alice.call('POST', '/tasks', { json: bothDueForms, headers: keyed(key) }), 400);
      expect((await alice.call('POST', '/tasks', { json: { title: 'Fixed' }, headers: keyed(key) })).status).to.equal(
        201,
      );
    });
  });

  describe('malformed keys are a 400, and nothing is written', () => {
    for (const [name, value] of [
      ['empty', ''],
      ['with a space', 'two words'],
      ['an unfinished quoted string', '"abc'],
      ['a quoted string with a quote inside', '"a"b"'],
      ['256 characters', 'k'.repeat(256)],
      ['256 characters in quotes', `"${'k'.repeat(256)}"`],
    ] as const) {
      it(name, async () => {
        const alice = suite.newUser();
        const problem = expectProblem(
          await alice.call('POST', '/tasks', { json: { title: 'Never' }, headers: keyed(value) }),
          400,
        );
        expect(problem.errors).to.not.be.empty;
        for (const issue of problem.errors!)
          expect(issue).to.include({ location: 'header', pointer: '/idempotency-key' });
        expect(await storedTasks(suite, alice)).to.have.length(0);
      });
    }

    it('255 characters, bare or quoted, are a key', async () => {
      const alice = suite.newUser();
      const key = 'k'.repeat(255);
      const first = await alice.call('POST', '/tasks', { json: { title: 'Long key' }, headers: keyed(`"${key}"`) });
      expect(first.status).to.equal(201);
      expect(
        answer(await alice.call('POST', '/tasks', { json: { title: 'Long key' }, headers: keyed(key) })),
      ).to.deep.equal(answer(first));
    });
  });

  describe(`keys are kept ${RETENTION_HOURS} hours`, () => {
    it('an expired key is new: the same request runs again, and another request may use it', async () => {
      const alice = suite.newUser();
      const key = newKey();
      const first = await alice.call<Task>('POST', '/tasks', { json: { title: 'Yesterday' }, headers: keyed(key) });
      await age(suite, alice, key, RETENTION_HOURS * 3_600_000 - 60_000);
      expect(
        answer(await alice.call('POST', '/tasks', { json: { title: 'Yesterday' }, headers: keyed(key) })),
        'a minute before expiry',
      ).to.deep.equal(answer(first));

      await age(suite, alice, key, 60_000);
      // Older expired keys keep the sweep busy, so the claim itself must see that this one has expired.
      await insertExpired(suite, alice, SWEEP_LIMIT);
      const again = await alice.call<Task>('POST', '/tasks', { json: { title: 'Yesterday' }, headers: keyed(key) });
      expect(again.status).to.equal(201);
      expect(again.body.id).to.not.equal(first.body.id);
      expect(
        await suite.database().knex('idempotency_keys').where({ user_id: alice.id }).pluck('key'),
        'the older ones swept',
      ).to.deep.equal([key]);

      await age(suite, alice, key, RETENTION_HOURS * 3_600_000);
      expect((await alice.call('POST', '/tasks', { json: { title: 'Today' }, headers: keyed(key) })).status).to.equal(
        201,
      );
      expect(await storedTasks(suite, alice)).to.have.length(3);
    });

    it(`each claim deletes up to ${SWEEP_LIMIT} expired keys of any user, oldest first`, async () => {
      const [old, claimer] = [suite.newUser(), suite.newUser()];
      await old.call('GET', '/api/me');
      await insertExpired(suite, old, SWEEP_LIMIT + 20);
      const db = suite.database().knex;
      await db('idempotency_keys').insert({
        user_id: old.id,
        key: 'live',
        fingerprint: '0'.repeat(64),
        response_status: 201,
        response_headers: '{}',
        expires_at: db.raw(`now() + interval '1 hour'`),
      });
      const remaining = async () =>
        (await db('idempotency_keys').where({ user_id: old.id }).orderBy('key').pluck('key')) as string[];

      expect(
        (await claimer.call('POST', '/tasks', { json: { title: 'Sweep' }, headers: keyed(newKey()) })).status,
      ).to.equal(201);
      expect(await remaining()).to.deep.equal([
        ...Array.from({ length: 20 }, (_, index) => `expired-${SWEEP_LIMIT + index}`).sort(),
        'live',
      ]);
      expect(
        (await claimer.call('POST', '/tasks', { json: { title: 'Sweep' }, headers: keyed(newKey()) })).status,
      ).to.equal(201);
      expect(await remaining()).to.deep.equal(['live']);
    });
  });

  describe('two server instances over one database share the keys', () => {
    let other: TestServer | undefined;
    let otherDb: Knex | undefined;
    before(async () => {
      // On PostgreSQL, a pool of its own, as another process has; PGlite is one process by construction.
      const { knex } = suite.database();
      if (suite.kind !== 'pglite')
        otherDb = postgresKnex(
          ((knex.client as Knex.Client).config.connection as { connectionString: string }).connectionString,
          5,
        );
      other = await startTestServer(otherDb ?? knex);
    });
    after(async () => {
      await other?.close();
      await otherDb?.destroy();
    });

    it('a retry on the other instance gets the replay; racing retries on both write once', async () => {
      const alice = suite.newUser();
      const onOther = new TestUser(other!.baseUrl, alice.id);
      const key = newKey();
      const first = await alice.call<Task>('POST', '/tasks', { json: { title: 'Shared' }, headers: keyed(key) });
      expect(first.status).to.equal(201);
      expect(
        answer(await onOther.call('POST', '/tasks', { json: { title: 'Shared' }, headers: keyed(key) })),
      ).to.deep.equal(answer(first));
      expectProblem(await onOther.call('POST', '/tasks', { json: { title: 'Other' }, headers: keyed(key) }), 422);

      const raced = newKey();
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          (index % 2 ? onOther : alice).call<Task>('POST', '/tasks', {
            json: { title: 'Raced' },
            headers: keyed(raced),
          }),
        ),
      );
      for (const response of responses.filter((response) => response.status !== 201)) expectProblem(response, 409);
      expect(
        new Set(responses.filter((response) => response.status === 201).map((response) => response.body.id)).size,
      ).to.equal(1);
      expect(await storedTasks(suite, alice)).to.have.length(2);
    });
  });
});
