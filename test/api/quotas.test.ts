import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Config } from '../../src/config.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type ApiResponse, type Task } from '../helpers/api-client.js';
import { storedTasks } from '../helpers/task-state.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

// Issue 13: one user cannot fill the service's disk. Each server here has small quotas, so that
// the attack (adding tasks until refused) is replayed in a few requests: every write that adds
// tasks or bytes stops exactly at the limit, concurrent writes cannot both take the last room,
// a refused write writes nothing, and what the database counts is always exactly what is held.

const TASKS_LIMIT = 5;

/** The largest task the spec allows, in three-byte characters: 17,960 UTF-8 bytes. */
const MAX_TASK = {
  title: '€'.repeat(200),
  description: '€'.repeat(5000),
  tags: Array.from({ length: 20 }, (_, i) => '€'.repeat(39) + String.fromCharCode(97 + i)),
};

/** What the stored_bytes quota counts of a task: the UTF-8 bytes of its title, description and tags. */
function bytesOf(task: Pick<Task, 'title' | 'description' | 'tags'>): number {
  const text = [task.title, task.description ?? '', ...task.tags];
  return text.reduce((sum, each) => sum + Buffer.byteLength(each), 0);
}

const MAX_TASK_BYTES = bytesOf({ ...MAX_TASK, tags: MAX_TASK.tags });

/** The 409 naming the quota: its type, its name, its limit and what the user held. */
function expectQuotaExceeded(response: ApiResponse, quota: { name: string; limit: number; used: number }): void {
  const problem = expectProblem(response, 409);
  expect(problem.type).to.equal('/docs#section/Quotas');
  expect(problem.quota).to.deep.equal(quota);
  expect(problem.detail).to.equal(
    `This request would exceed the ${quota.name} quota of ${quota.limit} (${quota.used} in use); nothing was written.`,
  );
}

/** What the database counts for the user, which must always be what the user holds. */
async function expectUsageExact(suite: ApiSuite, user: TestUser): Promise<{ tasks: number; bytes: number }> {
  const db = suite.database().knex;
  const counted = await db('user_usage')
    .where('user_id', user.id)
    .first<{ tasks: number; bytes: number }>(
      db.raw('coalesce(sum(tasks), 0)::int as tasks'),
      db.raw('coalesce(sum(stored_bytes), 0)::int as bytes'),
    );
  const tasks = (await storedTasks(suite, user)) as unknown as Task[];
  const held = { tasks: tasks.length, bytes: tasks.reduce((sum, task) => sum + bytesOf(task), 0) };
  expect(counted, 'user_usage').to.deep.equal(held);
  return held;
}

/** A server of its own over the suite's database, with these quotas (the defaults otherwise). */
function serverWithQuotas(suite: ApiSuite, quotas: Partial<Config['quotas']>): () => TestServer {
  let server: TestServer | undefined;
  before(async () => {
    server = await startTestServer(suite.database().knex, { quotas });
  });
  after(async () => server?.close());
  return () => server!;
}

async function createTasks(user: TestUser, count: number): Promise<Task[]> {
  const created: Task[] = [];
  for (let i = 0; i < count; i++) created.push(await user.createTask({ title: `Task ${i}` }));
  return created;
}

interface BulkResults {
  readonly results: { index: number; status: number; problem?: { quota?: unknown } }[];
}

/** A path of the user's trash. */
const trashPath = (user: TestUser, rest = '') => `/api/${encodeURIComponent(user.id)}/trash${rest}`;
const bulk = (user: TestUser, body: unknown) => user.call<BulkResults>('POST', '/tasks/bulk', { json: body });
const creates = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ op: 'create', task: { title: `Bulk ${i}` } }));

