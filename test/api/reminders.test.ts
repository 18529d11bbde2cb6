import { expect } from 'chai';
import { DateTime } from 'luxon';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { expectProblem, type Task, type TestUser } from '../helpers/api-client.js';

// Reminders through the API: how they are written and shown, the rules that depend on the task
// (a 400 at the reminder's pointer, nothing written), and how completing, trashing, reopening,
// restoring, moving the due and continuing a series arm and disarm them. Their firing is
// test/api/reminder-firing.test.ts's.

type Reminder = Task['reminders'][number];

/** An instant `days` days from now, to the second, in UTC (RFC 3339). */
const daysAhead = (days: number) =>
  DateTime.utc().plus({ days }).startOf('second').toISO({ suppressMilliseconds: true });
/** The instant `text` names, as the API shows instants (UTC, milliseconds). */
const shown = (text: string) => new Date(text).toISOString();
const minus = (text: string, minutes: number) => new Date(Date.parse(text) - minutes * 60_000).toISOString();

async function write(user: TestUser, method: string, path: string, json: unknown, contentType?: string) {
  return user.call<Task>(method, path, { json, ...(contentType ? { contentType } : {}) });
}

async function patch(user: TestUser, id: number, json: unknown): Promise<Task> {
  const response = await write(user, 'PATCH', `/tasks/${id}`, json, 'application/merge-patch+json');
  expect(response.status, JSON.stringify(response.body)).to.equal(200);
  return response.body;
}

async function getTask(user: TestUser, id: number): Promise<Task> {
  const response = await user.call<Task>('GET', `/tasks/${id}`);
  expect(response.status).to.equal(200);
  return response.body;
}

const firesAt = (task: Task) => task.reminders.map((reminder) => reminder.fires_at);
const ids = (task: Task) => task.reminders.map((reminder) => reminder.id);

describeEachDatabase('reminders: written and shown', (suite) => {
  it('shows each reminder with an id, its definition (absent members null) and when it fires', async () => {
    const alice = suite.newUser();
    const due = daysAhead(10);
    const at = daysAhead(2);
    const task = await alice.createTask({
      due_at: due,
      time_zone: 'Europe/Berlin',
      reminders: [{ before_due: 'PT15M' }, { at, before_due: null }],
    });
    expect(task.reminders).to.have.length(2);
    const [relative, absolute] = task.reminders as [Reminder, Reminder];
    expect(relative).to.deep.equal({
      id: relative.id,
      at: null,
      before_due: 'PT15M',
      time: null,
      fires_at: minus(due, 15),
    });
    expect(absolute).to.deep.equal({ id: absolute.id, at, before_due: null, time: null, fires_at: shown(at) });
    expect(relative.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(relative.id).not.to.equal(absolute.id);
    expect(await getTask(alice, task.id)).to.deep.equal(task);
  });

  it('fires a reminder of a task due on a date at its time of day in the task zone, or in UTC', async () => {
    const alice = suite.newUser();
    const inBerlin = await alice.createTask({
      due_date: '2030-06-15',
      time_zone: 'Europe/Berlin',
      reminders: [{ before_due: 'P1D', time: '09:00' }],
    });
    const inUtc = await alice.createTask({ due_date: '2030-06-15', reminders: [{ before_due: 'P0D', time: '09:00' }] });
    expect(firesAt(inBerlin)).to.deep.equal(['2030-06-14T07:00:00.000Z']);
    expect(firesAt(inUtc)).to.deep.equal(['2030-06-15T09:00:00.000Z']);
  });

  it('never fires a reminder whose instant has passed when it is written', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({ reminders: [{ at: '2020-01-01T09:00:00+01:00' }] });
    expect(task.reminders[0]).to.include({ at: '2020-01-01T09:00:00+01:00', fires_at: null });
  });

  it('a task created completed has no reminder pending', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({ completed: true, reminders: [{ at: daysAhead(1) }] });
    expect(firesAt(task)).to.deep.equal([null]);
  });
});

