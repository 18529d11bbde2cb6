import { expect } from 'chai';
import { nextDue } from '../../src/tasks/recurrence.js';
import type { Due, Recurrence, TimeZone } from '../../src/tasks/task-fields.js';

/** A first due: a date (`2026-01-31`) or an instant (with a zone). */
function firstDue(due: string, zone: TimeZone | null): Due {
  return due.includes('T')
    ? { due_date: null, due_at: due, time_zone: zone }
    : { due_date: due, due_at: null, time_zone: zone };
}

const text = (due: Due) => due.due_date ?? due.due_at;

/** A rule with the spec's defaults for what it leaves out. */
type Rule = Pick<Recurrence, 'frequency'> & Partial<Recurrence>;
const withDefaults = (rule: Rule): Recurrence => ({ interval: 1, mode: 'from_due', ...rule });

/** The dues of a series completed occurrence after occurrence, from the first: at most `length`, null once it ends. */
function series(first: string, zone: TimeZone | null, rule: Rule, length: number): (string | null)[] {
  const dues: (string | null)[] = [first];
  let due: Due | null = firstDue(first, zone);
  while (due !== null && dues.length < length) {
    due = nextDue({
      due,
      recurrence: withDefaults(rule),
      anchor: first,
      occurrence: dues.length,
      completedAt: new Date('2000-01-01T00:00:00Z'),
    });
    dues.push(due && text(due));
  }
  return dues;
}

