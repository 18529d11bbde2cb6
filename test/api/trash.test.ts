import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { purgeExpiredTrash } from '../../src/trash/trash-purge.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type ApiResponse, type Task } from '../helpers/api-client.js';
import { auditTrail, storedTasks } from '../helpers/task-state.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

// Issue 16: the trash. A delete moves a task and its subtasks there as one item; the item comes
// back (restoreTask) into its list, under its parent or at the top level, at its place or last; or
// is deleted for good (purgeTask, emptyTrash, or by itself after TRASH_RETENTION_DAYS).

type TrashPage = components['schemas']['TrashPage'];
type TrashItem = components['schemas']['TrashItem'];

const DAY_MS = 24 * 60 * 60 * 1000;

const trashPath = (user: TestUser, rest = '') => `/api/${encodeURIComponent(user.id)}/trash${rest}`;
const listTrash = (user: TestUser, query = '') => user.call<TrashPage>('GET', `${trashPath(user)}${query}`);
const restore = (user: TestUser, id: number) => user.call<Task>('POST', `/tasks/${id}/restore`);
const purge = (user: TestUser, id: number) => user.call('DELETE', trashPath(user, `/${id}`));
const emptyTrash = (user: TestUser) => user.call<{ deleted: number }>('POST', trashPath(user, '/empty'));
const remove = async (user: TestUser, id: number) =>
  expect((await user.call('DELETE', `/tasks/${id}`)).status).to.equal(204);

/** The trash's items, every page read (small pages, to read several). */
async function trashItems(user: TestUser): Promise<TrashItem[]> {
  const items: TrashItem[] = [];
  let cursor: string | null = null;
  do {
    const response: ApiResponse<TrashPage> = await listTrash(user, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.status).to.equal(200);
    items.push(...response.body.items);
    cursor = response.body.next_cursor;
  } while (cursor !== null);
  return items;
}

/** A list of the user's besides the default one, made past the API (the lists operations are another change's). */
async function newList(suite: ApiSuite, user: TestUser, name: string): Promise<number> {
  const [row] = await suite
    .database()
    .knex('lists')
    .insert({ user_id: user.id, name })
    .returning<{ id: number }[]>('id');
  return row!.id;
}

/** A chain of tasks, each under the one before: the first at the top level. */
async function chain(user: TestUser, length: number, fields: Record<string, unknown> = {}): Promise<Task[]> {
  const tasks: Task[] = [];
  for (let i = 0; i < length; i++)
    tasks.push(await user.createTask({ title: `Level ${i + 1}`, ...fields, parent_id: tasks.at(-1)?.id }));
  return tasks;
}

const bulk = (user: TestUser, body: unknown) =>
  user.call<components['schemas']['BulkResult']>('POST', '/tasks/bulk', { json: body });
const get = (user: TestUser, id: number) => user.call<Task>('GET', `/tasks/${id}`);

