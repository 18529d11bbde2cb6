import { DateTime, IANAZone } from 'luxon';
import type { components } from '../../generated/api.js';
import { dueInZone, EARLIEST_DUE_DATE, LATEST_DUE_DATE, parseInstant } from './instants.js';
import { InvalidTaskError, type TaskIssue } from './task-errors.js';

type Schemas = components['schemas'];
export type Priority = Schemas['Priority'];
export type Recurrence = NonNullable<Schemas['Recurrence']>;

/** Priorities in order of importance: stored as their index, so that they sort. */
export const PRIORITIES: readonly Priority[] = ['none', 'low', 'medium', 'high'];

const MAX_TAG_LENGTH = 40;

/** A tag as stored and compared: Unicode NFC, trimmed, in lower case. */
export function normalizeTag(tag: string): string {
  // NFC first: `café` typed precomposed or decomposed is one tag.
  return tag.normalize('NFC').trim().toLowerCase();
}

/**
 * Tags as stored: trimmed, lower case, each once (first occurrence first). Lower-casing can
 * lengthen a tag (`İ` is two code points in lower case): those over 40 are refused.
 */
export function normalizeTags(tags: readonly string[]): string[] {
  const normalized = tags.map(normalizeTag);
  const tooLong = normalized.findIndex((tag) => [...tag].length > MAX_TAG_LENGTH);
  // Pointed at by its place in the request, before duplicates are dropped.
  if (tooLong !== -1)
    throw new InvalidTaskError([
      { pointer: `/tags/${tooLong}`, message: `must NOT have more than ${MAX_TAG_LENGTH} characters in lower case` },
    ]);
  return [...new Set(normalized)];
}

/** A task's due fields, as the API shows them. */
export interface Due {
  readonly due_date: string | null;
  readonly due_at: string | null;
  readonly time_zone: string | null;
}

/** The due columns: what the client sent, plus the instants the task counts as due and as overdue. */
export interface DueColumns extends Due {
  readonly due_key: Date | null;
  readonly overdue_at: Date | null;
}

/** An IANA zone: not Luxon's own names (`system`, `local`) or fixed offsets (`UTC+3`), which would vary by server or ignore daylight saving. */
export function isKnownTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** Refuses combinations the spec rules out; returns the columns to store. */
export function dueColumns(due: Due, recurrence: Recurrence | null): DueColumns {
  const issues: TaskIssue[] = [];
  const instant = due.due_at === null ? undefined : parseInstant(due.due_at);
  if (due.due_date !== null && due.due_at !== null)
    issues.push({ pointer: '/due_at', message: 'must not be set together with due_date' });
  else if (due.due_at !== null && instant === undefined)
    issues.push({ pointer: '/due_at', message: 'must be an instant in years 1 to 9999 (UTC)' });
  if (due.due_date !== null && (due.due_date < EARLIEST_DUE_DATE || due.due_date > LATEST_DUE_DATE)) {
    issues.push({ pointer: '/due_date', message: `must be from ${EARLIEST_DUE_DATE} to ${LATEST_DUE_DATE}` });
  }
  if (due.time_zone !== null && !isKnownTimeZone(due.time_zone))
    issues.push({ pointer: '/time_zone', message: 'must be a known IANA time zone' });
  else if (due.due_at !== null && due.time_zone === null)
    issues.push({ pointer: '/time_zone', message: 'is required with due_at' });
  else if (due.time_zone !== null && due.due_date === null && due.due_at === null)
    issues.push({ pointer: '/time_zone', message: 'needs due_date or due_at' });
  if (recurrence !== null) issues.push(...recurrenceIssues(recurrence, due));
  if (issues.length > 0) throw new InvalidTaskError(issues);

  if (instant !== undefined) return { ...due, due_key: instant, overdue_at: instant };
  if (due.due_date !== null) {
    // An all-day task is due from the start of its day, and overdue once the day is over.
    const day = DateTime.fromISO(due.due_date, { zone: due.time_zone ?? 'UTC' }).startOf('day');
    return { ...due, due_key: day.toJSDate(), overdue_at: day.plus({ days: 1 }).toJSDate() };
  }
  return { ...due, due_key: null, overdue_at: null };
}

function recurrenceIssues(recurrence: Recurrence, due: Due): TaskIssue[] {
  const issues: TaskIssue[] = [];
  if (due.due_date === null && due.due_at === null)
    issues.push({ pointer: '/recurrence', message: 'needs due_date or due_at' });
  if (recurrence.weekdays !== undefined && recurrence.weekdays.length > 0 && recurrence.frequency !== 'weekly') {
    issues.push({ pointer: '/recurrence/weekdays', message: 'is only for weekly rules' });
  }
  if (recurrence.until != null && recurrence.count != null)
    issues.push({ pointer: '/recurrence/count', message: 'must not be set together with until' });
  const start = firstDueDate(due);
  if (recurrence.until != null && start !== null && recurrence.until < start)
    issues.push({ pointer: '/recurrence/until', message: 'must not be before the due date' });
  return issues;
}

/** The calendar day a task is first due; unknown while its zone is (Luxon would read `system` or `local` as the host's zone). */
function firstDueDate(due: Due): string | null {
  if (due.due_date !== null) return due.due_date;
  if (due.due_at === null || (due.time_zone !== null && !isKnownTimeZone(due.time_zone))) return null;
  return dueInZone(due.due_at, due.time_zone ?? 'UTC').toISODate();
}

/** The recurrence as stored and shown: every member present. */
export function completeRecurrence(recurrence: Recurrence): Recurrence {
  return {
    frequency: recurrence.frequency,
    interval: recurrence.interval ?? 1,
    weekdays: recurrence.weekdays ?? [],
    until: recurrence.until ?? null,
    count: recurrence.count ?? null,
    mode: recurrence.mode ?? 'from_due',
  };
}
