import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { MAX_KEY_LENGTH } from '../../src/ordering/positions.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type ApiResponse, type Task } from '../helpers/api-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

// Issue 16: manual order of tasks (moveTask). Moves within a group, under another parent, to
// another list with the subtree; every refusal (a cycle, too deep, a neighbour elsewhere, another
// user's task, list or neighbour, a stale If-Match, a full list or parent); concurrent moves into
// one gap; and keys that stay short however often the same gap is used (the group rebalanced).

type TaskList = components['schemas']['TaskList'];

const move = (user: TestUser, id: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  user.call<Task>('POST', `/tasks/${id}/move`, { json: body, headers });

/** A 200 with the moved task and its ETag. */
function moved(response: ApiResponse<Task>): Task {
  expect(response.status, JSON.stringify(response.body)).to.equal(200);
  expect(response.headers.get('etag')).to.match(/^"[\w-]+"$/);
  return response.body;
}

/** The ids of a group in manual order (GET /tasks?...&sort=position), read page by page. */
async function order(user: TestUser, filter: string, limit = 3): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse<TaskList> = await user.call<TaskList>(
      'GET',
      `/tasks?${filter}&sort=position&limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    expect(page.status, JSON.stringify(page.body)).to.equal(200);
    ids.push(...page.body.items.map((task) => task.id));
    cursor = page.body.next_cursor;
  } while (cursor !== null);
  return ids;
}

/** A new list of the user's (the lists API is another operation's: written directly). */
async function newList(suite: ApiSuite, user: TestUser, name: string): Promise<number> {
  await user.call('GET', '/tasks'); // the user exists once they have called
  const [row] = await suite
    .database()
    .knex('lists')
    .insert({ user_id: user.id, name })
    .returning<{ id: number }[]>('id');
  return Number(row!.id);
}

async function createTasks(user: TestUser, count: number, fields: Record<string, unknown> = {}): Promise<Task[]> {
  const created: Task[] = [];
  for (let i = 0; i < count; i++) created.push(await user.createTask({ title: `Task ${i}`, ...fields }));
  return created;
}

/** A chain of `levels` tasks, each under the one before: [top, ..., deepest]. */
async function chain(user: TestUser, levels: number, fields: Record<string, unknown> = {}): Promise<Task[]> {
  const tasks = [await user.createTask({ title: 'Level 1', ...fields })];
  while (tasks.length < levels)
    tasks.push(await user.createTask({ title: `Level ${tasks.length + 1}`, parent_id: tasks.at(-1)!.id }));
  return tasks;
}

describeEachDatabase('task moves: manual order', (suite) => {
  it('moves a task after, before, and to the end of its group; sort=position follows', async () => {
    const alice = suite.newUser();
    const [a, b, c, d] = await createTasks(alice, 4);
    const listFilter = `list_id=${a!.list_id}`;
    expect(await order(alice, listFilter)).to.deep.equal([a!.id, b!.id, c!.id, d!.id]);

    const afterA = moved(await move(alice, d!.id, { after_id: a!.id }));
    expect(afterA.position > a!.position && afterA.position < b!.position).to.equal(true);
    expect(afterA.updated_at >= d!.updated_at).to.equal(true);
    expect(await order(alice, listFilter)).to.deep.equal([a!.id, d!.id, b!.id, c!.id]);

    moved(await move(alice, c!.id, { before_id: a!.id }));
    expect(await order(alice, listFilter)).to.deep.equal([c!.id, a!.id, d!.id, b!.id]);

    moved(await move(alice, c!.id, {}));
    expect(await order(alice, listFilter)).to.deep.equal([a!.id, d!.id, b!.id, c!.id]);
  });

  it('never gives a moved task a key a change number names (a create in flight may hold it)', async () => {
    const alice = suite.newUser();
    const errands = await newList(suite, alice, 'Errands');
    const [first] = await createTasks(alice, 1);
    // Another write between the two creates: the package's key between them is an integer key.
    await alice.createTask({ list_id: errands });
    const [second, mover] = await createTasks(alice, 2);
    const numbered = (key: string) => /^[a-z]/.test(key) && key.length === key.charCodeAt(0) - 'a'.charCodeAt(0) + 2;
    expect([first!, second!, mover!].every((task) => numbered(task.position))).to.equal(true);
    const between = moved(await move(alice, mover!.id, { after_id: first!.id }));
    expect(between.position > first!.position && between.position < second!.position).to.equal(true);
    expect(numbered(between.position), between.position).to.equal(false);
    const before = moved(await move(alice, second!.id, { before_id: first!.id }));
    expect(numbered(before.position), before.position).to.equal(false);
    // To the end: the key of the move's own change number, after every key of the group.
    const last = moved(await move(alice, second!.id, {}));
    expect(numbered(last.position) && last.position > mover!.position).to.equal(true);
  });

  it('writes nothing when the task is already where the move puts it, and answers the same', async () => {
    const alice = suite.newUser();
    const [a, b] = await createTasks(alice, 2);
    const current = await alice.call<Task>('GET', `/tasks/${b!.id}`);
    for (const body of [{}, { after_id: a!.id }, { list_id: a!.list_id }, { parent_id: null }]) {
      const response = await move(alice, b!.id, body, { 'If-Match': current.headers.get('etag')! });
      expect(moved(response)).to.deep.equal(b);
      expect(response.headers.get('etag')).to.equal(current.headers.get('etag'));
    }
    // One row written per move: the task moved, not its neighbours.
    const stampOf = (id: number) =>
      suite.database().knex('tasks').where('id', id).first<{ change_seq: string }>('change_seq');
    const stamp = await stampOf(b!.id);
    moved(await move(alice, a!.id, { after_id: b!.id }));
    expect(await stampOf(b!.id)).to.deep.equal(stamp);
  });

  it('moves a task under another, in order among its subtasks, and back to the top level', async () => {
    const alice = suite.newUser();
    const [parent, first, second, loose] = await createTasks(alice, 4);
    moved(await move(alice, first!.id, { parent_id: parent!.id }));
    moved(await move(alice, second!.id, { parent_id: parent!.id }));
    const placed = moved(await move(alice, loose!.id, { parent_id: parent!.id, before_id: second!.id }));
    expect(placed).to.include({ parent_id: parent!.id, list_id: parent!.list_id });
    expect(await order(alice, `parent_id=${parent!.id}`, 2)).to.deep.equal([first!.id, loose!.id, second!.id]);
    expect(await order(alice, `list_id=${parent!.list_id}`)).to.deep.equal([parent!.id]);

    // A neighbour alone names its group: back to the top level, right after the parent.
    const top = moved(await move(alice, loose!.id, { after_id: parent!.id }));
    expect(top.parent_id).to.equal(null);
    expect(await order(alice, `list_id=${parent!.list_id}`)).to.deep.equal([parent!.id, loose!.id]);
    const last = moved(await move(alice, first!.id, { parent_id: null }));
    expect(last.parent_id).to.equal(null);
    expect(await order(alice, `list_id=${parent!.list_id}`)).to.deep.equal([parent!.id, loose!.id, first!.id]);
  });

  it('moves a task with its subtree to another list, under a parent there or at its top level', async () => {
    const alice = suite.newUser();
    const errands = await newList(suite, alice, 'Errands');
    const [top, child, grandchild] = await chain(alice, 3);
    const elsewhere = await alice.createTask({ title: 'There', list_id: errands });

    const under = moved(await move(alice, top!.id, { parent_id: elsewhere.id }));
    expect(under).to.include({ list_id: errands, parent_id: elsewhere.id });
    for (const task of [child!, grandchild!]) {
      const read = (await alice.call<Task>('GET', `/tasks/${task.id}`)).body;
      expect(read.list_id).to.equal(errands);
      expect(read.parent_id).to.equal(task.parent_id);
    }
    expect(await order(alice, `parent_id=${top!.id}`)).to.deep.equal([child!.id]);

    const back = moved(await move(alice, top!.id, { list_id: top!.list_id }));
    expect(back).to.include({ list_id: top!.list_id, parent_id: null });
    expect((await alice.call<Task>('GET', `/tasks/${grandchild!.id}`)).body.list_id).to.equal(top!.list_id);
    const counts = await suite
      .database()
      .knex('list_counts')
      .whereIn('list_id', [errands, top!.list_id])
      .groupBy('list_id')
      .select<{ list_id: string; tasks: string }[]>('list_id', suite.database().knex.raw('sum(tasks) as tasks'));
    expect(Object.fromEntries(counts.map((row) => [Number(row.list_id), Number(row.tasks)]))).to.deep.equal({
      [errands]: 1,
      [top!.list_id!]: 3,
    });
  });

  it('refuses a cycle and a tree deeper than four levels, counting the subtree (409, nothing moved)', async () => {
    const alice = suite.newUser();
    const [top, child, grandchild] = await chain(alice, 3);
    for (const parent of [top!, grandchild!]) {
      const problem = expectProblem(await move(alice, top!.id, { parent_id: parent.id }), 409);
      expect(problem.detail).to.match(/under itself or under one of its own subtasks/);
    }
    const [other, otherChild] = await chain(alice, 2);
    // other (2 levels) under grandchild (level 3) would reach level 5.
    const tooDeep = expectProblem(await move(alice, other!.id, { parent_id: grandchild!.id }), 409);
    expect(tooDeep.detail).to.match(
      /at most 4 levels deep; under task \d+ this one \(with its subtasks\) would reach level 5/,
    );
    moved(await move(alice, otherChild!.id, { parent_id: grandchild!.id }));
    expect((await alice.call<Task>('GET', `/tasks/${other!.id}`)).body).to.deep.equal(other);
    expect((await alice.call<Task>('GET', `/tasks/${child!.id}`)).body.parent_id).to.equal(top!.id);
  });

  it('refuses a neighbour outside the destination group, or the task itself (409)', async () => {
    const alice = suite.newUser();
    const [parent, child] = await chain(alice, 2);
    const [loose] = await createTasks(alice, 1);
    const notThere = expectProblem(await move(alice, loose!.id, { parent_id: parent!.id, after_id: loose!.id }), 409);
    expect(notThere.detail).to.equal(`Task ${loose!.id} cannot be placed next to itself.`);
    const elsewhere = expectProblem(
      await move(alice, loose!.id, { list_id: parent!.list_id, before_id: child!.id }),
      409,
    );
    expect(elsewhere.detail).to.equal(
      `Task ${child!.id} is not a task of the destination group (its list and parent, outside the trash).`,
    );
    expect(elsewhere.errors).to.deep.equal([
      { location: 'body', pointer: '/before_id', message: 'is not a task of the destination group' },
    ]);
    expectProblem(await move(alice, loose!.id, { after_id: loose!.id }), 409);
    expectProblem(await move(alice, loose!.id, { after_id: 9_007_199_254_740_991 }), 409);
    expect(await alice.call('DELETE', `/tasks/${parent!.id}`)).to.have.property('status', 204);
    expectProblem(await move(alice, loose!.id, { before_id: parent!.id }), 409);
    expectProblem(await move(alice, loose!.id, { parent_id: parent!.id }), 409);
    // A task in the trash is not there to move.
    expectProblem(await move(alice, child!.id, {}), 404);
  });

  it("keeps users apart: another user's task is a 404, their list, parent or neighbour a 409", async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    const [mine] = await createTasks(alice, 1);
    const [theirs] = await createTasks(bob, 1);
    const theirList = await newList(suite, bob, 'Private');
    const notFound = expectProblem(await move(bob, mine!.id, {}), 404);
    expect(notFound.detail).to.equal(`Task ${mine!.id} was not found.`);
    const list = expectProblem(await move(alice, mine!.id, { list_id: theirList }), 409);
    expect(list.detail).to.equal(`List ${theirList} is not one of your lists.`);
    const parent = expectProblem(await move(alice, mine!.id, { parent_id: theirs!.id }), 409);
    expect(parent.errors?.[0]?.pointer).to.equal('/parent_id');
    expectProblem(await move(alice, mine!.id, { after_id: theirs!.id }), 409);
    expectProblem(await move(alice, mine!.id, { list_id: mine!.list_id, before_id: theirs!.id }), 409);
    expect((await bob.call<Task>('GET', `/tasks/${theirs!.id}`)).body).to.deep.equal(theirs);
  });

  it('refuses a parent in another list than list_id, and after_id with before_id (400)', async () => {
    const alice = suite.newUser();
    const errands = await newList(suite, alice, 'Errands');
    const [parent, loose] = await createTasks(alice, 2);
    const problem = expectProblem(await move(alice, loose!.id, { parent_id: parent!.id, list_id: errands }), 409);
    expect(problem.detail).to.equal(`Task ${parent!.id} is in another list: a subtask is always in its parent's list.`);
    expectProblem(await move(alice, loose!.id, { after_id: parent!.id, before_id: parent!.id }), 400);
  });

  it('holds the move to If-Match on the task (412, and 428 on a server that requires it)', async () => {
    const alice = suite.newUser();
    const [a, b] = await createTasks(alice, 2);
    const read = await alice.call<Task>('GET', `/tasks/${b!.id}`);
    await alice.call('PATCH', `/tasks/${b!.id}`, {
      json: { title: 'Changed' },
      contentType: 'application/merge-patch+json',
    });
    const stale = await move(alice, b!.id, { before_id: a!.id }, { 'If-Match': read.headers.get('etag')! });
    expectProblem(stale, 412);
    const current = await alice.call<Task>('GET', `/tasks/${b!.id}`);
    const response = await move(alice, b!.id, { before_id: a!.id }, { 'If-Match': current.headers.get('etag')! });
    const task = moved(response);
    expect(response.headers.get('etag')).to.not.equal(current.headers.get('etag'));
    expect((await alice.call('GET', `/tasks/${b!.id}`)).headers.get('etag')).to.equal(response.headers.get('etag'));
    expect(task.position < a!.position).to.equal(true);
  });

  it('requires If-Match on a server that says so (428)', async () => {
    const strict = await startTestServer(suite.database().knex, { http: { requireIfMatch: true } });
    try {
      const alice = suite.newUser();
      const [task] = await createTasks(alice, 1);
      const strictAlice = new TestUser(strict.baseUrl, alice.id);
      expectProblem(await move(strictAlice, task!.id, {}), 428);
    } finally {
      await strict.close();
    }
  });

  it('serializes concurrent moves into one gap: every one answered, every key distinct, all in the gap', async () => {
    const alice = suite.newUser();
    const [anchor, next] = await createTasks(alice, 2);
    const movers = await createTasks(alice, 12);
    const answers = await Promise.all(movers.map((task) => move(alice, task.id, { after_id: anchor!.id })));
    const positions = answers.map((answer) => moved(answer).position);
    const listed = (await alice.call<TaskList>('GET', `/tasks?list_id=${anchor!.list_id}&sort=position&limit=100`)).body
      .items;
    expect(new Set(listed.map((task) => task.position)).size).to.equal(listed.length);
    expect(listed[0]!.id).to.equal(anchor!.id);
    expect(listed.at(-1)!.id).to.equal(next!.id);
    expect(listed.slice(1, -1).map((task) => task.id)).to.have.members(movers.map((task) => task.id));
    // No rebalance at this size: each answer's key is the one the task keeps.
    const kept = new Map(listed.map((task) => [task.id, task.position]));
    movers.forEach((task, index) => expect(kept.get(task.id)).to.equal(positions[index]));
  });

  it('orders concurrent moves to the end and creates at the end of one group, every key distinct', async () => {
    const alice = suite.newUser();
    const [parent] = await createTasks(alice, 1);
    const movers = await createTasks(alice, 8, { parent_id: parent!.id });
    const answers = await Promise.all([
      ...movers.map((task) => move(alice, task.id, {})),
      ...movers.map((_, i) =>
        alice.call<Task>('POST', '/tasks', { json: { title: `New ${i}`, parent_id: parent!.id } }),
      ),
    ]);
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).to.be.oneOf([200, 201]);
    const listed = (await alice.call<TaskList>('GET', `/tasks?parent_id=${parent!.id}&sort=position&limit=100`)).body
      .items;
    expect(listed).to.have.length(16);
    expect(new Set(listed.map((task) => task.position)).size).to.equal(16);
  });

  it('keeps keys short however often the same gap is used, rebalancing the group in order', async function () {
    this.timeout(120_000);
    const alice = suite.newUser();
    const group = await createTasks(alice, 6);
    const ids = group.map((task) => task.id);
    const model = [...ids];
    let [left, right] = [ids[0]!, ids[1]!];
    let turn = 0;
    const nextMover = (): number => {
      for (;;) {
        const id = ids[turn++ % ids.length]!;
        if (id !== left && id !== right) return id;
      }
    };
    let longest = 0;
    let rebalanced = false;
    // Each move halves the gap between the last two moved (about six moves a character): past
    // MAX_KEY_LENGTH within 300 moves.
    for (let i = 0; i < 300; i++) {
      const mover = nextMover();
      const task = moved(await move(alice, mover, { after_id: left }));
      model.splice(model.indexOf(mover), 1);
      model.splice(model.indexOf(left) + 1, 0, mover);
      expect(task.position.length).to.be.at.most(MAX_KEY_LENGTH);
      rebalanced ||= task.position.length < longest;
      longest = Math.max(longest, task.position.length);
      if (i % 2 === 0) left = mover;
      else right = mover;
    }
    expect(rebalanced, 'a rebalance').to.equal(true);
    const listed = (await alice.call<TaskList>('GET', `/tasks?list_id=${group[0]!.list_id}&sort=position&limit=100`))
      .body.items;
    expect(listed.map((task) => task.id)).to.deep.equal(model);
    for (const task of listed) expect(task.position.length).to.be.at.most(MAX_KEY_LENGTH);
  });
});