describeEachDatabase('trash: listing', (suite) => {
  it('lists a deleted task as one item with its subtasks counted, its purge date 30 days on', async () => {
    const alice = suite.newUser();
    const [top, middle, bottom] = await chain(alice, 3);
    const sibling = await alice.createTask({ title: 'Sibling', parent_id: top!.id });
    const live = await alice.createTask({ title: 'Stays' });

    await remove(alice, top!.id);

    const items = await trashItems(alice);
    expect(items.map((item) => item.task)).to.deep.equal([top]);
    const [item] = items;
    expect(item!.subtask_count).to.equal(3);
    expect(Date.parse(item!.purge_at) - Date.parse(item!.deleted_at)).to.equal(30 * DAY_MS);
    for (const task of [top, middle, bottom, sibling]) expectProblem(await get(alice, task!.id), 404);
    expect((await get(alice, live.id)).status).to.equal(200);
  });

  it('lists a subtask deleted alone as its own item, and the parent deleted after as another', async () => {
    const alice = suite.newUser();
    const [parent, child] = await chain(alice, 2);
    await remove(alice, child!.id);
    await remove(alice, parent!.id);

    const items = await trashItems(alice);
    expect(items.map((item) => [item.task.id, item.subtask_count])).to.deep.equal([
      [parent!.id, 0],
      [child!.id, 0],
    ]);
  });

  it('pages newest deletion first, ties by id, each item once, with an opaque cursor', async () => {
    const alice = suite.newUser();
    const tasks: Task[] = [];
    for (let i = 0; i < 5; i++) tasks.push(await alice.createTask({ title: `Task ${i}` }));
    for (const task of tasks) await remove(alice, task.id);
    // Three deleted at the same instant: the id decides among them.
    const db = suite.database().knex;
    const instant = new Date('2026-12-01T10:00:00.000Z');
    await db('tasks').whereIn('id', [tasks[0]!.id, tasks[2]!.id, tasks[4]!.id]).update({ deleted_at: instant });

    const items = await trashItems(alice);

    expect(items.map((item) => item.task.id)).to.deep.equal(
      [tasks[3], tasks[1], tasks[4], tasks[2], tasks[0]].map((task) => task!.id),
    );
    expect(items[2]!.deleted_at).to.equal(instant.toISOString());
    const firstPage = await listTrash(alice, '?limit=5');
    expect(firstPage.body.next_cursor).to.equal(null);
    expect(firstPage.body.items).to.deep.equal(items);
  });

  it('is empty for a user who deleted nothing', async () => {
    const bob = suite.newUser();
    await bob.createTask();
    expect((await listTrash(bob)).body).to.deep.equal({ items: [], next_cursor: null });
  });

  for (const [name, cursor] of [
    ['not base64url JSON', 'bm90IGpzb24'],
    ['a task list cursor', Buffer.from(JSON.stringify({ v: 2, s: 'created_at', i: 1 })).toString('base64url')],
    [
      'a cursor with an impossible instant',
      Buffer.from(JSON.stringify({ v: 1, d: '2026-02-30T00:00:00.000Z', i: 1 })).toString('base64url'),
    ],
    [
      'a cursor with a fractional id',
      Buffer.from(JSON.stringify({ v: 1, d: new Date(0).toISOString(), i: 1.5 })).toString('base64url'),
    ],
  ]) {
    it(`answers 400 at /cursor for ${name}`, async () => {
      const problem = expectProblem(await listTrash(suite.newUser(), `?cursor=${cursor}`), 400);
      expect(problem.errors?.map((issue) => issue.pointer)).to.deep.equal(['/cursor']);
    });
  }

  it("shows only the caller's trash, and answers 403 on another user's path", async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    await remove(bob, (await bob.createTask()).id);
    expect((await listTrash(alice)).body.items).to.deep.equal([]);
    expectProblem(await alice.call('GET', trashPath(bob)), 403);
  });
});

