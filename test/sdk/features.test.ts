import { expect } from 'chai';
import { Priority, type BulkAction, type Reminder, type Task, type TimeZone } from '../../generated/sdk/dist/index.js';
import { describeSdk, expectResponseError } from './sdk-suite.js';

// Issue 4's features, driven only through the SDK: what a frontend writes is what it reads back.
describeSdk('SDK: task features', (suite) => {
  it('creates a task with priority, tags, a due instant and a rule, reading them back as sent', async () => {
    const alice = suite.newUser();
    const task = await alice.tasks.createTask({
      userId: alice.id,
      taskCreate: {
        title: 'Quarterly report',
        priority: 'high',
        tags: ['Work', 'reports'],
        due_at: '2026-12-01T17:00:00+01:00',
        time_zone: 'Europe/Berlin',
        recurrence: { frequency: 'monthly', interval: 3 },
      },
    });
    expect(task).to.deep.include({
      priority: Priority.High,
      tags: ['work', 'reports'],
      due_date: null,
      due_at: '2026-12-01T17:00:00+01:00',
      time_zone: 'Europe/Berlin',
      series_id: task.id,
      next_occurrence_id: null,
    });
    expect(task.recurrence).to.deep.equal({
      frequency: 'monthly',
      interval: 3,
      weekdays: [],
      until: null,
      count: null,
      mode: 'from_due',
    });
    expect(await alice.tasks.getTask({ userId: alice.id, taskId: task.id })).to.deep.equal(task);
  });

  it('completes an occurrence of a recurring task and finds the next one', async () => {
    const alice = suite.newUser();
    const rent = await alice.tasks.createTask({
      userId: alice.id,
      taskCreate: { title: 'Pay rent', due_date: '2027-01-31', recurrence: { frequency: 'monthly' } },
    });
    const paid = await alice.tasks.completeTask({
      userId: alice.id,
      taskId: rent.id,
      taskCompletion: { completed: true },
    });
    expect(paid.next_occurrence_id).to.be.a('number');
    const next = await alice.tasks.getTask({ userId: alice.id, taskId: paid.next_occurrence_id! });
    expect(next).to.include({ due_date: '2027-02-28', series_id: rent.id, completed: false });
  });

  it('sets reminders, reads when they fire (a Date) and moves them with the due, typed as the contract says', async () => {
    const alice = suite.newUser();
    const task = await alice.tasks.createTask({
      userId: alice.id,
      taskCreate: {
        title: 'Pay rent',
        due_date: '2030-01-31',
        time_zone: 'Europe/Berlin',
        reminders: [{ before_due: 'P1D', time: '09:00' }, { at: '2030-01-01T12:00:00+01:00' }],
      },
    });
    const [dayBefore, atNoon] = task.reminders as [Reminder, Reminder];
    expect(dayBefore).to.deep.include({ at: null, before_due: 'P1D', time: '09:00' });
    expect(dayBefore.fires_at).to.be.instanceOf(Date);
    expect(dayBefore.fires_at!.toISOString()).to.equal('2030-01-30T08:00:00.000Z');
    // An instant reads back as written (a string, offset kept); when it fires, as a Date.
    expect(atNoon).to.deep.include({ at: '2030-01-01T12:00:00+01:00', before_due: null, time: null });
    expect(atNoon.fires_at!.toISOString()).to.equal('2030-01-01T11:00:00.000Z');

    const moved = await alice.tasks.updateTask({
      userId: alice.id,
      taskId: task.id,
      taskPatch: { due_date: '2030-02-28' },
    });
    expect(moved.reminders.map((reminder) => reminder.id)).to.deep.equal(task.reminders.map((reminder) => reminder.id));
    expect(moved.reminders[0]!.fires_at!.toISOString()).to.equal('2030-02-27T08:00:00.000Z');

    const refused = await expectResponseError(
      alice.tasks.updateTask({ userId: alice.id, taskId: task.id, taskPatch: { due_date: null, time_zone: null } }),
      400,
    );
    expect(refused.problem?.errors?.map((issue) => issue.pointer)).to.deep.equal(['/reminders/0/before_due']);
  });

  it('lists with filters, search and sorting, following cursors to the end', async () => {
    const alice = suite.newUser();
    const make = (title: string, priority: Priority, tags: string[], due_date: string | null) =>
      alice.tasks.createTask({ userId: alice.id, taskCreate: { title, priority, tags, due_date } });
    const plan = await make('Plan the offsite', 'high', ['work'], '2026-12-03');
    const report = await make('Planning report', 'medium', ['work', 'reports'], '2026-12-01');
    await make('Buy milk', 'high', ['home'], null);
    const undated = await make('Plan holidays', 'high', ['work'], null);

    const walk = async (query: Parameters<typeof alice.tasks.listTasks>[0]): Promise<Task[]> => {
      const seen: Task[] = [];
      let cursor: string | undefined;
      do {
        const page = await alice.tasks.listTasks({ ...query, limit: 1, cursor });
        seen.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      return seen;
    };
    const ids = (tasks: Task[]) => tasks.map((task) => task.id);

    expect(
      ids(await walk({ userId: alice.id, priority: ['high', 'medium'], tag: ['WORK'], sort: 'due', order: 'asc' })),
    ).to.deep.equal([report.id, plan.id, undated.id]);
    expect(ids(await walk({ userId: alice.id, q: 'plan', tag: ['work'], sort: 'created_at' }))).to.deep.equal([
      undated.id,
      report.id,
      plan.id,
    ]);
    expect(ids(await walk({ userId: alice.id, dueAfter: new Date('2026-12-02T00:00:00Z') }))).to.deep.equal([plan.id]);
  });

  it('lists tags with counts, runs bulk actions and clears completed tasks', async () => {
    const alice = suite.newUser();
    const result = await alice.tasks.bulkTasks({
      userId: alice.id,
      bulkRequest: {
        atomic: true,
        actions: [
          { op: 'create', task: { title: 'One', tags: ['Home'] } },
          { op: 'create', task: { title: 'Two', tags: ['home', 'garden'], completed: true } },
        ],
      },
    });
    expect(result.results.map((entry) => entry.status)).to.deep.equal([201, 201]);
    expect(result.results[0]!.task?.tags).to.deep.equal(['home']);

    const tags = await alice.tasks.listTags({ userId: alice.id });
    expect(tags).to.deep.equal({
      items: [
        { name: 'garden', task_count: 1, open_task_count: 0 },
        { name: 'home', task_count: 2, open_task_count: 1 },
      ],
      truncated: false,
    });

    expect(await alice.tasks.clearCompletedTasks({ userId: alice.id })).to.deep.equal({ deleted: 1 });
    expect((await alice.tasks.listTasks({ userId: alice.id })).items.map((task) => task.title)).to.deep.equal(['One']);
  });

  it('runs one bulk action of each op, typed by op: each takes exactly its own fields', async () => {
    const alice = suite.newUser();
    const [toUpdate, toComplete, toDelete] = await Promise.all(
      ['Rename me', 'Finish me', 'Delete me'].map((title) =>
        alice.tasks.createTask({ userId: alice.id, taskCreate: { title } }),
      ),
    );
    const zone: TimeZone = 'Europe/Berlin';
    const actions: BulkAction[] = [
      { op: 'create', task: { title: 'Made', due_date: '2026-12-01', time_zone: zone } },
      { op: 'update', id: toUpdate!.id, patch: { title: 'Renamed', priority: 'high' } },
      { op: 'complete', id: toComplete!.id, completed: true },
      { op: 'delete', id: toDelete!.id, if_match: '*' },
    ];
    // The union is discriminated by op: a field of another op does not type-check.
    // @ts-expect-error a create takes no id
    const misfit: BulkAction = { op: 'create', id: 1, task: { title: 'x' } };
    // @ts-expect-error not a zone the spec lists
    const unknownZone: TimeZone = 'Mars/Olympus_Mons';
    expect([misfit.op, unknownZone]).to.have.lengthOf(2);

    const result = await alice.tasks.bulkTasks({ userId: alice.id, bulkRequest: { atomic: true, actions } });
    expect(result.results.map((entry) => entry.status)).to.deep.equal([201, 200, 200, 204]);
    expect(result.results[0]!.task).to.include({ title: 'Made', due_date: '2026-12-01', time_zone: zone });
    expect(result.results[1]!.task).to.include({ id: toUpdate!.id, title: 'Renamed', priority: 'high' });
    expect(result.results[2]!.task).to.include({ id: toComplete!.id, completed: true });
    expect(result.results[3]).to.include({ index: 3, status: 204, task: undefined });
    const titles = (await alice.tasks.listTasks({ userId: alice.id, sort: 'title', order: 'asc' })).items.map(
      (task) => task.title,
    );
    expect(titles).to.deep.equal(['Finish me', 'Made', 'Renamed']);
  });

  it('raises a ResponseError naming the field for an impossible due date, and for a failed atomic action', async () => {
    const alice = suite.newUser();
    const impossible = await expectResponseError(
      alice.tasks.createTask({ userId: alice.id, taskCreate: { title: 'x', due_date: '2027-02-29' } }),
      400,
    );
    expect(impossible.problem?.errors?.map((issue) => issue.pointer)).to.deep.equal(['/due_date']);

    const missing = await expectResponseError(
      alice.tasks.bulkTasks({
        userId: alice.id,
        bulkRequest: {
          atomic: true,
          actions: [
            { op: 'create', task: { title: 'kept?' } },
            { op: 'delete', id: 999_999_999 },
          ],
        },
      }),
      404,
    );
    expect(missing.problem?.errors?.map((issue) => issue.pointer)).to.deep.equal(['/actions/1']);
    expect((await alice.tasks.listTasks({ userId: alice.id })).items).to.deep.equal([]);
  });
});
