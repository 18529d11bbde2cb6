import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { expectProblem, TestUser, type Task } from '../helpers/api-client.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type TaskList = components['schemas']['TaskList'];
type BulkResult = components['schemas']['BulkResult'];

/** A chain of `levels` tasks, each under the one before; the top one first. */
async function chain(user: TestUser, levels: number): Promise<Task[]> {
  const tasks = [await user.createTask({ title: 'Level 1' })];
  for (let level = 2; level <= levels; level++)
    tasks.push(await user.createTask({ title: `Level ${level}`, parent_id: tasks.at(-1)!.id }));
  return tasks;
}

/** A second list of the user's, made as the lists service makes one (this file is about tasks). */
async function otherList(suite: ApiSuite, user: TestUser): Promise<number> {
  await user.call('GET', '/tasks'); // the user exists once a request has been made
  const [row] = await suite
    .database()
    .knex('lists')
    .insert({ user_id: user.id, name: 'Errands' })
    .returning<{ id: number }[]>('id');
  return row!.id;
}

const ids = (page: TaskList) => page.items.map((task) => task.id);

describeEachDatabase('tasks in lists and trees', (suite) => {
  it('puts a task without a list in the default list, after the tasks before it', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({ title: 'First' });
    const second = await alice.createTask({ title: 'Second' });
    expect(second.list_id).to.equal(first.list_id).and.to.be.a('number');
    expect(first.parent_id).to.equal(null);
    expect(second.position > first.position, `${second.position} after ${first.position}`).to.equal(true);
    const { rows } = await suite
      .database()
      .knex.raw<{ rows: { name: string; is_default: boolean }[] }>(
        'select name, is_default from lists where user_id = ?',
        [alice.id],
      );
    expect(rows).to.deep.equal([{ name: 'Inbox', is_default: true }]);
  });

  it('creates a subtask in its parent list, and lists a parent’s subtasks, a list’s top level, or everything', async () => {
    const alice = suite.newUser();
    const parent = await alice.createTask({ title: 'Trip' });
    const a = await alice.createTask({ title: 'Passport', parent_id: parent.id });
    const b = await alice.createTask({ title: 'Tickets', parent_id: parent.id });
    const other = await alice.createTask({ title: 'Unrelated' });
    expect(a).to.include({ parent_id: parent.id, list_id: parent.list_id });

    const subtasks = await alice.call<TaskList>('GET', `/tasks?parent_id=${parent.id}&sort=position`);
    expect(ids(subtasks.body)).to.deep.equal([a.id, b.id]);
    const topLevel = await alice.call<TaskList>('GET', `/tasks?list_id=${parent.list_id}&sort=position`);
    expect(ids(topLevel.body)).to.deep.equal([parent.id, other.id]);
    const everything = await alice.call<TaskList>('GET', '/tasks?sort=created_at&order=asc');
    expect(ids(everything.body)).to.deep.equal([parent.id, a.id, b.id, other.id]);
  });

  it('pages through a list in manual order with a cursor', async () => {
    const alice = suite.newUser();
    const made: number[] = [];
    for (let i = 0; i < 5; i++) made.push((await alice.createTask({ title: `T${i}` })).id);
    const listId = (await alice.call<Task>('GET', `/tasks/${made[0]!}`)).body.list_id!;
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/tasks?list_id=${listId}&sort=position&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await alice.call<TaskList>('GET', query);
      expect(page.status).to.equal(200);
      seen.push(...ids(page.body));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).to.deep.equal(made);
    const descending = await alice.call<TaskList>('GET', `/tasks?list_id=${listId}&sort=position&order=desc`);
    expect(ids(descending.body)).to.deep.equal([...made].reverse());
  });

  it('refuses sort=position without a list or a parent, and a list or parent the user does not have', async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    const bobs = await bob.createTask();
    const problem = expectProblem(await alice.call('GET', '/tasks?sort=position'), 400);
    expect(problem.errors).to.deep.equal([
      { location: 'query', pointer: '/sort', message: 'position needs list_id or parent_id' },
    ]);
    expect(expectProblem(await alice.call('GET', `/tasks?list_id=${bobs.list_id}`), 404).detail).to.equal(
      `List ${bobs.list_id} was not found.`,
    );
    expectProblem(await alice.call('GET', `/tasks?parent_id=${bobs.id}`), 404);
  });

  it('nests at most 4 levels, and says so', async () => {
    const alice = suite.newUser();
    const tasks = await chain(alice, 4);
    const problem = expectProblem(
      await alice.call('POST', '/tasks', { json: { title: 'Level 5', parent_id: tasks[3]!.id } }),
      409,
    );
    expect(problem.detail).to.equal(
      `Tasks nest at most 4 levels deep; under task ${tasks[3]!.id} this one (with its subtasks) would reach level 5.`,
    );
    const listed = await alice.call<TaskList>('GET', '/tasks');
    expect(listed.body.items).to.have.length(4);
  });

  it('refuses a parent or a list of another user, or in the trash, at the field that names it', async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    const bobs = await bob.createTask();
    const parentProblem = expectProblem(
      await alice.call('POST', '/tasks', { json: { title: 'x', parent_id: bobs.id } }),
      409,
    );
    expect(parentProblem.errors).to.deep.equal([
      { location: 'body', pointer: '/parent_id', message: 'is not the id of one of your tasks' },
    ]);
    const listProblem = expectProblem(
      await alice.call('POST', '/tasks', { json: { title: 'x', list_id: bobs.list_id } }),
      409,
    );
    expect(listProblem.errors).to.deep.equal([
      { location: 'body', pointer: '/list_id', message: 'is not the id of one of your lists' },
    ]);
    const trashed = await alice.createTask();
    expect((await alice.call('DELETE', `/tasks/${trashed.id}`)).status).to.equal(204);
    expectProblem(await alice.call('POST', '/tasks', { json: { title: 'x', parent_id: trashed.id } }), 409);
    expect((await bob.call<TaskList>('GET', '/tasks')).body.items).to.have.length(1);
  });

  it('refuses a parent in another list than the one named', async () => {
    const alice = suite.newUser();
    const parent = await alice.createTask();
    const errands = await otherList(suite, alice);
    const problem = expectProblem(
      await alice.call('POST', '/tasks', { json: { title: 'x', parent_id: parent.id, list_id: errands } }),
      409,
    );
    expect(problem.detail).to.equal(`Task ${parent.id} is in another list: a subtask is always in its parent's list.`);
    const inErrands = await alice.createTask({ title: 'Milk', list_id: errands });
    expect(inErrands.list_id).to.equal(errands);
  });

  it('deleting a parent takes its subtasks to the trash with it', async () => {
    const alice = suite.newUser();
    const [top, middle, bottom] = await chain(alice, 3);
    expect((await alice.call('DELETE', `/tasks/${middle!.id}`)).status).to.equal(204);
    expectProblem(await alice.call('GET', `/tasks/${middle!.id}`), 404);
    expectProblem(await alice.call('GET', `/tasks/${bottom!.id}`), 404);
    expect(ids((await alice.call<TaskList>('GET', '/tasks')).body)).to.deep.equal([top!.id]);
    const { rows } = await suite
      .database()
      .knex.raw<{ rows: { id: number; trash_root: number }[] }>(
        'select id, trash_root from tasks where user_id = ? and deleted_at is not null order by id',
        [alice.id],
      );
    expect(rows.map((row) => [row.id, row.trash_root].map(Number))).to.deep.equal([
      [middle!.id, middle!.id],
      [bottom!.id, middle!.id],
    ]);
  });

  it('clear-completed takes a completed task with its subtasks; a completed subtask of an open task goes alone', async () => {
    const alice = suite.newUser();
    const done = await alice.createTask({ title: 'Done', completed: true });
    const openUnderDone = await alice.createTask({ title: 'Open under done', parent_id: done.id });
    const open = await alice.createTask({ title: 'Open' });
    const doneUnderOpen = await alice.createTask({ title: 'Done under open', parent_id: open.id, completed: true });
    const cleared = await alice.call('POST', '/tasks/clear-completed');
    expect(cleared.body).to.deep.equal({ deleted: 2 });
    expect(ids((await alice.call<TaskList>('GET', '/tasks')).body)).to.deep.equal([open.id]);
    const { rows } = await suite
      .database()
      .knex.raw<{ rows: { id: number; trash_root: number }[] }>(
        'select id, trash_root from tasks where user_id = ? and deleted_at is not null order by id',
        [alice.id],
      );
    expect(rows.map((row) => [row.id, row.trash_root].map(Number))).to.deep.equal([
      [done.id, done.id],
      [openUnderDone.id, done.id],
      [doneUnderOpen.id, doneUnderOpen.id],
    ]);
  });

  it('a bulk create under a parent the user does not have fails alone, at its field', async () => {
    const alice = suite.newUser();
    const bobs = await suite.newUser().createTask();
    const response = await alice.call<BulkResult>('POST', '/tasks/bulk', {
      json: {
        actions: [
          { op: 'create', task: { title: 'Orphan', parent_id: bobs.id } },
          { op: 'create', task: { title: 'Fine' } },
        ],
      },
    });
    expect(response.status).to.equal(207);
    const [orphan, fine] = response.body.results;
    expect(orphan).to.include({ status: 409 });
    expect(orphan!.problem!.errors).to.deep.equal([
      { location: 'body', pointer: '/actions/0/task/parent_id', message: 'is not the id of one of your tasks' },
    ]);
    expect(fine).to.include({ status: 201 });
  });

  describe('caps', () => {
    let server: TestServer | undefined;
    before(async () => {
      server = await startTestServer(suite.database().knex, { quotas: { tasksPerList: 4, subtasksPerParent: 2 } });
    });
    after(async () => server?.close());

    it('holds a parent to its subtasks and a list to its tasks, naming the cap', async () => {
      const alice = new TestUser(server!.baseUrl);
      const parent = await alice.createTask();
      await alice.createTask({ parent_id: parent.id });
      await alice.createTask({ parent_id: parent.id });
      const subtasks = expectProblem(
        await alice.call('POST', '/tasks', { json: { title: 'x', parent_id: parent.id } }),
        409,
      );
      expect(subtasks.quota).to.deep.equal({ name: 'subtasks_per_parent', limit: 2, used: 2 });
      await alice.createTask({ title: 'The fourth' });
      const list = expectProblem(await alice.call('POST', '/tasks', { json: { title: 'x' } }), 409);
      expect(list.quota).to.deep.equal({ name: 'tasks_per_list', limit: 4, used: 4 });
      expect(list.detail).to.equal(
        'This request would exceed the tasks_per_list quota of 4 (4 in use); nothing was written.',
      );
      // A task in the trash leaves its list: there is room again.
      const [, first] = (await alice.call<TaskList>('GET', `/tasks?parent_id=${parent.id}`)).body.items;
      expect((await alice.call('DELETE', `/tasks/${first!.id}`)).status).to.equal(204);
      expect((await alice.call('POST', '/tasks', { json: { title: 'Room again' } })).status).to.equal(201);
    });
  });
});
