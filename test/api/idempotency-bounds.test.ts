import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import type { Config } from '../../src/config.js';
import { requestFingerprint } from '../../src/idempotency/fingerprint.js';
import { RETENTION_HOURS } from '../../src/idempotency/idempotency.store.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type Task } from '../helpers/api-client.js';
import { age, answer, keyed, newKey } from '../helpers/idempotency-keys.js';
import { auditTrail, storedTasks } from '../helpers/task-state.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

// Issue 13: what a key keeps is bounded. A bulk answer is kept compact and rebuilt on replay; an
// answer larger than the server keeps refuses its request before anything commits; each user holds
// a bounded number of live keys.

type BulkResult = components['schemas']['BulkResult'];

/** A task id no test creates (ids are an identity sequence starting at 1). */
const MISSING_TASK_ID = 8_765_432_109;

/** The largest task the spec allows, in UTF-8 bytes too: every character 4 bytes (outside the BMP). */
const LARGEST_TASK = {
  title: '😀'.repeat(200),
  description: '📎'.repeat(5000),
  tags: Array.from({ length: 20 }, (_, index) => `${index}${'🏷'.repeat(40 - `${index}`.length)}`),
};

/** The bytes of the key's stored record, as PostgreSQL holds the row (its text form). */
async function storedBytes(suite: ApiSuite, user: TestUser, key: string): Promise<number> {
  const row = await suite
    .database()
    .knex('idempotency_keys as stored')
    .where({ 'stored.user_id': user.id, 'stored.key': key })
    .first<{ bytes: number } | undefined>(suite.database().knex.raw('octet_length(stored::text)::integer as bytes'));
  expect(row, 'the key is stored').to.not.equal(undefined);
  return row!.bytes;
}

async function keyCount(suite: ApiSuite, user: TestUser): Promise<number> {
  return (await suite.database().knex('idempotency_keys').where('user_id', user.id).pluck('key')).length;
}

/** `count` of the largest tasks, created 4 at a time (a body holds at most 100 kB). */
async function createLargestTasks(user: TestUser, count: number): Promise<Task[]> {
  const tasks: Task[] = [];
  while (tasks.length < count) {
    const actions = Array.from({ length: Math.min(4, count - tasks.length) }, () => ({
      op: 'create',
      task: LARGEST_TASK,
    }));
    const response = await user.call<BulkResult>('POST', '/tasks/bulk', { json: { atomic: true, actions } });
    expect(response.status).to.equal(200);
    tasks.push(...response.body.results.map((result) => result.task!));
  }
  return tasks;
}

/** A server of its own over the suite's database, with these quotas, for the tests of the enclosing describe. */
function serverWithQuotas(suite: ApiSuite, quotas: Partial<Config['quotas']>): () => TestServer {
  let server: TestServer | undefined;
  before(async () => {
    server = await startTestServer(suite.database().knex, { quotas });
  });
  after(async () => server?.close());
  return () => {
    if (!server) throw new Error('the server is not started yet: use it inside tests or hooks');
    return server;
  };
}