describe('recurrence: the next due, from the due', () => {
  const cases: { name: string; zone?: TimeZone; recurrence: Rule; dues: (string | null)[] }[] = [
    {
      name: 'daily keeps the local time as Berlin springs forward',
      zone: 'Europe/Berlin',
      recurrence: { frequency: 'daily' },
      dues: ['2026-03-28T09:00:00+01:00', '2026-03-29T09:00:00+02:00', '2026-03-30T09:00:00+02:00'],
    },
    {
      name: 'daily keeps the local time as Berlin falls back',
      zone: 'Europe/Berlin',
      recurrence: { frequency: 'daily' },
      dues: ['2026-10-24T09:00:00+02:00', '2026-10-25T09:00:00+01:00', '2026-10-26T09:00:00+01:00'],
    },
    {
      name: 'weekly keeps the local time as New York springs forward',
      zone: 'America/New_York',
      recurrence: { frequency: 'weekly' },
      dues: ['2026-03-05T18:30:00-05:00', '2026-03-12T18:30:00-04:00'],
    },
    {
      name: 'weekly keeps the local time as New York falls back',
      zone: 'America/New_York',
      recurrence: { frequency: 'weekly' },
      dues: ['2026-10-29T07:00:00-04:00', '2026-11-05T07:00:00-05:00'],
    },
    {
      name: 'a time the clocks skip moves on by the gap; the next keeps the first due time',
      zone: 'Europe/Berlin',
      recurrence: { frequency: 'daily' },
      dues: ['2026-03-28T02:30:00+01:00', '2026-03-29T03:30:00+02:00', '2026-03-30T02:30:00+02:00'],
    },
    {
      name: 'a time the clocks repeat is its first occurrence (Berlin)',
      zone: 'Europe/Berlin',
      recurrence: { frequency: 'daily' },
      dues: ['2026-10-24T02:30:00+02:00', '2026-10-25T02:30:00+02:00', '2026-10-26T02:30:00+01:00'],
    },
    {
      name: 'a time the clocks repeat is its first occurrence (New York)',
      zone: 'America/New_York',
      recurrence: { frequency: 'daily' },
      dues: ['2026-10-31T01:30:00-04:00', '2026-11-01T01:30:00-04:00', '2026-11-02T01:30:00-05:00'],
    },
    {
      name: 'an instant sent with another offset repeats at its local time, with the zone offset',
      zone: 'Europe/Berlin',
      recurrence: { frequency: 'daily' },
      dues: ['2026-12-01T17:00:00Z', '2026-12-02T18:00:00+01:00'],
    },
    {
      name: 'milliseconds are kept',
      zone: 'Europe/Berlin',
      recurrence: { frequency: 'daily' },
      dues: ['2026-12-01T17:00:00.250+01:00', '2026-12-02T17:00:00.250+01:00'],
    },
    {
      name: 'daily every 3 days across the end of February',
      recurrence: { frequency: 'daily', interval: 3 },
      dues: ['2026-02-27', '2026-03-02', '2026-03-05'],
    },
    {
      name: 'daily every 3 days across the end of February in a leap year',
      recurrence: { frequency: 'daily', interval: 3 },
      dues: ['2028-02-27', '2028-03-01'],
    },
    {
      name: 'monthly on the 31st: Feb 28, then back to the 31st',
      recurrence: { frequency: 'monthly' },
      dues: ['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31'],
    },
    {
      name: 'monthly on the 31st in a leap year: Feb 29',
      recurrence: { frequency: 'monthly' },
      dues: ['2028-01-31', '2028-02-29', '2028-03-31'],
    },
    {
      name: 'monthly at an instant, across a month end and a DST change',
      zone: 'America/New_York',
      recurrence: { frequency: 'monthly' },
      dues: ['2026-01-31T09:00:00-05:00', '2026-02-28T09:00:00-05:00', '2026-03-31T09:00:00-04:00'],
    },
    {
      name: 'every 3 months on the 30th, across a year end',
      recurrence: { frequency: 'monthly', interval: 3 },
      dues: ['2026-11-30', '2027-02-28', '2027-05-30'],
    },
    {
      name: 'yearly on Feb 29: Feb 28 until the next leap year',
      recurrence: { frequency: 'yearly' },
      dues: ['2028-02-29', '2029-02-28', '2030-02-28', '2031-02-28', '2032-02-29'],
    },
    {
      name: 'every 2 weeks on Monday and Thursday',
      recurrence: { frequency: 'weekly', interval: 2, weekdays: ['monday', 'thursday'] },
      dues: ['2026-01-05', '2026-01-08', '2026-01-19', '2026-01-22', '2026-02-02'],
    },
    {
      name: 'every 2 weeks on Monday and Thursday, from an unlisted Wednesday',
      recurrence: { frequency: 'weekly', interval: 2, weekdays: ['thursday', 'monday'] },
      dues: ['2026-01-07', '2026-01-08', '2026-01-19', '2026-01-22'],
    },
    {
      name: 'every 2 weeks on Sunday and Monday: weeks start on Monday',
      recurrence: { frequency: 'weekly', interval: 2, weekdays: ['sunday', 'monday'] },
      dues: ['2026-01-05', '2026-01-11', '2026-01-19', '2026-01-25'],
    },
    {
      name: 'weekly on listed weekdays at an instant, across a DST change',
      zone: 'Europe/Berlin',
      recurrence: { frequency: 'weekly', weekdays: ['friday', 'monday'] },
      dues: ['2026-03-27T07:15:00+01:00', '2026-03-30T07:15:00+02:00', '2026-04-03T07:15:00+02:00'],
    },
    {
      name: 'every 3 weeks on the due weekday',
      recurrence: { frequency: 'weekly', interval: 3 },
      dues: ['2026-01-07', '2026-01-28', '2026-02-18'],
    },
    {
      name: 'until is inclusive',
      recurrence: { frequency: 'daily', until: '2026-01-10' },
      dues: ['2026-01-08', '2026-01-09', '2026-01-10', null],
    },
    {
      name: 'until ends the series when the next would pass it',
      recurrence: { frequency: 'weekly', until: '2026-01-20' },
      dues: ['2026-01-07', '2026-01-14', null],
    },
    {
      name: 'until is compared as a local date',
      zone: 'America/New_York',
      recurrence: { frequency: 'daily', until: '2026-01-10' },
      dues: ['2026-01-09T23:30:00-05:00', '2026-01-10T23:30:00-05:00', null],
    },
    {
      name: 'count is the number of occurrences in all',
      recurrence: { frequency: 'daily', count: 3 },
      dues: ['2026-01-01', '2026-01-02', '2026-01-03', null],
    },
    {
      name: 'a count of 1 has no next occurrence',
      recurrence: { frequency: 'monthly', count: 1 },
      dues: ['2026-01-01', null],
    },
    {
      name: 'the series ends after the year 9999',
      recurrence: { frequency: 'yearly', interval: 999 },
      dues: ['9500-06-01', null],
    },
  ];
  for (const { name, zone, recurrence, dues } of cases) {
    it(name, () => {
      expect(series(dues[0]!, zone ?? null, recurrence, dues.length)).to.deep.equal(dues);
    });
  }
});

