import { expect } from 'chai';
import {
  storedReminders,
  type ReminderDefinition,
  type StoredReminder,
} from '../../src/reminders/reminder-schedule.js';
import type { Due } from '../../src/tasks/task-fields.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const atInstant = (due_at: string, time_zone: Due['time_zone']): Due => ({ due_date: null, due_at, time_zone });
const onDate = (due_date: string, time_zone: Due['time_zone'] = null): Due => ({ due_date, due_at: null, time_zone });
const NO_DUE: Due = { due_date: null, due_at: null, time_zone: null };

function stored(
  definitions: (ReminderDefinition & { id?: string })[],
  due: Due,
  previous?: StoredReminder[],
  now = NOW,
): StoredReminder[] {
  const result = storedReminders(definitions, due, now, previous);
  if ('issues' in result) throw new Error(JSON.stringify(result.issues));
  return result.reminders;
}

function issues(definitions: ReminderDefinition[], due: Due) {
  const result = storedReminders(definitions, due, NOW);
  return 'issues' in result ? result.issues : [];
}

describe('reminders: the instant each is for', () => {
  const cases: { name: string; due: Due; definition: ReminderDefinition; scheduled: string }[] = [
    {
      name: 'at: the instant written, whatever its offset',
      due: NO_DUE,
      definition: { at: '2026-12-04T09:00:00+01:00' },
      scheduled: '2026-12-04T08:00:00.000Z',
    },
    {
      name: 'before a due instant: elapsed minutes',
      due: atInstant('2026-12-04T09:00:00+01:00', 'Europe/Berlin'),
      definition: { before_due: 'PT15M' },
      scheduled: '2026-12-04T07:45:00.000Z',
    },
    {
      name: 'P1D before a due instant: the same local time the day before, across the change to summer time',
      due: atInstant('2030-03-31T09:00:00+02:00', 'Europe/Berlin'),
      definition: { before_due: 'P1D' },
      scheduled: '2030-03-30T08:00:00.000Z', // 09:00 CET
    },
    {
      name: 'PT24H before the same due instant: 24 elapsed hours (08:00 CET the day before)',
      due: atInstant('2030-03-31T09:00:00+02:00', 'Europe/Berlin'),
      definition: { before_due: 'PT24H' },
      scheduled: '2030-03-30T07:00:00.000Z',
    },
    {
      name: 'weeks are seven calendar days',
      due: atInstant('2026-12-04T09:00:00Z', 'UTC'),
      definition: { before_due: 'P1W' },
      scheduled: '2026-11-27T09:00:00.000Z',
    },
    {
      name: 'zero: at the due',
      due: atInstant('2026-12-04T09:00:00Z', 'UTC'),
      definition: { before_due: 'PT0S' },
      scheduled: '2026-12-04T09:00:00.000Z',
    },
    {
      name: 'all day: days before the date, at the time of day in the task zone',
      due: onDate('2030-06-15', 'Europe/Berlin'),
      definition: { before_due: 'P1D', time: '09:00' },
      scheduled: '2030-06-14T07:00:00.000Z',
    },
    {
      name: 'all day without a zone: in UTC',
      due: onDate('2030-06-15'),
      definition: { before_due: 'P0D', time: '09:30' },
      scheduled: '2030-06-15T09:30:00.000Z',
    },
    {
      name: 'all day: a time the clocks skip moves on by the gap (02:30 is 03:30 CEST)',
      due: onDate('2030-03-31', 'Europe/Berlin'),
      definition: { before_due: 'P0D', time: '02:30' },
      scheduled: '2030-03-31T01:30:00.000Z',
    },
    {
      name: 'all day: a time the clocks repeat is its first occurrence (02:30 CEST)',
      due: onDate('2030-10-27', 'Europe/Berlin'),
      definition: { before_due: 'P0D', time: '02:30' },
      scheduled: '2030-10-27T00:30:00.000Z',
    },
    {
      name: 'the longest offset: 30 days',
      due: atInstant('2026-12-31T00:00:00Z', 'UTC'),
      definition: { before_due: 'PT720H' },
      scheduled: '2026-12-01T00:00:00.000Z',
    },
  ];
  for (const { name, due, definition, scheduled } of cases) {
    it(name, () => {
      const [reminder] = stored([definition], due);
      expect(reminder).to.deep.include({ scheduled, fires_at: scheduled });
    });
  }
});