describeEachDatabase('quotas: tasks per user', (suite) => {
  const server = serverWithQuotas(suite, { tasksPerUser: TASKS_LIMIT });
  const newUser = () => new TestUser(server().baseUrl);

  it('the attack replayed: a user adding tasks is refused at the limit, with a 409 naming the quota; others are not', async () => {
    const mallory = newUser();
    let response: ApiResponse;
    let created = 0;
    for (;;) {
      response = await mallory.call('POST', '/tasks', { json: { title: `Spam ${created}` } });
      if (response.status !== 201) break;
      created++;
      expect(created, 'never refused').to.be.at.most(TASKS_LIMIT);
    }
    expect(created).to.equal(TASKS_LIMIT);
    expectQuotaExceeded(response, { name: 'tasks', limit: TASKS_LIMIT, used: TASKS_LIMIT });
    // With an Idempotency-Key too: the refusal is not stored, and a retry is refused again.
    const key = { headers: { 'Idempotency-Key': randomUUID() } };
    for (let i = 0; i < 2; i++)
      expectQuotaExceeded(await mallory.call('POST', '/tasks', { json: { title: 'Keyed' }, ...key }), {
        name: 'tasks',
        limit: TASKS_LIMIT,
        used: TASKS_LIMIT,
      });
    expect(await expectUsageExact(suite, mallory)).to.include({ tasks: TASKS_LIMIT });
    await newUser().createTask({ title: 'Another user is not hurt' });
  });

  it('a deleted task counts until it is purged; cleared completed tasks, until the trash is emptied', async () => {
    const alice = newUser();
    const [first] = await createTasks(alice, TASKS_LIMIT);
    const over = { name: 'tasks', limit: TASKS_LIMIT, used: TASKS_LIMIT };
    expectQuotaExceeded(await alice.call('POST', '/tasks', { json: { title: 'Over' } }), over);

    expect((await alice.call('DELETE', `/tasks/${first!.id}`)).status).to.equal(204);
    expectQuotaExceeded(await alice.call('POST', '/tasks', { json: { title: 'Over' } }), over);
    expect((await alice.call('DELETE', trashPath(alice, `/${first!.id}`))).status).to.equal(204);
    const made = await alice.createTask({ title: 'In the freed room', completed: true });
    expectQuotaExceeded(await alice.call('POST', '/tasks', { json: { title: 'Over' } }), over);

    await alice.call('PATCH', `/tasks/${(await storedTasks(suite, alice))[1]!.id as number}/complete`, {
      json: { completed: true },
    });
    expect((await alice.call('POST', '/tasks/clear-completed')).body).to.deep.equal({ deleted: 2 });
    expectQuotaExceeded(await alice.call('POST', '/tasks', { json: { title: 'Over' } }), over);
    expect((await alice.call('POST', trashPath(alice, '/empty'))).body).to.deep.equal({ deleted: 2 });
    await createTasks(alice, 2);
    expect(made.completed).to.equal(true);
    await expectUsageExact(suite, alice);
  });

  it('completing a recurring task at the limit is refused: it stays open and no occurrence is created', async () => {
    const alice = newUser();
    await createTasks(alice, TASKS_LIMIT - 1);
    const series = await alice.createTask({
      title: 'Water plants',
      due_date: '2026-12-01',
      recurrence: { frequency: 'daily' },
    });
    const before = await storedTasks(suite, alice);

    for (const [method, path, json] of [
      ['PATCH', `/tasks/${series.id}/complete`, { completed: true }],
      ['PATCH', `/tasks/${series.id}/complete`, undefined],
      ['PATCH', `/tasks/${series.id}`, { completed: true }],
    ] as const) {
      const response = await alice.call(method, path, {
        ...(json ? { json } : {}),
        ...(path.endsWith('/complete') ? {} : { contentType: 'application/merge-patch+json' }),
      });
      expectQuotaExceeded(response, { name: 'tasks', limit: TASKS_LIMIT, used: TASKS_LIMIT });
    }
    expect(await storedTasks(suite, alice)).to.deep.equal(before);

    // Once there is room (a task deleted, and purged from the trash), the same completion continues the series.
    await alice.call('DELETE', `/tasks/${before[0]!.id as number}`);
    await alice.call('DELETE', trashPath(alice, `/${before[0]!.id as number}`));
    const completed = await alice.call<Task>('PATCH', `/tasks/${series.id}/complete`, { json: { completed: true } });
    expect(completed.status).to.equal(200);
    expect(completed.body.next_occurrence_id).to.be.a('number');
    await expectUsageExact(suite, alice);
  });

  it('non-atomic bulk: every create counts; the creates past the limit fail alone with 409, the rest run', async () => {
    const alice = newUser();
    const [kept] = await createTasks(alice, TASKS_LIMIT - 2);

    // A delete moves the task to the trash, where it still counts: the creates after it are refused too.
    const response = await bulk(alice, {
      actions: [...creates(3), { op: 'delete', id: kept!.id }, ...creates(2)],
    });

    expect(response.status).to.equal(207);
    const { results } = response.body;
    expect(results.map((result) => result.status)).to.deep.equal([201, 201, 409, 204, 409, 409]);
    for (const index of [2, 4, 5])
      expect(results[index]!.problem?.quota).to.deep.equal({ name: 'tasks', limit: TASKS_LIMIT, used: TASKS_LIMIT });
    expect(await expectUsageExact(suite, alice)).to.include({ tasks: TASKS_LIMIT });

    // Purged, it frees its room.
    expect((await alice.call('DELETE', trashPath(alice, `/${kept!.id}`))).status).to.equal(204);
    const after = await bulk(alice, { actions: creates(2) });
    expect(after.body.results.map((result) => result.status)).to.deep.equal([201, 409]);
    expect(await expectUsageExact(suite, alice)).to.include({ tasks: TASKS_LIMIT });
  });

  it('atomic bulk: past the limit, the whole request is a 409 and nothing is written', async () => {
    const alice = newUser();
    await createTasks(alice, TASKS_LIMIT - 2);
    const before = await storedTasks(suite, alice);

    for (const headers of [{}, { 'Idempotency-Key': randomUUID() }] as Record<string, string>[]) {
      const response = await alice.call('POST', '/tasks/bulk', {
        json: { atomic: true, actions: creates(3) },
        headers,
      });
      // `used` counts the request's own creates before the refused one, which are then undone.
      expectQuotaExceeded(response, { name: 'tasks', limit: TASKS_LIMIT, used: TASKS_LIMIT });
      expect(await storedTasks(suite, alice)).to.deep.equal(before);
    }
    expect((await bulk(alice, { atomic: true, actions: creates(2) })).status).to.equal(200);
    await expectUsageExact(suite, alice);
  });

  it('concurrent creates cannot both take the last room: at the limit minus one, exactly one of many wins', async () => {
    for (let round = 0; round < 3; round++) {
      const alice = newUser();
      await createTasks(alice, TASKS_LIMIT - 1);
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, i) => alice.call('POST', '/tasks', { json: { title: `Racer ${i}` } })),
      );
      expect(
        responses.map((response) => response.status).sort(),
        JSON.stringify(responses.map((response) => response.body as unknown)),
      ).to.deep.equal([201, ...Array<number>(7).fill(409)]);
      expect(await expectUsageExact(suite, alice)).to.include({ tasks: TASKS_LIMIT });
    }
  });

  it('concurrent creates and bulk requests from nothing stop exactly at the limit', async () => {
    const alice = newUser();
    const responses = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => alice.call('POST', '/tasks', { json: { title: `Racer ${i}` } })),
      bulk(alice, { actions: creates(3) }),
      bulk(alice, { actions: creates(2) }),
    ]);
    const unexpected = responses.filter((response) => ![201, 207, 409].includes(response.status));
    expect(unexpected.map((response) => response.body as unknown)).to.deep.equal([]);
    expect(await expectUsageExact(suite, alice)).to.include({ tasks: TASKS_LIMIT });
  });
});