describe('recurrence: the next due, from the completion', () => {
  const cases: {
    name: string;
    due: string;
    zone?: TimeZone;
    recurrence: Rule;
    completedAt: string;
    next: string | null;
  }[] = [
    {
      name: 'a late completion counts from its day',
      due: '2026-01-05',
      recurrence: { frequency: 'daily', interval: 2 },
      completedAt: '2026-01-09T10:00:00Z',
      next: '2026-01-11',
    },
    {
      name: 'an early completion counts from its day',
      due: '2026-01-10',
      recurrence: { frequency: 'daily' },
      completedAt: '2026-01-05T10:00:00Z',
      next: '2026-01-06',
    },
    {
      name: 'the completion day is in the task zone',
      due: '2026-01-05',
      zone: 'Pacific/Auckland',
      recurrence: { frequency: 'daily' },
      completedAt: '2026-01-09T23:30:00Z',
      next: '2026-01-11',
    },
    {
      name: 'the completion day is in UTC for an all-day task without a zone',
      due: '2026-01-05',
      recurrence: { frequency: 'daily' },
      completedAt: '2026-01-09T23:30:00Z',
      next: '2026-01-10',
    },
    {
      name: 'an instant keeps its local time of day',
      due: '2026-01-05T08:00:00+01:00',
      zone: 'Europe/Berlin',
      recurrence: { frequency: 'daily' },
      completedAt: '2026-01-09T23:30:00Z',
      next: '2026-01-11T08:00:00+01:00',
    },
    {
      name: 'monthly keeps the completion day of the month',
      due: '2026-01-31',
      recurrence: { frequency: 'monthly' },
      completedAt: '2026-03-10T12:00:00Z',
      next: '2026-04-10',
    },
    {
      name: 'listed weekdays: later in the week of the completion',
      due: '2026-01-05',
      recurrence: { frequency: 'weekly', interval: 2, weekdays: ['monday', 'thursday'] },
      completedAt: '2026-01-13T12:00:00Z',
      next: '2026-01-15',
    },
    {
      name: 'listed weekdays: in the series week after the completion week',
      due: '2026-01-05',
      recurrence: { frequency: 'weekly', interval: 2, weekdays: ['monday', 'thursday'] },
      completedAt: '2026-01-16T12:00:00Z',
      next: '2026-01-26',
    },
    {
      name: 'until still ends the series',
      due: '2026-01-05',
      recurrence: { frequency: 'daily', until: '2026-01-10' },
      completedAt: '2026-01-10T12:00:00Z',
      next: null,
    },
  ];
  for (const { name, due, zone, recurrence, completedAt, next } of cases) {
    it(name, () => {
      const following = nextDue({
        due: firstDue(due, zone ?? null),
        recurrence: withDefaults({ ...recurrence, mode: 'from_completion' }),
        anchor: due,
        occurrence: 1,
        completedAt: new Date(completedAt),
      });
      expect(following && text(following)).to.equal(next);
    });
  }
});