describeEachDatabase('reminders: refused with a 400 at the reminder, nothing written', (suite) => {
  const refusals: { name: string; task: Record<string, unknown>; errors: [string, RegExp][] }[] = [
    {
      name: 'before_due on a task without a due',
      task: { reminders: [{ at: '2030-01-01T00:00:00Z' }, { before_due: 'PT15M' }] },
      errors: [['/reminders/1/before_due', /^needs due_date or due_at$/]],
    },
    {
      name: 'a time on a task due at an instant',
      task: { due_at: '2030-01-01T09:00:00Z', time_zone: 'UTC', reminders: [{ before_due: 'PT1H', time: '08:00' }] },
      errors: [['/reminders/0/time', /^is only for a task due on a date/]],
    },
    {
      name: 'hours, and no time, on a task due on a date',
      task: { due_date: '2030-01-01', reminders: [{ before_due: 'PT1H' }] },
      errors: [
        ['/reminders/0/before_due', /^must be whole days/],
        ['/reminders/0/time', /^is required on a task due on a date$/],
      ],
    },
    {
      name: 'more than 30 days before the due',
      task: { due_at: '2030-01-01T09:00:00Z', time_zone: 'UTC', reminders: [{ before_due: 'P31D' }] },
      errors: [['/reminders/0/before_due', /^must be at most 30 days/]],
    },
    {
      name: 'an instant outside years 1 to 9999 in UTC',
      task: { reminders: [{ at: '9999-12-31T23:30:00-01:00' }] },
      errors: [['/reminders/0/at', /^must be an instant in years 1 to 9999/]],
    },
    {
      name: 'both at and before_due',
      task: {
        due_at: '2030-01-01T09:00:00Z',
        time_zone: 'UTC',
        reminders: [{ at: '2030-01-01T08:00:00Z', before_due: 'PT1H' }],
      },
      errors: [['/reminders/0', /must not set both at and before_due/]],
    },
    {
      name: 'neither at nor before_due',
      task: { reminders: [{ time: null }] },
      errors: [['/reminders/0', /must set at or before_due/]],
    },
    {
      name: 'a time without before_due',
      task: { reminders: [{ at: '2030-01-01T08:00:00Z', time: '09:00' }] },
      errors: [['/reminders/0', /must not set time without before_due/]],
    },
    {
      name: 'a duration in months',
      task: { due_at: '2030-01-01T09:00:00Z', time_zone: 'UTC', reminders: [{ before_due: 'P1M' }] },
      errors: [['/reminders/0/before_due', /must be an ISO 8601 duration/]],
    },
    {
      name: 'a time of day past 23:59',
      task: { due_date: '2030-01-01', reminders: [{ before_due: 'P1D', time: '24:00' }] },
      errors: [['/reminders/0/time', /must be a time of day/]],
    },
    {
      name: 'six reminders',
      task: { reminders: Array.from({ length: 6 }, (_, i) => ({ at: `2030-01-0${i + 1}T00:00:00Z` })) },
      errors: [['/reminders', /must NOT have more than 5 items/]],
    },
    {
      name: 'the same reminder twice',
      task: { reminders: [{ at: '2030-01-01T00:00:00Z' }, { at: '2030-01-01T00:00:00Z' }] },
      errors: [['/reminders', /duplicate/]],
    },
  ];

  for (const { name, task, errors } of refusals) {
    it(`${name}: on create, replace and (on the task as patched) update`, async () => {
      const alice = suite.newUser();
      const kept = await alice.createTask({ title: 'Kept' });
      for (const [method, path, body, contentType] of [
        ['POST', '/tasks', { title: 'New', ...task }],
        ['PUT', `/tasks/${kept.id}`, { title: 'New', description: null, completed: false, ...task }],
        ['PATCH', `/tasks/${kept.id}`, task, 'application/merge-patch+json'],
      ] as const) {
        const problem = expectProblem(await write(alice, method, path, body, contentType), 400);
        expect(
          problem.errors?.map((issue) => [issue.location, issue.pointer]),
          `${method} ${JSON.stringify(problem)}`,
        ).to.deep.equal(errors.map(([pointer]) => ['body', pointer]));
        errors.forEach(([, message], index) => expect(problem.errors![index]!.message).to.match(message));
      }
      const listed = await alice.call<{ items: Task[] }>('GET', '/tasks?status=all');
      expect(listed.body.items).to.deep.equal([kept]);
    });
  }

  it('a merge patch is judged on the task as patched: clearing the due of a task with a relative reminder', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({
      due_at: daysAhead(3),
      time_zone: 'UTC',
      reminders: [{ at: daysAhead(1) }, { before_due: 'PT1H' }],
    });
    const refused = expectProblem(
      await write(
        alice,
        'PATCH',
        `/tasks/${task.id}`,
        { due_at: null, time_zone: null },
        'application/merge-patch+json',
      ),
      400,
    );
    expect(refused.errors).to.deep.equal([
      { location: 'body', pointer: '/reminders/1/before_due', message: 'needs due_date or due_at' },
    ]);
    // To a due date: the relative reminder needs whole days and a time of day.
    const toDate = { due_date: '2030-01-10', due_at: null };
    const needsTime = expectProblem(
      await write(alice, 'PATCH', `/tasks/${task.id}`, toDate, 'application/merge-patch+json'),
      400,
    );
    expect(needsTime.errors?.map((issue) => issue.pointer)).to.deep.equal([
      '/reminders/1/before_due',
      '/reminders/1/time',
    ]);
    expect(await getTask(alice, task.id)).to.deep.equal(task);
    // With new reminders in the same patch, it goes through.
    const moved = await patch(alice, task.id, { ...toDate, reminders: [{ before_due: 'P1D', time: '08:30' }] });
    expect(moved.reminders).to.deep.equal([
      { id: moved.reminders[0]!.id, at: null, before_due: 'P1D', time: '08:30', fires_at: '2030-01-09T08:30:00.000Z' },
    ]);
  });

  it('a bulk action points into its task or patch', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask();
    const response = await alice.call('POST', '/tasks/bulk', {
      json: {
        actions: [
          { op: 'create', task: { title: 'x', reminders: [{ before_due: 'PT5M' }] } },
          { op: 'update', id: task.id, patch: { due_date: '2030-01-01', reminders: [{ before_due: 'P1D' }] } },
        ],
      },
    });
    expect(response.status, JSON.stringify(response.body)).to.equal(207);
    const results = (response.body as { results: { status: number; problem?: { errors?: { pointer: string }[] } }[] })
      .results;
    expect(results.map((result) => result.problem?.errors?.map((issue) => issue.pointer))).to.deep.equal([
      ['/actions/0/task/reminders/0/before_due'],
      ['/actions/1/patch/reminders/0/time'],
    ]);
  });
});