describeEachDatabase('quotas: stored bytes per user', (suite) => {
  const limit = 2 * MAX_TASK_BYTES + 1000;
  const server = serverWithQuotas(suite, { storedBytesPerUser: limit });
  const newUser = () => new TestUser(server().baseUrl);

  it('counts the UTF-8 bytes of titles, descriptions and tags: two maximum-size tasks fit, a third is refused', async () => {
    const alice = newUser();
    expect(MAX_TASK_BYTES).to.equal(17_960);
    const [one, two] = [await alice.createTask(MAX_TASK), await alice.createTask(MAX_TASK)];
    expect([one, two].map(bytesOf)).to.deep.equal([MAX_TASK_BYTES, MAX_TASK_BYTES]);

    const before = await storedTasks(suite, alice);
    expectQuotaExceeded(await alice.call('POST', '/tasks', { json: MAX_TASK }), {
      name: 'stored_bytes',
      limit,
      used: 2 * MAX_TASK_BYTES,
    });
    expect(await storedTasks(suite, alice)).to.deep.equal(before);
    // Small tasks still fit in what is left.
    await alice.createTask({ title: 'é'.repeat(200) });
    expect(await expectUsageExact(suite, alice)).to.deep.equal({ tasks: 3, bytes: 2 * MAX_TASK_BYTES + 400 });
  });

  it('a PUT or PATCH that would grow past the limit is a 409 and leaves the task as it was; one that shrinks it passes', async () => {
    const alice = newUser();
    const big = await alice.createTask(MAX_TASK);
    const small = await alice.createTask({ title: 'Small' });
    await alice.createTask({ ...MAX_TASK, description: '€'.repeat(4900) });
    const before = await storedTasks(suite, alice);
    const used = 2 * MAX_TASK_BYTES - 300 + Buffer.byteLength('Small');

    const put = await alice.call('PUT', `/tasks/${small.id}`, {
      json: { title: 'Small', description: '€'.repeat(500), completed: false },
    });
    expectQuotaExceeded(put, { name: 'stored_bytes', limit, used });
    const patch = await alice.call('PATCH', `/tasks/${small.id}`, {
      json: { tags: MAX_TASK.tags },
      contentType: 'application/merge-patch+json',
    });
    expectQuotaExceeded(patch, { name: 'stored_bytes', limit, used });
    expect(await storedTasks(suite, alice)).to.deep.equal(before);

    const shrunk = await alice.call('PATCH', `/tasks/${big.id}`, {
      json: { description: null },
      contentType: 'application/merge-patch+json',
    });
    expect(shrunk.status).to.equal(200);
    const grown = await alice.call('PUT', `/tasks/${small.id}`, {
      json: { title: 'Small', description: '€'.repeat(500), completed: false },
    });
    expect(grown.status).to.equal(200);
    await expectUsageExact(suite, alice);
  });
});