describeEachDatabase('trash: restoring', (suite) => {
  it('brings an item back with its subtasks, exactly where and as they were, with its ETag', async () => {
    const alice = suite.newUser();
    const before = await alice.createTask({ title: 'Before' });
    const [top, middle, bottom] = await chain(alice, 3, { tags: ['home'] });
    const after = await alice.createTask({ title: 'After' });
    await remove(alice, top!.id);

    const response = await restore(alice, top!.id);

    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal(top);
    const current = await get(alice, top!.id);
    expect(response.headers.get('etag')).to.equal(current.headers.get('etag'));
    expect((await get(alice, middle!.id)).body).to.deep.equal(middle);
    expect((await get(alice, bottom!.id)).body).to.deep.equal(bottom);
    expect(top!.position > before.position && top!.position < after.position).to.equal(true);
    expect((await listTrash(alice)).body.items).to.deep.equal([]);
    expect(auditTrail(suite, alice)).to.include(`task.restore ${top!.id}`);
  });

  it('brings an item whose list was deleted back into the default list', async () => {
    const alice = suite.newUser();
    const inbox = (await alice.createTask({ title: 'In the default list' })).list_id;
    const listId = await newList(suite, alice, 'Errands');
    const [top, child] = await chain(alice, 2, { list_id: listId });
    expect(top!.list_id).to.equal(listId);
    // The list's deletion trashes its tasks, each top-level one an item with its subtasks.
    const deleted = await alice.call('DELETE', `/api/${encodeURIComponent(alice.id)}/lists/${listId}`);
    expect(deleted.status).to.equal(204);
    expect((await trashItems(alice)).map((item) => [item.task.id, item.subtask_count])).to.deep.equal([[top!.id, 1]]);

    const restored = await restore(alice, top!.id);

    expect(restored.status).to.equal(200);
    expect(restored.body).to.include({ list_id: inbox, parent_id: null });
    expect((await get(alice, child!.id)).body).to.include({ list_id: inbox, parent_id: top!.id });
  });

  it('brings a subtask deleted alone back under its parent, at its place', async () => {
    const alice = suite.newUser();
    const [parent, child] = await chain(alice, 2);
    const sibling = await alice.createTask({ parent_id: parent!.id });
    await remove(alice, child!.id);

    const restored = await restore(alice, child!.id);

    expect(restored.body).to.deep.equal(child);
    expect(child!.position < sibling.position).to.equal(true);
  });

  it('brings a subtask back at the top level when its parent is in the trash', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({ title: 'First' });
    const [parent, child] = await chain(alice, 2);
    await remove(alice, child!.id);
    await remove(alice, parent!.id);

    const restored = await restore(alice, child!.id);

    expect(restored.status).to.equal(200);
    expect(restored.body).to.include({ parent_id: null, list_id: parent!.list_id });
    // Its key is free at the top level (a key is never given twice but by a move): kept.
    expect(restored.body.position).to.equal(child!.position);
    expect(restored.body.position > first.position).to.equal(true);
    // The parent, restored after, has no subtask any more.
    expect((await restore(alice, parent!.id)).status).to.equal(200);
    const subtasks = await alice.call<{ items: Task[] }>('GET', `/tasks?parent_id=${parent!.id}`);
    expect(subtasks.body.items).to.deep.equal([]);
  });

  it('brings a subtask back at the top level when its parent was purged since', async () => {
    const alice = suite.newUser();
    const [parent, child] = await chain(alice, 2);
    await remove(alice, child!.id);
    await remove(alice, parent!.id);
    expect((await purge(alice, parent!.id)).status).to.equal(204);

    const restored = await restore(alice, child!.id);

    expect(restored.status).to.equal(200);
    expect(restored.body).to.include({ parent_id: null, list_id: parent!.list_id });
  });

  it('brings a subtask back at the top level when its parent moved to another list', async () => {
    const alice = suite.newUser();
    const [parent, child] = await chain(alice, 2);
    await remove(alice, child!.id);
    const elsewhere = await newList(suite, alice, 'Elsewhere');
    await suite.database().knex('tasks').where({ user_id: alice.id, id: parent!.id }).update({ list_id: elsewhere });

    const restored = await restore(alice, child!.id);

    expect(restored.body).to.include({ parent_id: null, list_id: child!.list_id });
  });

  it('brings an item back at the top level when under its parent it would nest deeper than 4 levels', async () => {
    const alice = suite.newUser();
    const [, second, third, fourth] = await chain(alice, 4);
    await remove(alice, third!.id);
    // Its parent moves one level down meanwhile (as a move would).
    const [, under] = await chain(alice, 2);
    await suite.database().knex('tasks').where({ user_id: alice.id, id: second!.id }).update({ parent_id: under!.id });

    const restored = await restore(alice, third!.id);

    expect(restored.status).to.equal(200);
    expect(restored.body.parent_id).to.equal(null);
    expect((await get(alice, fourth!.id)).body.parent_id).to.equal(third!.id);
  });

  it('puts the item last when a move took its place meanwhile', async () => {
    const alice = suite.newUser();
    const tasks: Task[] = [];
    for (const title of ['One', 'Two', 'Three', 'Four']) tasks.push(await alice.createTask({ title }));
    const [one, , three, four] = tasks;
    // Moved between One and Two, then deleted: its key is the one between theirs.
    const moved = await alice.call<Task>('POST', `/tasks/${three!.id}/move`, { json: { after_id: one!.id } });
    expect(moved.status).to.equal(200);
    await remove(alice, three!.id);
    // Another task moved to the same gap gets the same key.
    const taking = await alice.call<Task>('POST', `/tasks/${four!.id}/move`, { json: { after_id: one!.id } });
    expect(taking.body.position).to.equal(moved.body.position);

    const restored = await restore(alice, three!.id);

    expect(restored.status).to.equal(200);
    const listed = await alice.call<{ items: Task[] }>('GET', `/tasks?list_id=${one!.list_id}&sort=position&order=asc`);
    expect(listed.body.items.map((task) => task.id).at(-1)).to.equal(three!.id);
  });

  it('restores at its place while other tasks are created beside it, each place given once', async () => {
    const alice = suite.newUser();
    await alice.createTask({ title: 'One' });
    const two = await alice.createTask({ title: 'Two' });
    await remove(alice, two.id);

    const [restored, ...created] = await Promise.all([
      restore(alice, two.id),
      ...Array.from({ length: 5 }, (_, i) => alice.call<Task>('POST', '/tasks', { json: { title: `New ${i}` } })),
    ]);

    expect([restored, ...created].map((response) => response.status)).to.deep.equal([200, 201, 201, 201, 201, 201]);
    const positions = [restored, ...created].map((response) => response.body.position);
    expect(new Set(positions).size).to.equal(positions.length);
  });

  it('answers 409 for a task that went to the trash with another, naming that one; 409 for a live task; and restores nothing', async () => {
    const alice = suite.newUser();
    const [parent, child] = await chain(alice, 2);
    const live = await alice.createTask({ title: 'Live' });
    await remove(alice, parent!.id);
    const stored = await storedTasks(suite, alice);

    const withAnother = expectProblem(await restore(alice, child!.id), 409);
    expect(withAnother.detail).to.equal(
      `Task ${child!.id} went to the trash with task ${parent!.id}: restore or purge task ${parent!.id}, which brings it along.`,
    );
    expect(expectProblem(await restore(alice, live.id), 409).detail).to.equal(`Task ${live.id} is not in the trash.`);
    expect(await storedTasks(suite, alice)).to.deep.equal(stored);
  });

  it("answers 404 for a task that does not exist and for another user's, in the trash or not", async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    const trashed = await bob.createTask();
    const live = await bob.createTask();
    await remove(bob, trashed.id);
    const stored = await storedTasks(suite, bob);

    for (const id of [trashed.id, live.id, 2 ** 53 - 1]) expectProblem(await restore(alice, id), 404);
    expect(await storedTasks(suite, bob)).to.deep.equal(stored);
    expectProblem(await alice.call('POST', `/api/${encodeURIComponent(bob.id)}/tasks/${trashed.id}/restore`), 403);
  });
});

