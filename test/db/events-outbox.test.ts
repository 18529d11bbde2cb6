import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { toEvent, type Event } from '../../src/events/event-representation.js';
import { latestEventSeq, readEventsAfter, recordEvent } from '../../src/events/events.store.js';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { expectProblem, type ApiResponse, type Task, type TestUser } from '../helpers/api-client.js';
import { readToEnd } from '../helpers/changes-feed.js';
import { keyed, newKey } from '../helpers/idempotency-keys.js';
import { assertMatchesSchema } from '../helpers/spec-conformance.js';

// Issue 17: the events outbox (db/migrations/20261230000000_events_outbox.ts). Every change the
// API makes to a task or a list records one event in the change's own transaction, numbered with
// its change number: here each kind of change through the API, its event read back as the live
// stream and the webhooks will read it (readEventsAfter, toEvent) and compared with what the API
// answered; writes that change nothing or roll back record nothing; and the events agree with the
// changes feed.

type List = components['schemas']['List'];
type BulkResult = components['schemas']['BulkResult'];
type TrashItem = components['schemas']['TrashItem'];

/** An event as compared here: its kind and what it says. */
type Said = Pick<Event, 'type' | 'data'>;

const created = (task: Task): Said => ({ type: 'task.created', data: { task } });
const taskEvent = (type: Event['type'], task: Task): Said => ({ type, data: { task } });
const listEvent = (type: Event['type'], list: List): Said => ({ type, data: { list } });

/**
 * The events of one statement that changes several rows (a task and its subtasks to the trash, a
 * purge), which it changes in no defined order: by task, then the others in their order.
 */
const byTask = (events: Said[]): Said[] => [
  ...events.filter((event) => event.data.task).sort((a, b) => a.data.task!.id - b.data.task!.id),
  ...events.filter((event) => !event.data.task),
];

const userPath = (user: TestUser, rest: string) => `/api/${encodeURIComponent(user.id)}${rest}`;

function ok<T>(response: ApiResponse<T>, status = 200): T {
  expect(response.status, JSON.stringify(response.body)).to.equal(status);
  return response.body;
}