describeEachDatabase('quotas: the count is exact', (suite) => {
  const server = serverWithQuotas(suite, { tasksPerUser: 1000, storedBytesPerUser: 10 * MAX_TASK_BYTES });

  it('equals what the user holds after a mix of every write, concurrent ones included', async () => {
    const alice = new TestUser(server().baseUrl);
    const tasks = await Promise.all(
      Array.from({ length: 12 }, (_, i) => alice.createTask({ title: `Task ${i} ✓`, tags: ['a', 'ü'] })),
    );
    await expectUsageExact(suite, alice);
    const merge = { contentType: 'application/merge-patch+json' };
    await Promise.all([
      alice.call('PUT', `/tasks/${tasks[0]!.id}`, {
        json: { title: 'Replaced', description: 'Longer ✓✓✓', completed: false },
      }),
      alice.call('PATCH', `/tasks/${tasks[1]!.id}`, { json: { description: 'x'.repeat(300) }, ...merge }),
      alice.call('PATCH', `/tasks/${tasks[2]!.id}`, { json: { tags: [] }, ...merge }),
      alice.call('PATCH', `/tasks/${tasks[3]!.id}`, { json: { title: 'Done', completed: true }, ...merge }),
      alice.call('DELETE', `/tasks/${tasks[4]!.id}`),
      alice.call('PATCH', `/tasks/${tasks[5]!.id}/complete`, {}),
      bulk(alice, {
        actions: [
          { op: 'create', task: MAX_TASK },
          { op: 'update', id: tasks[6]!.id, patch: { title: 'Bulk-updated' } },
          { op: 'delete', id: tasks[7]!.id },
        ],
      }),
      bulk(alice, { atomic: true, actions: [{ op: 'delete', id: tasks[8]!.id }, ...creates(2)] }),
    ]);
    await expectUsageExact(suite, alice);
    await alice.call('POST', '/tasks/clear-completed');
    await expectUsageExact(suite, alice);
    await Promise.all([
      alice.call('DELETE', trashPath(alice, `/${tasks[4]!.id}`)),
      alice.call('POST', trashPath(alice, '/empty')),
    ]);
    await expectUsageExact(suite, alice);
  });
});