describeEachDatabase('task moves: caps', (suite) => {
  let server: TestServer | undefined;
  before(async () => {
    server = await startTestServer(suite.database().knex, { quotas: { tasksPerList: 4, subtasksPerParent: 2 } });
  });
  after(async () => server?.close());

  it('refuses a move into a full list or under a full parent (409 quota_exceeded, nothing moved)', async () => {
    const alice = suite.newUser();
    const local = new TestUser(server!.baseUrl, alice.id);
    const errands = await newList(suite, local, 'Errands');
    const [parent, first, second, third] = await createTasks(local, 4);
    moved(await move(local, first!.id, { parent_id: parent!.id }));
    moved(await move(local, second!.id, { parent_id: parent!.id }));
    const full = expectProblem(await move(local, third!.id, { parent_id: parent!.id }), 409);
    expect(full.quota).to.deep.equal({ name: 'subtasks_per_parent', limit: 2, used: 2 });

    // The subtree counts against the list it moves to: three tasks into a list holding two. (The
    // task is written first, then its subtasks: when they are refused, the list holds three.)
    await createTasks(local, 2, { list_id: errands });
    const listFull = expectProblem(await move(local, parent!.id, { list_id: errands }), 409);
    expect(listFull.quota).to.deep.equal({ name: 'tasks_per_list', limit: 4, used: 3 });
    expect((await local.call<Task>('GET', `/tasks/${parent!.id}`)).body.list_id).to.equal(parent!.list_id);
    expect((await local.call<Task>('GET', `/tasks/${third!.id}`)).body).to.deep.equal(third);
    expect((await local.call<Task>('GET', `/tasks/${first!.id}`)).body.list_id).to.equal(parent!.list_id);
  });
});