describeEachDatabase('trash: restoring within the caps', (suite) => {
  let server: TestServer | undefined;
  before(async () => {
    server = await startTestServer(suite.database().knex, { quotas: { tasksPerList: 3, subtasksPerParent: 1 } });
  });
  after(async () => server?.close());

  it('answers 409 naming tasks_per_list when the subtasks would overfill the list, and restores nothing', async () => {
    const alice = new TestUser(server!.baseUrl);
    const [top] = await chain(alice, 2);
    await remove(alice, top!.id);
    await alice.createTask({ title: 'One' });
    await alice.createTask({ title: 'Two' });
    const stored = await storedTasks(suite, alice);

    const problem = expectProblem(await restore(alice, top!.id), 409);

    expect(problem.quota).to.deep.equal({ name: 'tasks_per_list', limit: 3, used: 3 });
    expect(await storedTasks(suite, alice)).to.deep.equal(stored);
  });

  it('answers 409 naming subtasks_per_parent when its parent has another subtask since', async () => {
    const alice = new TestUser(server!.baseUrl);
    const [parent, child] = await chain(alice, 2);
    await remove(alice, child!.id);
    await alice.createTask({ parent_id: parent!.id });

    const problem = expectProblem(await restore(alice, child!.id), 409);

    expect(problem.quota).to.deep.equal({ name: 'subtasks_per_parent', limit: 1, used: 1 });
  });
});