describeEachDatabase('events outbox', (suite) => {
  const knex = () => suite.database().knex;

  /** The user's events after `after`, as the stream and the webhooks show them, each checked against the spec. */
  async function eventsOf(user: TestUser, after = 0): Promise<Event[]> {
    const events = (await readEventsAfter(knex(), user.id, after, 1000)).map(toEvent);
    for (const event of events) assertMatchesSchema(`event ${event.id}`, '#/components/schemas/Event', event);
    return events;
  }

  /** The events `write` recorded for the user, in their order, after checking that their numbers grow. */
  async function recordedBy(user: TestUser, write: () => Promise<unknown>): Promise<Said[]> {
    const before = await latestEventSeq(knex(), user.id);
    await write();
    const events = await eventsOf(user, before);
    const numbers = events.map((event) => Number(event.id));
    expect(numbers, 'in change-number order').to.deep.equal([...numbers].sort((a, b) => a - b));
    return events.map(({ type, data }) => ({ type, data }));
  }

  const getTask = async (user: TestUser, id: number) => ok(await user.call<Task>('GET', `/tasks/${id}`));
  const createList = async (user: TestUser, name: string) =>
    ok(await user.call<List>('POST', '/lists', { json: { name } }), 201);
  const patch = (user: TestUser, id: number, json: unknown, headers: Record<string, string> = {}) =>
    user.call<Task>('PATCH', `/tasks/${id}`, { json, contentType: 'application/merge-patch+json', headers });
  const complete = (user: TestUser, id: number, completed?: boolean) =>
    user.call<Task>('PATCH', `/tasks/${id}/complete`, completed === undefined ? {} : { json: { completed } });
  const move = (user: TestUser, id: number, json: unknown) => user.call<Task>('POST', `/tasks/${id}/move`, { json });
  const bulk = (user: TestUser, json: unknown, headers: Record<string, string> = {}) =>
    user.call<BulkResult>('POST', '/tasks/bulk', { json, headers });
  const trashItems = async (user: TestUser) =>
    ok(await user.call<{ items: TrashItem[] }>('GET', userPath(user, '/trash?limit=100'))).items;

  it('records a create, after the default list it made, each as the API shows it, numbered and shaped as the spec says', async () => {
    const alice = suite.newUser();
    let task: Task | undefined;
    const events = await recordedBy(alice, async () => (task = await alice.createTask({ title: 'First' })));
    const [inbox] = ok(await alice.call<{ items: List[] }>('GET', '/lists')).items;
    expect(events).to.deep.equal([listEvent('list.created', inbox!), created(task!)]);

    const [first, second] = await eventsOf(alice);
    expect(first!.id).to.match(/^[1-9][0-9]*$/);
    expect(Number(second!.id)).to.be.above(Number(first!.id));
    expect(Date.parse(second!.created_at)).to.be.closeTo(Date.parse(task!.created_at), 60_000);
  });

  it('records an edit, a replace, a completion and a reopening, each once with the task the API answered', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({ title: 'Draft' });
    const answers: [Event['type'], () => Promise<ApiResponse<Task>>][] = [
      ['task.updated', () => patch(alice, task.id, { title: 'Edited', tags: ['work'] })],
      [
        'task.updated',
        () =>
          alice.call<Task>('PUT', `/tasks/${task.id}`, {
            json: { title: 'Replaced', description: 'whole', completed: false },
          }),
      ],
      ['task.completed', () => complete(alice, task.id, true)],
      ['task.reopened', () => complete(alice, task.id)],
      ['task.completed', () => patch(alice, task.id, { completed: true })],
      ['task.reopened', () => complete(alice, task.id, false)],
    ];
    for (const [type, write] of answers) {
      let answer: Task | undefined;
      expect(await recordedBy(alice, async () => (answer = ok(await write()))), type).to.deep.equal([
        taskEvent(type, answer!),
      ]);
    }
  });

  it('records nothing for a write that changes nothing the client sees', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({ title: 'Same', tags: ['a'] });
    const done = ok(await complete(alice, task.id, true));
    const unchanged = await recordedBy(alice, async () => {
      expect(ok(await patch(alice, task.id, { title: 'Same', tags: ['a'] }))).to.deep.equal(done);
      expect(ok(await patch(alice, task.id, {}))).to.deep.equal(done);
      expect(ok(await complete(alice, task.id, true))).to.deep.equal(done);
      const put = { title: 'Same', description: null, completed: true, tags: ['a'] };
      expect(ok(await alice.call<Task>('PUT', `/tasks/${task.id}`, { json: put }))).to.deep.equal(done);
      expect(ok(await move(alice, task.id, {}))).to.deep.equal(done); // already last of its group
    });
    expect(unchanged).to.deep.equal([]);
  });

  it('records a move, and each subtask that goes along to another list', async () => {
    const alice = suite.newUser();
    const [a, b] = [await alice.createTask({ title: 'A' }), await alice.createTask({ title: 'B' })];
    const child = await alice.createTask({ title: 'Child', parent_id: b.id });
    const work = await createList(alice, 'Work');

    let answer: Task | undefined;
    expect(
      await recordedBy(alice, async () => (answer = ok(await move(alice, a.id, { after_id: b.id })))),
    ).to.deep.equal([taskEvent('task.moved', answer!)]);
    const across = await recordedBy(alice, async () => (answer = ok(await move(alice, b.id, { list_id: work.id }))));
    expect(across).to.deep.equal([
      taskEvent('task.moved', answer!),
      taskEvent('task.moved', await getTask(alice, child.id)),
    ]);
    expect(answer!.list_id).to.equal(work.id);
  });

  it('records a trip to the trash and back, and the purge, for a task and its subtask', async () => {
    const alice = suite.newUser();
    const parent = await alice.createTask({ title: 'Parent' });
    const child = await alice.createTask({ title: 'Child', parent_id: parent.id });

    const trashed = await recordedBy(alice, async () => ok(await alice.call('DELETE', `/tasks/${parent.id}`), 204));
    const [item] = await trashItems(alice);
    // A task goes to the trash as it was: the trash shows it so, and its subtask too.
    expect(item!.task).to.deep.equal(parent);
    expect(byTask(trashed)).to.deep.equal([taskEvent('task.trashed', parent), taskEvent('task.trashed', child)]);

    let restored: Task | undefined;
    const back = await recordedBy(
      alice,
      async () => (restored = ok(await alice.call<Task>('POST', `/tasks/${parent.id}/restore`))),
    );
    expect(byTask(back)).to.deep.equal([
      taskEvent('task.restored', restored!),
      taskEvent('task.restored', await getTask(alice, child.id)),
    ]);

    const [lastParent, lastChild] = [restored!, await getTask(alice, child.id)];
    ok(await alice.call('DELETE', `/tasks/${parent.id}`), 204);
    const purged = await recordedBy(alice, async () =>
      ok(await alice.call('DELETE', userPath(alice, `/trash/${parent.id}`)), 204),
    );
    expect(byTask(purged)).to.deep.equal([taskEvent('task.deleted', lastParent), taskEvent('task.deleted', lastChild)]);

    const emptied = await alice.createTask({ title: 'Emptied' });
    ok(await alice.call('DELETE', `/tasks/${emptied.id}`), 204);
    expect(
      await recordedBy(alice, async () => ok(await alice.call('POST', userPath(alice, '/trash/empty')))),
    ).to.deep.equal([taskEvent('task.deleted', emptied)]);
  });

  it('records a list created, renamed, moved and deleted, its tasks trashed once each', async () => {
    const alice = suite.newUser();
    await alice.createTask({ title: 'In the inbox' });
    let list: List | undefined;
    expect(await recordedBy(alice, async () => (list = await createList(alice, 'Errands')))).to.deep.equal([
      listEvent('list.created', list!),
    ]);
    const renamed = await recordedBy(
      alice,
      async () => (list = ok(await alice.call<List>('PATCH', `/lists/${list!.id}`, { json: { name: 'Chores' } }))),
    );
    expect(renamed).to.deep.equal([listEvent('list.updated', list!)]);
    const moved = await recordedBy(
      alice,
      async () => (list = ok(await alice.call<List>('POST', userPath(alice, `/lists/${list!.id}/move`), { json: {} }))),
    );
    expect(moved).to.deep.equal([]); // already last
    const [inbox] = ok(await alice.call<{ items: List[] }>('GET', '/lists')).items;
    const first = await recordedBy(
      alice,
      async () =>
        (list = ok(
          await alice.call<List>('POST', userPath(alice, `/lists/${list!.id}/move`), {
            json: { before_id: inbox!.id },
          }),
        )),
    );
    expect(first).to.deep.equal([listEvent('list.updated', list!)]);

    const top = await alice.createTask({ title: 'Top', list_id: list!.id });
    const sub = await alice.createTask({ title: 'Sub', parent_id: top.id });
    const deleted = await recordedBy(alice, async () => ok(await alice.call('DELETE', `/lists/${list!.id}`), 204));
    // Its tasks go to the trash out of the list (their list_id null): one event each, as the trash shows them.
    const [item] = await trashItems(alice);
    expect(item!.task).to.deep.include({ id: top.id, list_id: null });
    expect(byTask(deleted)).to.deep.equal([
      taskEvent('task.trashed', item!.task),
      taskEvent('task.trashed', { ...sub, list_id: null }),
      listEvent('list.deleted', list!),
    ]);
  });

  it('records one event per task of a bulk request, atomic or not, in the order of its actions', async () => {
    const alice = suite.newUser();
    const [a, b, c] = [
      await alice.createTask({ title: 'A' }),
      await alice.createTask({ title: 'B' }),
      await alice.createTask({ title: 'C' }),
    ];
    for (const atomic of [true, false]) {
      let results: BulkResult['results'] = [];
      const events = await recordedBy(alice, async () => {
        const answer = ok(
          await bulk(alice, {
            atomic,
            actions: [
              { op: 'update', id: a.id, patch: { title: `A ${atomic}` } },
              { op: 'create', task: { title: `New ${atomic}` } },
              { op: 'complete', id: b.id },
              { op: 'update', id: 9_007_199_254_740_991, patch: { title: 'nobody' } },
              { op: 'delete', id: c.id },
            ].filter((action) => !atomic || action.id !== 9_007_199_254_740_991),
          }),
          atomic ? 200 : 207,
        );
        results = answer.results;
      });
      const [updated, made, completed] = results.map((result) => result.task!);
      expect(events, `atomic: ${atomic}`).to.deep.equal([
        taskEvent('task.updated', updated!),
        created(made!),
        taskEvent(atomic ? 'task.completed' : 'task.reopened', completed!),
        taskEvent('task.trashed', atomic ? c : (await trashItems(alice)).find((item) => item.task.id === c.id)!.task),
      ]);
      if (atomic) ok(await alice.call<Task>('POST', `/tasks/${c.id}/restore`));
    }
  });

  it('records the trashing of each completed task and its subtasks when clearing the completed ones', async () => {
    const alice = suite.newUser();
    const done = await alice.createTask({ title: 'Done', completed: true });
    const under = await alice.createTask({ title: 'Under', parent_id: done.id });
    await alice.createTask({ title: 'Open' });
    const cleared = await recordedBy(alice, async () =>
      expect(ok(await alice.call('POST', '/tasks/clear-completed'))).to.deep.equal({ deleted: 1 }),
    );
    expect(byTask(cleared)).to.deep.equal([taskEvent('task.trashed', done), taskEvent('task.trashed', under)]);
  });

  it('records the completion of a recurring occurrence as it answers, and the next occurrence it created', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({
      title: 'Daily',
      due_date: '2026-03-01',
      recurrence: { frequency: 'daily' },
    });
    let done: Task | undefined;
    const events = await recordedBy(alice, async () => (done = ok(await complete(alice, first.id, true))));
    const next = await getTask(alice, done!.next_occurrence_id!);
    expect(next.due_date).to.equal('2026-03-02');
    // The next occurrence exists before the completion links it: the feed's order, and the events'.
    expect(events).to.deep.equal([created(next), taskEvent('task.completed', done!)]);

    // The same as a bulk action with an Idempotency-Key: in a savepoint of the request's transaction.
    const second = await alice.createTask({
      title: 'Weekly',
      due_date: '2026-03-01',
      recurrence: { frequency: 'weekly' },
    });
    let result: BulkResult['results'][number] | undefined;
    const keyedEvents = await recordedBy(alice, async () => {
      [result] = ok(await bulk(alice, { actions: [{ op: 'complete', id: second.id }] }, keyed(newKey())), 207).results;
    });
    const secondNext = await getTask(alice, result!.task!.next_occurrence_id!);
    expect(keyedEvents).to.deep.equal([created(secondNext), taskEvent('task.completed', result!.task!)]);
  });

  it('records nothing for a write refused or rolled back', async () => {
    const alice = suite.newUser();
    const parent = await alice.createTask({ title: 'Parent' });
    const child = await alice.createTask({ title: 'Child', parent_id: parent.id });
    const refused = await recordedBy(alice, async () => {
      // An atomic bulk request whose last action fails: its create and update are rolled back.
      const atomic = await bulk(alice, {
        atomic: true,
        actions: [
          { op: 'create', task: { title: 'Rolled back' } },
          { op: 'update', id: parent.id, patch: { title: 'Rolled back' } },
          { op: 'complete', id: 9_007_199_254_740_991 },
        ],
      });
      expectProblem(atomic, 404);
      // The same with an Idempotency-Key: its transaction also holds the key's claim.
      const keyedAtomic = await bulk(
        alice,
        {
          atomic: true,
          actions: [
            { op: 'create', task: { title: 'Rolled back' } },
            { op: 'delete', id: 0 },
          ],
        },
        keyed(newKey()),
      );
      expect([400, 404]).to.include(keyedAtomic.status);
      // A stale If-Match (412), a cycle refused by the database's trigger mid-statement (409).
      expectProblem(await patch(alice, parent.id, { title: 'Stale' }, { 'If-Match': '"stale"' }), 412);
      expectProblem(await move(alice, parent.id, { parent_id: child.id }), 409);
      expectProblem(
        await alice.call('POST', '/tasks', { json: { title: 'Orphan', parent_id: 9_007_199_254_740_991 } }),
        409,
      );
    });
    expect(refused).to.deep.equal([]);
  });

  it('has an event for every change number of the changes feed, saying what the feed says', async () => {
    const alice = suite.newUser();
    const { token } = await readToEnd(alice);
    const kept = await alice.createTask({ title: 'Kept' });
    const edited = await alice.createTask({ title: 'Edited' });
    const trashed = await alice.createTask({ title: 'Trashed' });
    const purged = await alice.createTask({ title: 'Purged' });
    const list = await createList(alice, 'Gone');
    await alice.createTask({ title: 'In the gone list', list_id: list.id });
    ok(await patch(alice, edited.id, { title: 'Edited twice' }));
    ok(await complete(alice, edited.id, true));
    ok(await move(alice, kept.id, { after_id: edited.id }));
    ok(await alice.call('DELETE', `/tasks/${trashed.id}`), 204);
    ok(await alice.call('DELETE', `/tasks/${purged.id}`), 204);
    ok(await alice.call('DELETE', userPath(alice, `/trash/${purged.id}`)), 204);
    ok(await alice.call('DELETE', `/lists/${list.id}`), 204);

    // Every number the feed holds (rows' last changes, tombstones) is an event's, of that row.
    const numbers = await knex().raw<{ rows: { seq: number; entity: string; id: number }[] }>(
      `select change_seq as seq, 'task' as entity, id from tasks where user_id = :user
       union all select change_seq, 'list', id from lists where user_id = :user
       union all select seq, entity, entity_id from change_tombstones where user_id = :user
       order by 1`,
      { user: alice.id },
    );
    const events = await eventsOf(alice);
    const byNumber = new Map(events.map((event) => [Number(event.id), event]));
    for (const { seq, entity, id } of numbers.rows) {
      const event = byNumber.get(Number(seq));
      expect(event, `change ${seq} of ${entity} ${id}`).not.to.equal(undefined);
      expect(event!.type.startsWith(`${entity}.`), event!.type).to.equal(true);
      expect((event!.data.task ?? event!.data.list)!.id).to.equal(Number(id));
    }

    // And the feed says of each list and task what its last event says.
    const lastEvent = new Map<string, Event>();
    for (const event of events) {
      const entity = event.data.task ? `task ${event.data.task.id}` : `list ${event.data.list!.id}`;
      lastEvent.set(entity, event);
    }
    const { changes } = await readToEnd(alice, token);
    expect(changes.length).to.be.above(5);
    for (const change of changes) {
      const event = lastEvent.get(`${change.entity} ${change.id}`);
      expect(event, `${change.entity} ${change.id}`).not.to.equal(undefined);
      if (change.change === 'upserted')
        expect(event!.data).to.deep.equal(change.task ? { task: change.task } : { list: change.list });
      else expect(event!.type).to.equal(change.change === 'trashed' ? 'task.trashed' : `${change.entity}.deleted`);
    }
  });

  it("reads only the user's own events, however other users' numbers interleave", async () => {
    const [alice, bob] = [suite.newUser(), suite.newUser()];
    await alice.createTask({ title: 'Alice 1' });
    await bob.createTask({ title: 'Bob 1' });
    await alice.createTask({ title: 'Alice 2' });
    const bobLast = await bob.createTask({ title: 'Bob 2' });

    const alices = await eventsOf(alice);
    expect(alices.map((event) => event.data.task?.title ?? event.data.list!.name)).to.deep.equal([
      'Inbox',
      'Alice 1',
      'Alice 2',
    ]);
    expect(alices.every((event) => (event.data.task ?? event.data.list)!.user_id === alice.id)).to.equal(true);
    const alicesLatest = await latestEventSeq(knex(), alice.id);
    expect(alicesLatest).to.equal(Number(alices.at(-1)!.id));
    expect(await latestEventSeq(knex(), bob.id)).to.be.above(alicesLatest);
    // Bob's later numbers are not Alice's to read.
    expect(await eventsOf(alice, alicesLatest)).to.deep.equal([]);
    expect((await eventsOf(bob)).at(-1)!.data).to.deep.equal({ task: bobLast });
    expect(await latestEventSeq(knex(), suite.newUser().id)).to.equal(0);
  });

  it("records an event that is no row's change with the user's next number, in the writer's transaction", async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({ title: 'Reminded' });
    const fired = { task };
    const row = await knex().transaction((trx) => recordEvent(trx, alice.id, 'reminder.fired', fired));
    const events = await eventsOf(alice);
    expect(events.at(-1)).to.deep.equal(toEvent(row));
    expect(events.at(-1)).to.deep.include({ type: 'reminder.fired', data: fired });
    expect(Number(events.at(-1)!.id)).to.be.above(Number(events.at(-2)!.id));

    const rolledBack = await knex()
      .transaction(async (trx) => {
        await recordEvent(trx, alice.id, 'reminder.fired', fired);
        throw new Error('rolled back');
      })
      .catch((error: Error) => error.message);
    expect(rolledBack).to.equal('rolled back');
    expect(await eventsOf(alice)).to.deep.equal(events);
  });
});
