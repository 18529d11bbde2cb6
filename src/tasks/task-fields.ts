import { DateTime } from 'luxon';
import type { components } from '../../generated/api.js';
import { dueInZone, parseInstant } from './instants.js';
import { InvalidTaskError, type TaskIssue } from './task-errors.js';

type Schemas = components['schemas'];
export type Priority = Schemas['Priority'];
export type Recurrence = NonNullable<Schemas['Recurrence']>;
/** A zone the spec lists (the validator refuses any other), every one a zone Luxon computes in. */
export type TimeZone = NonNullable<Schemas['TimeZone']>;

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
  readonly time_zone: TimeZone | null;
}

/** The due columns: what the client sent, plus the instants the task counts as due and as overdue. */
export interface DueColumns extends Due {
  readonly due_key: Date | null;
  readonly overdue_at: Date | null;
}

/**
 * Refuses combinations that depend on more than the body (a merge patch over the task as it is),
 * or that no schema can say (an offset that moves the instant out of years 1-9999); returns the
 * columns to store. What the spec states alone (the zone list, the date range, both due forms in
 * one body...) the validator has already refused.
 */
export function dueColumns(due: Due, recurrence: Recurrence | null): DueColumns {
  const issues: TaskIssue[] = [];
  const instant = due.due_at === null ? undefined : parseInstant(due.due_at);
  if (due.due_date !== null && due.due_at !== null)
    issues.push({ pointer: '/due_at', message: 'must not be set together with due_date' });
  else if (due.due_at !== null && instant === undefined)
    issues.push({ pointer: '/due_at', message: 'must be an instant in years 1 to 9999 (UTC)' });
  if (due.due_at !== null && due.time_zone === null)
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
  if (due.due_date === null && due.due_at === null)
    return [{ pointer: '/recurrence', message: 'needs due_date or due_at' }];
  const start = firstDueDate(due);
  return recurrence.until != null && start !== null && recurrence.until < start
    ? [{ pointer: '/recurrence/until', message: 'must not be before the due date' }]
    : [];
}

/** The calendar day a task is first due (null when its instant is out of range, which is refused already). */
function firstDueDate(due: Due): string | null {
  if (due.due_date !== null) return due.due_date;
  return due.due_at === null ? null : dueInZone(due.due_at, due.time_zone ?? 'UTC').toISODate();
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
