import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { expectProblem, type ApiResponse, type Task } from '../helpers/api-client.js';
import { describeEachDatabase } from '../helpers/api-suite.js';

type TaskList = components['schemas']['TaskList'];

/** The pointers a 400 names, in order. */
function pointersOf(response: ApiResponse): string[] {
  return (expectProblem(response, 400).errors ?? []).map((issue) => issue.pointer);
}

describeEachDatabase('task fields: priority, tags, due dates, recurrence rules', (suite) => {
  describe('priority', () => {
    it('defaults to none, and is set, patched and reset by a replace', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask();
      expect(task.priority).to.equal('none');
      const patched = await alice.call<Task>('PATCH', `/tasks/${task.id}`, { json: { priority: 'high' } });
      expect(patched.body.priority).to.equal('high');
      const replaced = await alice.call<Task>('PUT', `/tasks/${task.id}`, {
        json: { title: 'x', description: null, completed: false },
      });
      expect(replaced.body.priority).to.equal('none');
    });

    it('refuses an unknown priority', async () => {
      expect(
        pointersOf(await suite.newUser().call('POST', '/tasks', { json: { title: 'x', priority: 'urgent' } })),
      ).to.deep.equal(['/priority']);
    });
  });

  describe('tags', () => {
    it('are trimmed, lower-cased and kept once, in the order first given', async () => {
      const task = await suite.newUser().createTask({ tags: [' Work', 'home', 'WORK ', 'Home', 'Ünïcode'] });
      expect(task.tags).to.deep.equal(['work', 'home', 'ünïcode']);
    });

    it('accept 20 tags of 40 characters', async () => {
      const tags = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'t'.repeat(38)}`);
      expect((await suite.newUser().createTask({ tags })).tags).to.deep.equal(tags);
    });

    const refused: [string, unknown, string][] = [
      ['21 tags', Array.from({ length: 21 }, (_, i) => `t${i}`), '/tags'],
      ['a tag of 41 characters', ['t'.repeat(41)], '/tags/0'],
      ['an empty tag', [''], '/tags/0'],
      ['a blank tag', ['   '], '/tags/0'],
      ['a tag with a control character', ['a\u0007b'], '/tags/0'],
      ['a tag that is not a string', [7], '/tags/0'],
      // Lower case can be longer: "İ" becomes "i̇", two code points.
      ['a tag of 40 characters that is longer in lower case', ['İ'.repeat(40)], '/tags/0'],
      [
        'a tag too long in lower case after a duplicate, at its place in the request',
        ['a', 'A', 'İ'.repeat(21)],
        '/tags/2',
      ],
    ];
    for (const [name, tags, pointer] of refused) {
      it(`refuse ${name}`, async () => {
        const alice = suite.newUser();
        expect(pointersOf(await alice.call('POST', '/tasks', { json: { title: 'x', tags } }))).to.include(pointer);
        expect((await alice.call<TaskList>('GET', '/tasks')).body.items).to.deep.equal([]);
      });
    }

    it('written again unchanged leave updated_at alone', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask({ tags: ['a', 'b'], priority: 'low' });
      const again = await alice.call<Task>('PATCH', `/tasks/${task.id}`, {
        json: { tags: ['A', 'b'], priority: 'low' },
      });
      expect(again.body.updated_at).to.equal(task.updated_at);
      const changed = await alice.call<Task>('PATCH', `/tasks/${task.id}`, { json: { tags: ['b', 'a'] } });
      expect(changed.body.tags).to.deep.equal(['b', 'a']);
      expect(changed.body.updated_at >= task.updated_at).to.equal(true);
    });
  });

  describe('due dates and instants read back exactly as sent', () => {
    const roundTrips: [string, Record<string, string>][] = [
      ['an all-day date', { due_date: '2026-12-01' }],
      ['an all-day date with a zone', { due_date: '2027-03-28', time_zone: 'Europe/Berlin' }],
      ['the leap day', { due_date: '2028-02-29' }],
      ['an instant with an offset', { due_at: '2026-12-01T17:00:00+01:00', time_zone: 'Europe/Berlin' }],
      ['an instant in UTC', { due_at: '2026-12-01T16:00:00Z', time_zone: 'UTC' }],
      [
        'an instant with fractions and another zone',
        { due_at: '2026-07-04T09:30:00.250-04:00', time_zone: 'America/New_York' },
      ],
      [
        "an instant whose offset is not its zone's",
        { due_at: '2026-12-01T08:00:00+09:00', time_zone: 'Europe/Berlin' },
      ],
      ['an instant at a leap second', { due_at: '2026-12-31T23:59:60Z', time_zone: 'UTC' }],
    ];
    for (const [name, fields] of roundTrips) {
      it(name, async () => {
        const alice = suite.newUser();
        const task = await alice.createTask(fields);
        const expected = { due_date: null, due_at: null, time_zone: null, ...fields };
        expect({ due_date: task.due_date, due_at: task.due_at, time_zone: task.time_zone }).to.deep.equal(expected);
        const read = (await alice.call<Task>('GET', `/tasks/${task.id}`)).body;
        expect({ due_date: read.due_date, due_at: read.due_at, time_zone: read.time_zone }).to.deep.equal(expected);
      });
    }

    const refused: [string, Record<string, unknown>, string][] = [
      ['an impossible date', { due_date: '2026-02-30' }, '/due_date'],
      ['the 29th of February of a common year', { due_date: '2027-02-29' }, '/due_date'],
      ['an impossible instant', { due_at: '2026-13-01T10:00:00Z', time_zone: 'UTC' }, '/due_at'],
      ['an instant without an offset', { due_at: '2026-12-01T10:00:00', time_zone: 'UTC' }, '/due_at'],
      ['an instant past year 9999 in UTC', { due_at: '9999-12-31T23:59:59-23:59', time_zone: 'UTC' }, '/due_at'],
      // Rules between fields are the schema's `not`: its error points at the body as a whole.
      ['both forms at once', { due_date: '2026-12-01', due_at: '2026-12-01T10:00:00Z', time_zone: 'UTC' }, ''],
      ['an instant without a zone', { due_at: '2026-12-01T10:00:00Z' }, ''],
      ['an unknown zone', { due_at: '2026-12-01T10:00:00Z', time_zone: 'Mars/Olympus_Mons' }, '/time_zone'],
      ['a zone without a due', { time_zone: 'Europe/Berlin' }, ''],
    ];
    for (const [name, fields, pointer] of refused) {
      it(`refuses ${name}`, async () => {
        const alice = suite.newUser();
        expect(pointersOf(await alice.call('POST', '/tasks', { json: { title: 'x', ...fields } }))).to.include(pointer);
        expect((await alice.call<TaskList>('GET', '/tasks')).body.items).to.deep.equal([]);
      });
    }

    it('moves from an instant to a date only when the patch clears the instant', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask({ due_at: '2026-12-01T17:00:00+01:00', time_zone: 'Europe/Berlin' });
      expect(
        pointersOf(await alice.call('PATCH', `/tasks/${task.id}`, { json: { due_date: '2026-12-02' } })),
      ).to.deep.equal(['/due_at']);
      expect((await alice.call<Task>('GET', `/tasks/${task.id}`)).body.due_at).to.equal('2026-12-01T17:00:00+01:00');
      const moved = await alice.call<Task>('PATCH', `/tasks/${task.id}`, {
        json: { due_date: '2026-12-02', due_at: null },
      });
      expect(moved.body).to.include({ due_date: '2026-12-02', due_at: null, time_zone: 'Europe/Berlin' });
    });

    it('clears the due and its zone together, and a replace resets them', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask({ due_date: '2026-12-01', time_zone: 'Europe/Berlin' });
      expect(pointersOf(await alice.call('PATCH', `/tasks/${task.id}`, { json: { due_date: null } }))).to.deep.equal([
        '/time_zone',
      ]);
      const cleared = await alice.call<Task>('PATCH', `/tasks/${task.id}`, {
        json: { due_date: null, time_zone: null },
      });
      expect(cleared.body).to.include({ due_date: null, due_at: null, time_zone: null });
      const dated = await alice.createTask({ due_date: '2026-12-01' });
      const replaced = await alice.call<Task>('PUT', `/tasks/${dated.id}`, {
        json: { title: 'x', description: null, completed: false },
      });
      expect(replaced.body.due_date).to.equal(null);
    });
  });

  describe('recurrence rules', () => {
    it('are stored with every member, and the first occurrence is its own series', async () => {
      const task = await suite.newUser().createTask({ due_date: '2026-12-01', recurrence: { frequency: 'monthly' } });
      expect(task.recurrence).to.deep.equal({
        frequency: 'monthly',
        interval: 1,
        weekdays: [],
        until: null,
        count: null,
        mode: 'from_due',
      });
      expect(task.series_id).to.equal(task.id);
      expect(task.next_occurrence_id).to.equal(null);
    });

    const refused: [string, Record<string, unknown>, string][] = [
      ['a rule without a due', { recurrence: { frequency: 'daily' } }, ''],
      [
        'weekdays on a monthly rule',
        { due_date: '2026-12-01', recurrence: { frequency: 'monthly', weekdays: ['monday'] } },
        '/recurrence',
      ],
      [
        'until and count together',
        { due_date: '2026-12-01', recurrence: { frequency: 'daily', until: '2027-01-01', count: 3 } },
        '/recurrence',
      ],
      [
        'until before the due date',
        { due_date: '2026-12-01', recurrence: { frequency: 'daily', until: '2026-11-30' } },
        '/recurrence/until',
      ],
      [
        'an interval of 0',
        { due_date: '2026-12-01', recurrence: { frequency: 'daily', interval: 0 } },
        '/recurrence/interval',
      ],
      [
        'an unknown frequency',
        { due_date: '2026-12-01', recurrence: { frequency: 'hourly' } },
        '/recurrence/frequency',
      ],
      [
        'a repeated weekday',
        { due_date: '2026-12-01', recurrence: { frequency: 'weekly', weekdays: ['monday', 'monday'] } },
        '/recurrence/weekdays',
      ],
    ];
    for (const [name, fields, pointer] of refused) {
      it(`refuse ${name}`, async () => {
        const alice = suite.newUser();
        expect(pointersOf(await alice.call('POST', '/tasks', { json: { title: 'x', ...fields } }))).to.include(pointer);
        expect((await alice.call<TaskList>('GET', '/tasks')).body.items).to.deep.equal([]);
      });
    }

    it('cannot lose their due: clearing the due of a recurring task is refused', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask({ due_date: '2026-12-01', recurrence: { frequency: 'weekly' } });
      expect(pointersOf(await alice.call('PATCH', `/tasks/${task.id}`, { json: { due_date: null } }))).to.deep.equal([
        '/recurrence',
      ]);
      const stopped = await alice.call<Task>('PATCH', `/tasks/${task.id}`, {
        json: { due_date: null, recurrence: null },
      });
      expect(stopped.body).to.include({ due_date: null, recurrence: null, series_id: null });
    });
  });
});
