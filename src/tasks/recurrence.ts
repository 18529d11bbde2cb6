/**
 * The due of a recurring task's next occurrence. Rules:
 * - Dates are local dates in the task's time zone (UTC for an all-day task without one).
 * - `from_due`: the next date after the current occurrence's due that fits the rule, counted
 *   from the series' first due (`recurrence_anchor`). `from_completion`: the same, as if the
 *   series started on the day the occurrence was completed.
 * - daily: `interval` days later. weekly: `interval` weeks later; with `weekdays`, the next listed
 *   weekday in the series' weeks, which are `interval` weeks apart from the first due's week
 *   (weeks start on Monday). monthly / yearly: `interval` months / years later, on the first
 *   due's day of the month, or the month's last day when it is shorter
 *   (Jan 31 → Feb 28, or 29 in a leap year → Mar 31; Feb 29 yearly → Feb 28 → ... → Feb 29).
 * - A due instant keeps the first due's local time of day in the task's zone, across daylight
 *   saving changes (as RFC 5545 says: a time the clocks skip moves on by the gap, 02:30 → 03:30;
 *   a time they repeat is its first occurrence), and reads back in RFC 3339 with the zone's offset.
 * - The series ends (no next occurrence) after `count` occurrences, when the next date would be
 *   after `until` (inclusive, compared as local dates), or beyond the dues the API can store
 *   (years 1 to 9999).
 */
import { DateTime, FixedOffsetZone } from 'luxon';
import type { components } from '../../generated/api.js';
import { dueInZone, isStorableInstant, LATEST_DUE_DATE } from './instants.js';
import type { Due, Recurrence } from './task-fields.js';

type Weekday = components['schemas']['Weekday'];

/** Luxon numbers weekdays from 1 (Monday) to 7 (Sunday). */
const WEEKDAYS: readonly Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** An occurrence as it is being completed. */
export interface CompletedOccurrence {
  readonly due: Due;
  readonly recurrence: Recurrence;
  /** The series' first due, as sent: its day of the month and local time of day are kept. */
  readonly anchor: string;
  /** Its place in the series, from 1. */
  readonly occurrence: number;
  readonly completedAt: Date;
}

/** The next occurrence's due, in the same form as the current one, or null when the series ends. */
export function nextDue(completed: CompletedOccurrence): Due | null {
  const { frequency, interval, weekdays = [], until = null, count = null, mode } = completed.recurrence;
  if (count !== null && completed.occurrence >= count) return null;
  const zone = completed.due.time_zone ?? 'UTC';
  const anchor = dueInZone(completed.anchor, zone);
  const start =
    mode === 'from_due'
      ? {
          after: calendarDay(dueInZone((completed.due.due_date ?? completed.due.due_at)!, zone)),
          first: calendarDay(anchor),
        }
      : restartOn(calendarDay(DateTime.fromJSDate(completed.completedAt, { zone })));
  const day = nextDay({ frequency, interval, weekdays }, start.after, start.first);
  const date = day.toISODate()!;
  // Past year 9999 the ISO date grows a sign (`+010000-…`): compare years before text.
  if ((until !== null && date > until) || day.year > 9999 || date > LATEST_DUE_DATE) return null;
  if (completed.due.due_date !== null) return { due_date: date, due_at: null, time_zone: completed.due.time_zone };
  const { hour, minute, second, millisecond } = anchor;
  const at = atLocalTime({ year: day.year, month: day.month, day: day.day, hour, minute, second, millisecond }, zone);
  if (!isStorableInstant(at.toJSDate())) return null;
  return { due_date: null, due_at: at.toISO({ suppressMilliseconds: true }), time_zone: completed.due.time_zone };
}

/** A local date as midnight UTC, so that day arithmetic knows no daylight saving. */
function calendarDay(local: DateTime): DateTime {
  return DateTime.utc(local.year, local.month, local.day);
}

/** `from_completion`: the completion day is both the day to count from and the series' first. */
function restartOn(day: DateTime) {
  return { after: day, first: day };
}

interface Rule {
  readonly frequency: Recurrence['frequency'];
  readonly interval: number;
  readonly weekdays: readonly Weekday[];
}

/** The rule's next day after `after`, in a series that started on `first`. */
function nextDay(rule: Rule, after: DateTime, first: DateTime): DateTime {
  switch (rule.frequency) {
    case 'daily':
      return after.plus({ days: rule.interval });
    case 'weekly':
      return rule.weekdays.length === 0 ? after.plus({ weeks: rule.interval }) : nextListedWeekday(rule, after);
    case 'monthly':
      return onDayOfMonth(after.startOf('month').plus({ months: rule.interval }), first.day);
    case 'yearly':
      return onDayOfMonth(after.startOf('month').plus({ years: rule.interval }), first.day);
  }
}

/** The day of the month, or the month's last day when the month is shorter. */
function onDayOfMonth(month: DateTime, day: number): DateTime {
  return month.set({ day: Math.min(day, month.daysInMonth!) });
}

/**
 * The next listed weekday after `after`: later in its week, else in the week `interval` weeks on.
 * `after` is always in one of the series' weeks: the first due's (setting a due restarts the
 * series), a later one's, or the completion's (which restarts it too).
 */
function nextListedWeekday(rule: Rule, after: DateTime): DateTime {
  const listed = rule.weekdays.map((name) => WEEKDAYS.indexOf(name) + 1).sort((a, b) => a - b);
  const week = after.startOf('week');
  const laterThisWeek = listed.find((weekday) => weekday > after.weekday);
  if (laterThisWeek !== undefined) return week.plus({ days: laterThisWeek - 1 });
  return week.plus({ weeks: rule.interval, days: listed[0]! - 1 });
}

/**
 * The local time in the zone. Luxon moves a skipped time on by the gap, as RFC 5545 does, but
 * reads a repeated time as its second occurrence: take the first, at the offset in force before.
 */
export function atLocalTime(local: Parameters<typeof DateTime.fromObject>[0], zone: string): DateTime {
  const later = DateTime.fromObject(local, { zone });
  const offsetBefore = later.minus({ days: 1 }).offset;
  if (offsetBefore <= later.offset) return later;
  const earlier = DateTime.fromObject(local, { zone: FixedOffsetZone.instance(offsetBefore) }).setZone(zone);
  return earlier.offset === offsetBefore ? earlier : later;
}