describeEachDatabase('idempotency keys: bounded storage', (suite) => {
  describe('a bulk answer is kept compact', () => {
    it('the attack: 100 empty updates of the largest tasks keep a few kB, not the megabytes of the answer; the replay is the answer', async function () {
      this.timeout(120_000);
      const mallory = suite.newUser();
      const tasks = await createLargestTasks(mallory, 100);
      const key = newKey();
      const body = { actions: tasks.map((task) => ({ op: 'update', id: task.id, patch: {} })) };
      const first = await mallory.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
      expect(first.status).to.equal(207);
      const answered = Buffer.byteLength(JSON.stringify(first.body));
      expect(answered, 'the answer repeats every task').to.be.above(2_000_000);
      const kept = await storedBytes(suite, mallory, key);
      // About 30 bytes an action (`{"status":200,"id":123}`), plus the record's own columns.
      expect(kept, `${kept} bytes kept for an answer of ${answered}`).to.be.below(4096);

      const retry = await mallory.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
      expect(answer(retry)).to.deep.equal(answer(first));
    });

    it('the replay of every kind of result (created, updated, completed, deleted, failed with and without errors) is the first answer byte for byte', async () => {
      const alice = suite.newUser();
      const [updated, completed, deleted] = [
        await alice.createTask(),
        await alice.createTask(),
        await alice.createTask(),
      ];
      const key = newKey();
      const body = {
        actions: [
          { op: 'create', task: { title: 'New', tags: ['home'] } },
          { op: 'update', id: updated.id, patch: { priority: 'high' } },
          { op: 'complete', id: completed.id, completed: true },
          { op: 'delete', id: deleted.id },
          { op: 'delete', id: MISSING_TASK_ID },
          { op: 'update', id: updated.id, patch: {}, if_match: '"stale"' },
          {
            op: 'create',
            task: {
              title: 'Ends early',
              due_date: '2026-12-01',
              recurrence: { frequency: 'daily', until: '2026-11-30' },
            },
          },
        ],
      };
      const first = await alice.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
      expect(first.status).to.equal(207);
      expect(first.body.results.map((result) => result.status)).to.deep.equal([201, 200, 200, 204, 404, 412, 400]);
      expect(first.body.results[6]!.problem!.errors, 'a task rule with its errors').to.have.length.above(0);

      const retry = await alice.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
      expect(answer(retry)).to.deep.equal(answer(first));
      expect(retry.headers.get('x-request-id')).to.not.equal(first.headers.get('x-request-id'));
    });

    it('a task changed since is shown as it now is, with its current ETag; one deleted since keeps only its status', async () => {
      const alice = suite.newUser();
      const [renamed, removed, untouched] = [
        await alice.createTask({ title: 'Renamed later' }),
        await alice.createTask({ title: 'Deleted later' }),
        await alice.createTask({ title: 'Untouched' }),
      ];
      const key = newKey();
      const body = {
        atomic: true,
        actions: [renamed, removed, untouched].map((task) => ({ op: 'complete', id: task.id, completed: true })),
      };
      const first = await alice.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
      expect(first.status).to.equal(200);
      expect((await alice.call('PATCH', `/tasks/${renamed.id}`, { json: { title: 'Renamed' } })).status).to.equal(200);
      expect((await alice.call('DELETE', `/tasks/${removed.id}`)).status).to.equal(204);

      const retry = await alice.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
      expect(retry.status).to.equal(200);
      const now = await alice.call<Task>('GET', `/tasks/${renamed.id}`);
      expect(retry.body.results).to.deep.equal([
        { index: 0, status: 200, task: now.body, etag: now.headers.get('etag') },
        { index: 1, status: 200 },
        first.body.results[2],
      ]);
      expect(retry.body.results[0]!.etag).to.not.equal(first.body.results[0]!.etag);
      const outsideTheTrash = (await storedTasks(suite, alice)).filter((row) => row.deleted_at === null);
      expect(outsideTheTrash, 'nothing ran again').to.have.length(2);
    });

    it('an answer kept whole (before answers were kept compact) is replayed as it was', async () => {
      const alice = suite.newUser();
      await alice.createTask(); // the user exists
      const key = newKey();
      const body = { atomic: true, actions: [{ op: 'delete', id: MISSING_TASK_ID }] };
      const whole: BulkResult = { results: [{ index: 0, status: 204 }] };
      await suite
        .database()
        .knex('idempotency_keys')
        .insert({
          user_id: alice.id,
          key,
          fingerprint: requestFingerprint({
            operationId: 'bulkTasks',
            path: { user_id: alice.id },
            query: {},
            headers: {},
            body,
          }),
          response_status: 200,
          response_headers: '{}',
          response_body: JSON.stringify(whole),
          expires_at: new Date(Date.now() + 3_600_000),
        });
      const replay = await alice.call<BulkResult>('POST', '/tasks/bulk', { json: body, headers: keyed(key) });
      expect(replay.status).to.equal(200);
      expect(replay.body).to.deep.equal(whole);
    });
  });

  describe('an answer larger than the server keeps refuses its request (413), and nothing is written', () => {
    const ANSWER_BYTES = 1024;
    const small = serverWithQuotas(suite, { idempotencyAnswerBytes: ANSWER_BYTES });

    const BIG = { title: 'Big', description: 'x'.repeat(2000) };

    for (const { name, send } of [
      {
        name: 'createTask',
        send: (user: TestUser, headers: Record<string, string>) => user.call('POST', '/tasks', { json: BIG, headers }),
      },
      {
        name: 'bulkTasks (non-atomic: its savepoints go too)',
        send: (user: TestUser, headers: Record<string, string>) =>
          user.call('POST', '/tasks/bulk', {
            // Each failed action keeps its problem, about 200 bytes.
            json: {
              actions: Array.from({ length: 20 }, (_, index) =>
                index % 2 ? { op: 'create', task: { title: `T${index}` } } : { op: 'delete', id: MISSING_TASK_ID },
              ),
            },
            headers,
          }),
      },
    ]) {
      it(`${name}: no task, no key, no audit line; without a key it runs`, async () => {
        const alice = new TestUser(small().baseUrl);
        const key = newKey();
        const refused = expectProblem(await send(alice, keyed(key)), 413);
        expect(refused.detail).to.match(
          new RegExp(`larger than the ${ANSWER_BYTES} bytes kept for an Idempotency-Key`),
        );
        expect(await storedTasks(suite, alice)).to.deep.equal([]);
        expect(await keyCount(suite, alice)).to.equal(0);
        expect(auditTrail({ ...suite, server: small }, alice)).to.deep.equal([]);
        expect((await send(alice, {})).status).to.be.oneOf([201, 207]);
      });
    }

    it('completeTask: an answer within the bound is kept', async () => {
      const alice = new TestUser(small().baseUrl);
      const task = await alice.createTask();
      const key = newKey();
      const first = await alice.call('PATCH', `/tasks/${task.id}/complete`, { headers: keyed(key) });
      expect(first.status).to.equal(200);
      expect(answer(await alice.call('PATCH', `/tasks/${task.id}/complete`, { headers: keyed(key) }))).to.deep.equal(
        answer(first),
      );
    });
  });

  describe('each user holds a bounded number of live keys', () => {
    const KEYS = 3;
    const bounded = serverWithQuotas(suite, { idempotencyKeysPerUser: KEYS });

    const create = (user: TestUser, key: string, title = 'Keyed') =>
      user.call<Task>('POST', '/tasks', { json: { title }, headers: keyed(key) });

    it('a new key beyond the quota is a 409 naming it, with Retry-After until the oldest key expires; nothing is written', async () => {
      const alice = new TestUser(bounded().baseUrl);
      const keys = [newKey(), newKey(), newKey()];
      for (const key of keys) expect((await create(alice, key)).status).to.equal(201);
      // The oldest key expires in 100 seconds.
      await age(suite, alice, keys[0]!, RETENTION_HOURS * 3_600_000 - 100_000);

      const refused = await create(alice, newKey(), 'Beyond');
      const problem = expectProblem(refused, 409);
      expect(problem).to.deep.include({
        type: '/docs#section/Quotas',
        quota: { name: 'idempotency_keys', limit: KEYS, used: KEYS },
      });
      expect(Number(refused.headers.get('retry-after'))).to.be.within(99, 100);
      expect(await storedTasks(suite, alice)).to.have.length(KEYS);
      expect(auditTrail({ ...suite, server: bounded }, alice)).to.have.length(KEYS);

      // A kept key is still replayed, and a request without a key still runs.
      expect((await create(alice, keys[1]!)).status).to.equal(201);
      expect((await alice.call('POST', '/tasks', { json: { title: 'Unkeyed' } })).status).to.equal(201);
    });

    it('an expired key no longer counts: its room is free again', async () => {
      const alice = new TestUser(bounded().baseUrl);
      const keys = [newKey(), newKey(), newKey()];
      for (const key of keys) expect((await create(alice, key)).status).to.equal(201);
      expectProblem(await create(alice, newKey()), 409);
      await age(suite, alice, keys[0]!, RETENTION_HOURS * 3_600_000 + 1000);
      expect((await create(alice, newKey())).status).to.equal(201);
    });

    it('10 new keys at once for the last room: one is kept, the others are refused', async () => {
      const alice = new TestUser(bounded().baseUrl);
      for (const key of [newKey(), newKey()]) expect((await create(alice, key)).status).to.equal(201);
      const responses = await Promise.all(Array.from({ length: 10 }, () => create(alice, newKey(), 'Raced')));
      expect(responses.filter((response) => response.status === 201)).to.have.length(1);
      for (const response of responses.filter((each) => each.status !== 201)) expectProblem(response, 409);
      expect(await keyCount(suite, alice)).to.equal(KEYS);
      expect(await storedTasks(suite, alice)).to.have.length(KEYS);
    });

    it("keys are counted per user: another user's keys take none of hers", async () => {
      const [alice, bob] = [new TestUser(bounded().baseUrl), new TestUser(bounded().baseUrl)];
      for (let count = 0; count < KEYS; count++) expect((await create(bob, newKey())).status).to.equal(201);
      expect((await create(alice, newKey())).status).to.equal(201);
    });
  });
});