describeEachDatabase('trash: purging', (suite) => {
  it('deletes an item and its subtasks for good, leaving tombstones', async () => {
    const alice = suite.newUser();
    const [top, middle, bottom] = await chain(alice, 3);
    const other = await alice.createTask();
    await remove(alice, other.id);
    await remove(alice, top!.id);

    expect((await purge(alice, top!.id)).status).to.equal(204);

    expect((await storedTasks(suite, alice)).map((row) => row.id)).to.deep.equal([other.id]);
    const tombstones = await suite
      .database()
      .knex('change_tombstones')
      .where({ user_id: alice.id, entity: 'task' })
      .pluck('entity_id');
    expect(tombstones).to.have.members([top, middle, bottom].map((task) => task!.id));
    expectProblem(await restore(alice, top!.id), 404);
    expect(auditTrail(suite, alice)).to.include(`task.purge ${top!.id}`);
  });

  it('answers 409 for a task that went with another, 404 for a live, missing or foreign one, and deletes nothing', async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    const [parent, child] = await chain(alice, 2);
    const live = await alice.createTask();
    await remove(alice, parent!.id);
    const bobs = await bob.createTask();
    await remove(bob, bobs.id);
    const [aliceStored, bobStored] = [await storedTasks(suite, alice), await storedTasks(suite, bob)];

    expect(expectProblem(await purge(alice, child!.id), 409).detail).to.include(`with task ${parent!.id}`);
    expect(expectProblem(await purge(alice, live.id), 404).detail).to.equal(`Task ${live.id} is not in your trash.`);
    for (const id of [bobs.id, 2 ** 53 - 1]) expectProblem(await purge(alice, id), 404);

    expect(await storedTasks(suite, alice)).to.deep.equal(aliceStored);
    expect(await storedTasks(suite, bob)).to.deep.equal(bobStored);
  });

  it('empties the trash, counting items (not their subtasks), and leaves live tasks and other users alone', async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    const [top] = await chain(alice, 2);
    const done = await alice.createTask({ completed: true });
    const live = await alice.createTask();
    await remove(alice, top!.id);
    expect((await alice.call('POST', '/tasks/clear-completed')).body).to.deep.equal({ deleted: 1 });
    await remove(bob, (await bob.createTask()).id);
    const bobStored = await storedTasks(suite, bob);

    expect((await emptyTrash(alice)).body).to.deep.equal({ deleted: 2 });

    expect((await storedTasks(suite, alice)).map((row) => row.id)).to.deep.equal([live.id]);
    expect(await trashItems(alice)).to.deep.equal([]);
    expect(await storedTasks(suite, bob)).to.deep.equal(bobStored);
    expect(auditTrail(suite, alice)).to.include.members([`task.purge ${top!.id}`, `task.purge ${done.id}`]);
    expect((await emptyTrash(alice)).body).to.deep.equal({ deleted: 0 });
  });

  it('purges by itself what has been in the trash longer than the retention, in batches, and nothing else', async () => {
    const alice = suite.newUser();
    const [old, oldChild] = await chain(alice, 2);
    const older = await alice.createTask();
    const recent = await alice.createTask();
    const live = await alice.createTask();
    for (const task of [old!, older, recent]) await remove(alice, task.id);
    const db = suite.database().knex;

    const purged = await db.transaction(async (trx) => {
      // Moved back in a transaction of the test's own: no server's periodic purge sees them first.
      const moved = (days: number) => trx.raw('now() - make_interval(secs => ?)', [days * 86_400]);
      await trx('tasks')
        .where('user_id', alice.id)
        .where('trash_root', old!.id)
        .update({ deleted_at: moved(31) });
      await trx('tasks')
        .where({ user_id: alice.id, id: older.id })
        .update({ deleted_at: moved(30.01) });
      await trx('tasks')
        .where({ user_id: alice.id, id: recent.id })
        .update({ deleted_at: moved(29.99) });
      return purgeExpiredTrash(trx, 30, 1);
    });

    expect(purged).to.be.at.least(3);
    expect((await storedTasks(suite, alice)).map((row) => row.id)).to.deep.equal([recent.id, live.id]);
    expectProblem(await restore(alice, oldChild!.id), 404);
  });
});

