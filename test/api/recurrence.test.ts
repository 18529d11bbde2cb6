import { expect } from 'chai';
import { DateTime } from 'luxon';
import { describeEachDatabase } from '../helpers/api-suite.js';
import type { Task, TestUser } from '../helpers/api-client.js';

async function complete(user: TestUser, id: number, completed?: boolean): Promise<Task> {
  const response = await user.call<Task>(
    'PATCH',
    `/tasks/${id}/complete`,
    completed === undefined ? {} : { json: { completed } },
  );
  expect(response.status, JSON.stringify(response.body)).to.equal(200);
  return response.body;
}

async function getTask(user: TestUser, id: number): Promise<Task> {
  const response = await user.call<Task>('GET', `/tasks/${id}`);
  expect(response.status).to.equal(200);
  return response.body;
}

/** The ids of all the user's tasks, completed or not, oldest first. */
async function taskIds(user: TestUser): Promise<number[]> {
  const response = await user.call<{ items: Task[] }>('GET', '/tasks?status=all&limit=100');
  expect(response.status).to.equal(200);
  return response.body.items.map((task) => task.id).sort((a, b) => a - b);
}

describeEachDatabase('recurrence: completing an occurrence', (suite) => {
  it('creates the next occurrence with the next due date and the same details', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({
      title: 'Water the plants',
      description: 'The balcony too',
      priority: 'high',
      tags: ['home', 'garden'],
      due_date: '2026-01-31',
      time_zone: 'Europe/Berlin',
      recurrence: { frequency: 'monthly' },
    });
    expect(first).to.include({ series_id: first.id, next_occurrence_id: null });

    const done = await complete(alice, first.id, true);
    expect(done).to.include({ id: first.id, completed: true, series_id: first.id });
    expect(done.next_occurrence_id).to.be.a('number').and.not.equal(first.id);

    const next = await getTask(alice, done.next_occurrence_id!);
    expect(next).to.deep.include({
      title: 'Water the plants',
      description: 'The balcony too',
      priority: 'high',
      tags: ['home', 'garden'],
      due_date: '2026-02-28',
      due_at: null,
      time_zone: 'Europe/Berlin',
      recurrence: first.recurrence,
      series_id: first.id,
      next_occurrence_id: null,
      completed: false,
      completed_at: null,
    });
  });

  for (const [name, write] of [
    [
      'a merge patch',
      (user: TestUser, id: number) => user.call<Task>('PATCH', `/tasks/${id}`, { json: { completed: true } }),
    ],
    [
      'a replace',
      (user: TestUser, id: number) =>
        user.call<Task>('PUT', `/tasks/${id}`, {
          json: {
            title: 'Daily',
            description: null,
            completed: true,
            due_date: '2026-03-01',
            recurrence: { frequency: 'daily' },
          },
        }),
    ],
  ] as const) {
    it(`continues the series when ${name} completes an occurrence, once`, async () => {
      const alice = suite.newUser();
      const first = await alice.createTask({
        title: 'Daily',
        due_date: '2026-03-01',
        recurrence: { frequency: 'daily' },
      });
      const done = (await write(alice, first.id)).body;
      expect(done.completed).to.equal(true);
      expect((await getTask(alice, done.next_occurrence_id!)).due_date).to.equal('2026-03-02');
      expect((await write(alice, first.id)).body.next_occurrence_id).to.equal(done.next_occurrence_id);
      expect(await taskIds(alice)).to.deep.equal([first.id, done.next_occurrence_id]);
    });
  }

  it('keeps the series going from its first due, and keeps completed occurrences as history', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({ due_date: '2026-01-31', recurrence: { frequency: 'monthly' } });
    const second = await getTask(alice, (await complete(alice, first.id, true)).next_occurrence_id!);
    const third = await getTask(alice, (await complete(alice, second.id, true)).next_occurrence_id!);
    expect(third).to.include({ due_date: '2026-03-31', series_id: first.id });
    expect(await taskIds(alice)).to.deep.equal([first.id, second.id, third.id]);
    expect(await getTask(alice, first.id)).to.include({ completed: true, next_occurrence_id: second.id });
  });

  it('computes a due instant in the task zone, across a daylight saving change', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({
      due_at: '2026-03-28T09:00:00+01:00',
      time_zone: 'Europe/Berlin',
      recurrence: { frequency: 'daily' },
    });
    const next = await getTask(alice, (await complete(alice, first.id, true)).next_occurrence_id!);
    expect(next).to.include({ due_at: '2026-03-29T09:00:00+02:00', due_date: null, time_zone: 'Europe/Berlin' });
  });

  it('counts from the completion day with from_completion', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({
      due_at: '2020-01-06T07:30:00-05:00',
      time_zone: 'America/New_York',
      recurrence: { frequency: 'daily', interval: 2, mode: 'from_completion' },
    });
    const done = await complete(alice, first.id, true);
    const completionDay = DateTime.fromISO(done.completed_at!, { zone: 'America/New_York' }).startOf('day');
    const expected = completionDay.plus({ days: 2 }).set({ hour: 7, minute: 30 });
    const next = await getTask(alice, done.next_occurrence_id!);
    expect(next.due_at).to.equal(expected.toISO({ suppressMilliseconds: true }));
  });

  it('ends the series after until', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({
      due_date: '2026-01-09',
      recurrence: { frequency: 'daily', until: '2026-01-10' },
    });
    const second = await getTask(alice, (await complete(alice, first.id, true)).next_occurrence_id!);
    expect(second.due_date).to.equal('2026-01-10');
    const last = await complete(alice, second.id, true);
    expect(last).to.include({ completed: true, next_occurrence_id: null, series_id: first.id });
    expect(await taskIds(alice)).to.deep.equal([first.id, second.id]);
  });

  it('ends the series after count occurrences', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({ due_date: '2026-01-09', recurrence: { frequency: 'weekly', count: 2 } });
    const second = await getTask(alice, (await complete(alice, first.id, true)).next_occurrence_id!);
    expect(second.due_date).to.equal('2026-01-16');
    expect((await complete(alice, second.id, true)).next_occurrence_id).to.equal(null);
    expect(await taskIds(alice)).to.deep.equal([first.id, second.id]);
  });

  it('creates the next occurrence once, however often the occurrence is toggled', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({ due_date: '2026-01-09', recurrence: { frequency: 'daily' } });
    const done = await complete(alice, first.id);
    expect(done.completed).to.equal(true);
    const reopened = await complete(alice, first.id);
    expect(reopened).to.include({ completed: false, next_occurrence_id: done.next_occurrence_id });
    const again = await complete(alice, first.id);
    expect(again).to.include({ completed: true, next_occurrence_id: done.next_occurrence_id });
    expect(await complete(alice, first.id, true)).to.include({ next_occurrence_id: done.next_occurrence_id });
    expect(await taskIds(alice)).to.deep.equal([first.id, done.next_occurrence_id]);
  });

  it('creates exactly one next occurrence when one occurrence is completed twice at once', async () => {
    // Several occurrences, each completed by two requests at once, so that the requests do overlap.
    const alice = suite.newUser();
    const firsts = await Promise.all(
      [1, 2, 3, 4, 5].map(() => alice.createTask({ due_date: '2026-01-09', recurrence: { frequency: 'daily' } })),
    );
    const pairs = await Promise.all(
      firsts.map((first) => Promise.all([complete(alice, first.id, true), complete(alice, first.id, true)])),
    );
    for (const [one, other] of pairs)
      expect(one.next_occurrence_id).to.be.a('number').and.equal(other.next_occurrence_id);
    const nexts = pairs.map(([one]) => one.next_occurrence_id!);
    expect(await taskIds(alice)).to.deep.equal([...firsts.map((first) => first.id), ...nexts].sort((a, b) => a - b));
  });

  it('creates nothing for a task that does not repeat', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({ due_date: '2026-01-09' });
    expect(await complete(alice, task.id, true)).to.include({
      completed: true,
      series_id: null,
      next_occurrence_id: null,
    });
    expect(await taskIds(alice)).to.deep.equal([task.id]);
  });
});