describe('reminders: the rules that depend on the task', () => {
  const cases: { name: string; due: Due; definitions: ReminderDefinition[]; issues: [string, string][] }[] = [
    {
      name: 'before_due without a due',
      due: NO_DUE,
      definitions: [{ at: '2026-12-04T09:00:00Z' }, { before_due: 'PT15M' }],
      issues: [['/reminders/1/before_due', 'needs due_date or due_at']],
    },
    {
      name: 'time on a task due at an instant',
      due: atInstant('2026-12-04T09:00:00Z', 'UTC'),
      definitions: [{ before_due: 'PT15M', time: '09:00' }],
      issues: [['/reminders/0/time', 'is only for a task due on a date (all day)']],
    },
    {
      name: 'all day: hours, and no time',
      due: onDate('2026-12-04'),
      definitions: [{ before_due: 'PT2H' }],
      issues: [
        ['/reminders/0/before_due', 'must be whole days (such as P1D) on a task due on a date'],
        ['/reminders/0/time', 'is required on a task due on a date'],
      ],
    },
    {
      name: 'more than 30 days',
      due: atInstant('2026-12-04T09:00:00Z', 'UTC'),
      definitions: [{ before_due: 'P4W2DT1S' }, { before_due: 'P5W' }, { before_due: 'P99999999999999999999D' }],
      issues: [
        ['/reminders/0/before_due', 'must be at most 30 days (P30D)'],
        ['/reminders/1/before_due', 'must be at most 30 days (P30D)'],
        ['/reminders/2/before_due', 'must be at most 30 days (P30D)'],
      ],
    },
    {
      name: 'an instant out of years 1 to 9999 in UTC',
      due: NO_DUE,
      definitions: [{ at: '0001-01-01T00:30:00+01:00' }],
      issues: [['/reminders/0/at', 'must be an instant in years 1 to 9999 (UTC)']],
    },
    {
      name: 'a reminder before year 1',
      due: onDate('0001-01-02'),
      definitions: [{ before_due: 'P2D', time: '00:00' }],
      issues: [['/reminders/0/before_due', 'must not move the reminder out of years 1 to 9999 (UTC)']],
    },
  ];
  for (const { name, due, definitions, issues: expected } of cases) {
    it(name, () => {
      expect(issues(definitions, due).map(({ pointer, message }) => [pointer, message])).to.deep.equal(expected);
    });
  }
});

describe('reminders: ids and state across writes', () => {
  const due = atInstant('2026-12-04T09:00:00Z', 'UTC');

  it('a reminder whose instant has passed never fires; one ahead is pending', () => {
    const [past, ahead] = stored([{ at: '2026-05-31T23:59:59Z' }, { at: '2026-06-01T00:00:01Z' }], NO_DUE);
    expect([past!.fires_at, ahead!.fires_at]).to.deep.equal([null, '2026-06-01T00:00:01.000Z']);
  });

  it('written again (in another spelling), a reminder keeps its id and state; a new one gets a new id', () => {
    const first = stored([{ before_due: 'PT60M' }, { at: '2026-12-01T10:00:00+01:00' }], due);
    const fired = first.map((reminder, index) => (index === 0 ? { ...reminder, fires_at: null } : reminder));
    const again = stored([{ at: '2026-12-01T09:00:00Z' }, { before_due: 'PT1H' }, { before_due: 'PT2H' }], due, fired);
    expect(again.map((reminder) => reminder.id).slice(0, 2)).to.deep.equal([first[1]!.id, first[0]!.id]);
    expect(again[2]!.id)
      .to.match(/^[0-9a-f-]{36}$/)
      .and.not.be.oneOf(first.map((reminder) => reminder.id));
    expect(again.map((reminder) => reminder.fires_at)).to.deep.equal([
      '2026-12-01T09:00:00.000Z',
      null, // fired, and still for the same instant
      '2026-12-04T07:00:00.000Z',
    ]);
  });

  it('a pending reminder a moment past its time stays pending (the job has yet to fire it)', () => {
    const [pending] = stored([{ before_due: 'PT15M' }], due);
    const later = new Date('2026-12-04T08:45:00.500Z');
    const [kept] = stored([{ before_due: 'PT15M' }], due, [pending!], later);
    expect(kept!.fires_at).to.equal('2026-12-04T08:45:00.000Z');
  });

  it('a moved due moves the reminder, re-armed if ahead, even once fired', () => {
    const [fired] = stored([{ before_due: 'PT15M' }], due).map((reminder) => ({ ...reminder, fires_at: null }));
    const [moved] = stored([{ before_due: 'PT15M' }], atInstant('2026-12-05T09:00:00Z', 'UTC'), [fired!]);
    expect(moved).to.deep.include({ id: fired!.id, fires_at: '2026-12-05T08:45:00.000Z' });
  });

  it('ids given (the next occurrence of a series) are kept, and armed afresh', () => {
    const [reminder] = stored([{ id: 'kept-id', before_due: 'PT15M' }], due);
    expect(reminder).to.deep.include({ id: 'kept-id', fires_at: '2026-12-04T08:45:00.000Z' });
  });
});