describeEachDatabase('trash: a trashed task is nowhere else', (suite) => {
  /** Alice's trashed task (with a subtask), tagged and searchable, beside a live twin. */
  async function trashedBesideLive(alice: TestUser) {
    const fields = { title: 'Quarterly report', tags: ['work'], priority: 'high', due_date: '2026-12-01' };
    const [trashed, child] = await chain(alice, 2, fields);
    const live = await alice.createTask(fields);
    await remove(alice, trashed!.id);
    return { trashed: trashed!, child: child!, live };
  }

  it('answers 404 on every task operation', async () => {
    const alice = suite.newUser();
    const { trashed, child } = await trashedBesideLive(alice);
    const stored = await storedTasks(suite, alice);
    for (const id of [trashed.id, child.id]) {
      expectProblem(await get(alice, id), 404);
      expectProblem(
        await alice.call('PUT', `/tasks/${id}`, { json: { title: 'New', description: null, completed: false } }),
        404,
      );
      expectProblem(
        await alice.call('PATCH', `/tasks/${id}`, {
          json: { title: 'New' },
          contentType: 'application/merge-patch+json',
        }),
        404,
      );
      expectProblem(await alice.call('PATCH', `/tasks/${id}/complete`, { json: { completed: true } }), 404);
      expectProblem(await alice.call('DELETE', `/tasks/${id}`), 404);
      expectProblem(await alice.call('GET', `/tasks?parent_id=${id}`), 404);
    }
    expect(await storedTasks(suite, alice)).to.deep.equal(stored);
  });

  it('is absent from every listing and search', async () => {
    const alice = suite.newUser();
    const { live } = await trashedBesideLive(alice);
    for (const query of [
      '',
      '?status=open',
      '?status=all',
      '?tag=work',
      '?priority=high',
      '?due_before=2026-12-31T00:00:00Z',
      '?q=quarterly',
      '?q=report&sort=created_at',
      `?list_id=${live.list_id}`,
      '?sort=due',
    ]) {
      const response = await alice.call<{ items: Task[] }>('GET', `/tasks${query}`);
      expect(response.status, query).to.equal(200);
      expect(
        response.body.items.map((task) => task.id),
        query,
      ).to.deep.equal([live.id]);
    }
  });

  it('is not counted in the tags', async () => {
    const alice = suite.newUser();
    await trashedBesideLive(alice);
    const tags = await alice.call<components['schemas']['TagSummaryList']>(
      'GET',
      `/api/${encodeURIComponent(alice.id)}/tags`,
    );
    expect(tags.body.items).to.deep.equal([{ name: 'work', task_count: 1, open_task_count: 1 }]);
  });

  for (const atomic of [false, true]) {
    it(`fails each bulk action on it with 404 (${atomic ? 'atomic' : 'non-atomic'})`, async () => {
      const alice = suite.newUser();
      const { trashed, child } = await trashedBesideLive(alice);
      const stored = await storedTasks(suite, alice);
      const actions = [
        { op: 'update', id: trashed.id, patch: { title: 'New' } },
        { op: 'complete', id: child.id, completed: true },
        { op: 'delete', id: trashed.id },
      ];
      if (atomic) {
        for (const action of actions) expectProblem(await bulk(alice, { atomic, actions: [action] }), 404);
      } else {
        const response = await bulk(alice, { actions });
        expect(response.body.results.map((result) => result.status)).to.deep.equal([404, 404, 404]);
      }
      expect(await storedTasks(suite, alice)).to.deep.equal(stored);
    });
  }

  it('a bulk delete moves the task to the trash, with its subtasks', async () => {
    const alice = suite.newUser();
    const [top] = await chain(alice, 2);
    const response = await bulk(alice, { actions: [{ op: 'delete', id: top!.id }] });
    expect(response.body.results.map((result) => result.status)).to.deep.equal([204]);
    expect((await trashItems(alice)).map((item) => [item.task.id, item.subtask_count])).to.deep.equal([[top!.id, 1]]);
  });

  it('clearing completed tasks moves each to the trash with its subtasks, a completed subtask going with its parent', async () => {
    const alice = suite.newUser();
    const [done, doneChild, openGrandchild] = await chain(alice, 3, { completed: true });
    await alice.call('PATCH', `/tasks/${openGrandchild!.id}/complete`, { json: { completed: false } });
    const [openParent, doneUnderOpen] = await chain(alice, 2);
    await alice.call('PATCH', `/tasks/${doneUnderOpen!.id}/complete`, { json: { completed: true } });

    expect((await alice.call('POST', '/tasks/clear-completed')).body).to.deep.equal({ deleted: 3 });

    const items = await trashItems(alice);
    expect(items.map((item) => [item.task.id, item.subtask_count])).to.have.deep.members([
      [done!.id, 2],
      [doneUnderOpen!.id, 0],
    ]);
    expectProblem(await get(alice, doneChild!.id), 404);
    expect((await get(alice, openParent!.id)).status).to.equal(200);
  });

  it('a trashed recurring task cannot be completed, and no occurrence follows', async () => {
    const alice = suite.newUser();
    const series = await alice.createTask({ due_date: '2026-12-01', recurrence: { frequency: 'daily' } });
    await remove(alice, series.id);
    const stored = await storedTasks(suite, alice);
    expectProblem(await alice.call('PATCH', `/tasks/${series.id}/complete`, { json: { completed: true } }), 404);
    expect(await storedTasks(suite, alice)).to.deep.equal(stored);
  });
});