describeEachDatabase('reminders: armed, moved, disarmed and re-armed', (suite) => {
  it('writing a reminder again keeps its id and state; another write of the task leaves them as they are', async () => {
    const alice = suite.newUser();
    const due = daysAhead(5);
    const task = await alice.createTask({
      due_at: due,
      time_zone: 'UTC',
      reminders: [{ before_due: 'PT60M' }, { at: daysAhead(1) }],
    });
    // A title alone: the reminders as they were, the task's ETag and representation moved only by the title.
    const renamed = await patch(alice, task.id, { title: 'Renamed' });
    expect(renamed.reminders).to.deep.equal(task.reminders);
    // The same reminders (one spelled otherwise), plus one: the two keep their ids.
    const replaced = await write(alice, 'PUT', `/tasks/${task.id}`, {
      title: 'Renamed',
      description: null,
      completed: false,
      due_at: due,
      time_zone: 'UTC',
      reminders: [{ at: task.reminders[1]!.at }, { before_due: 'PT1H' }, { before_due: 'P1D' }],
    });
    expect(replaced.status).to.equal(200);
    expect(ids(replaced.body).slice(0, 2)).to.deep.equal([task.reminders[1]!.id, task.reminders[0]!.id]);
    expect(firesAt(replaced.body)).to.deep.equal([
      task.reminders[1]!.fires_at,
      task.reminders[0]!.fires_at,
      minus(due, 24 * 60),
    ]);
    // A replace without reminders removes them; so does an empty list in a patch.
    const bare = await write(alice, 'PUT', `/tasks/${task.id}`, { title: 'Bare', description: null, completed: false });
    expect(bare.body.reminders).to.deep.equal([]);
    const again = await patch(alice, task.id, { reminders: [{ at: daysAhead(2) }] });
    expect(again.reminders).to.have.length(1);
    expect((await patch(alice, task.id, { reminders: [] })).reminders).to.deep.equal([]);
  });

  it('moving the due moves the reminders relative to it, keeping their ids', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({
      due_at: daysAhead(5),
      time_zone: 'UTC',
      reminders: [{ before_due: 'PT30M' }, { at: daysAhead(1) }],
    });
    const newDue = daysAhead(8);
    const moved = await patch(alice, task.id, { due_at: newDue });
    expect(ids(moved)).to.deep.equal(ids(task));
    expect(firesAt(moved)).to.deep.equal([minus(newDue, 30), task.reminders[1]!.fires_at]);
  });

  it('completing disarms every reminder; reopening re-arms those still ahead, never those passed', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({
      due_at: daysAhead(5),
      time_zone: 'UTC',
      reminders: [{ before_due: 'PT15M' }, { at: '2020-01-01T00:00:00Z' }],
    });
    expect(firesAt(task)[1]).to.equal(null);
    const done = await alice.call<Task>('PATCH', `/tasks/${task.id}/complete`, { json: { completed: true } });
    expect(firesAt(done.body)).to.deep.equal([null, null]);
    expect(ids(done.body)).to.deep.equal(ids(task));
    // The toggle (an empty body) reopens.
    const reopened = await alice.call<Task>('PATCH', `/tasks/${task.id}/complete`);
    expect(reopened.body.completed).to.equal(false);
    expect(firesAt(reopened.body)).to.deep.equal(firesAt(task));
    // Completed by a merge patch, reopened by a replace: the same.
    expect(firesAt(await patch(alice, task.id, { completed: true }))).to.deep.equal([null, null]);
    const { id: _id, user_id: _user, created_at: _created, updated_at: _updated, ...fields } = task;
    const replaced = await write(alice, 'PUT', `/tasks/${task.id}`, {
      title: fields.title,
      description: fields.description,
      completed: false,
      due_at: fields.due_at,
      time_zone: fields.time_zone,
      reminders: [{ before_due: 'PT15M' }, { at: '2020-01-01T00:00:00Z' }],
    });
    expect(firesAt(replaced.body)).to.deep.equal(firesAt(task));
  });

  it('trashing disarms; restoring re-arms what is still ahead, the subtasks too', async () => {
    const alice = suite.newUser();
    const reminders = [{ at: daysAhead(3) }];
    const parent = await alice.createTask({ title: 'Parent', reminders });
    const child = await alice.createTask({ title: 'Child', parent_id: parent.id, reminders });
    expect((await alice.call('DELETE', `/tasks/${parent.id}`)).status).to.equal(204);
    const trash = await alice.call<{ items: { task: Task }[] }>('GET', '/trash');
    expect(trash.body.items.map((item) => firesAt(item.task))).to.deep.equal([[null]]);
    const restored = await alice.call<Task>('POST', `/tasks/${parent.id}/restore`);
    expect(restored.status).to.equal(200);
    expect(firesAt(restored.body)).to.deep.equal(firesAt(parent));
    expect(firesAt(await getTask(alice, child.id))).to.deep.equal(firesAt(child));
    // Clearing completed tasks trashes them: nothing of theirs stays pending either.
    await alice.call('PATCH', `/tasks/${child.id}/complete`, { json: { completed: true } });
    const cleared = await alice.call('POST', '/tasks/clear-completed');
    expect(cleared.status).to.equal(200);
    const pending = await suite
      .database()
      .knex('tasks')
      .where('user_id', alice.id)
      .whereNotNull('next_reminder_at')
      .pluck('id');
    expect(pending).to.deep.equal([parent.id]);
  });

  it('completing an occurrence gives the next one the same reminders, armed for its due', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({
      due_date: '2030-03-30',
      time_zone: 'Europe/Berlin',
      recurrence: { frequency: 'daily' },
      reminders: [{ before_due: 'P0D', time: '02:30' }, { at: daysAhead(1) }],
    });
    const done = await alice.call<Task>('PATCH', `/tasks/${first.id}/complete`, { json: { completed: true } });
    expect(firesAt(done.body)).to.deep.equal([null, null]);
    const next = await getTask(alice, done.body.next_occurrence_id!);
    expect(next.due_date).to.equal('2030-03-31');
    expect(ids(next)).to.deep.equal(ids(first));
    // 02:30 does not exist in Berlin that night: 03:30 CEST. The instant reminder is still ahead: armed for this occurrence.
    expect(firesAt(next)).to.deep.equal(['2030-03-31T01:30:00.000Z', first.reminders[1]!.fires_at]);
  });

  it('bulk creates and updates take reminders', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({ due_at: daysAhead(4), time_zone: 'UTC' });
    const at = daysAhead(2);
    const response = await alice.call('POST', '/tasks/bulk', {
      json: {
        atomic: true,
        actions: [
          { op: 'create', task: { title: 'x', reminders: [{ at }] } },
          { op: 'update', id: task.id, patch: { reminders: [{ before_due: 'PT10M' }] } },
        ],
      },
    });
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    const [created, updated] = (response.body as { results: { task: Task }[] }).results.map((result) => result.task);
    expect(firesAt(created!)).to.deep.equal([shown(at)]);
    expect(firesAt(updated!)).to.deep.equal([minus(task.due_at!, 10)]);
  });

  it('reminders do not count as stored bytes', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({ title: 'x'.repeat(200) });
    const usage = async () =>
      Number(
        (
          await suite
            .database()
            .knex('user_usage')
            .where('user_id', alice.id)
            .sum<{ bytes: string | number }>('stored_bytes as bytes')
            .first()
        )?.bytes,
      );
    const before = await usage();
    await patch(alice, task.id, { reminders: Array.from({ length: 5 }, (_, day) => ({ at: daysAhead(day + 1) })) });
    expect(await usage()).to.equal(before);
  });
});
