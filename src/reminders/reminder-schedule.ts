import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { components } from '../../generated/api.js';
import { isStorableInstant, parseInstant } from '../tasks/instants.js';
import { atLocalTime } from '../tasks/recurrence.js';
import type { TaskIssue } from '../tasks/task-errors.js';
import type { Due } from '../tasks/task-fields.js';

/** A reminder as the client writes it (absent members are null). */
export type ReminderDefinition = components['schemas']['ReminderDefinition'];

/**
 * A reminder as stored on its task (the `reminders` jsonb column): its definition, every member
 * present, and two instants in RFC 3339 UTC with milliseconds: `scheduled`, the instant it is for
 * in the current occurrence, and `fires_at`, the same while it is pending (null once fired, or
 * never to fire). The database's triggers disarm and re-arm `fires_at` as the task is completed,
 * trashed, reopened and restored (db/migrations/20261230020000_task_reminders.ts).
 */
export interface StoredReminder {
  readonly id: string;
  readonly at: string | null;
  readonly before_due: string | null;
  readonly time: string | null;
  readonly scheduled: string;
  readonly fires_at: string | null;
}

/** How far before its due a reminder may be: 30 days. */
const LONGEST_OFFSET_SECONDS = 30 * 24 * 60 * 60;

/** The ISO 8601 durations the spec allows (ReminderOffset.yaml): weeks, days, hours, minutes, seconds. */
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** A duration as calendar days (weeks included) and elapsed seconds. */
interface Offset {
  readonly days: number;
  readonly seconds: number;
}

function parseOffset(text: string): Offset {
  const [, weeks = '0', days = '0', hours = '0', minutes = '0', seconds = '0'] = DURATION.exec(text) ?? [];
  return {
    days: Number(weeks) * 7 + Number(days),
    seconds: Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds),
  };
}

/** What makes two definitions the same reminder: the same instant, or the same offset and time of day. */
function sameness(definition: Required<ReminderDefinition>): string {
  if (definition.at !== null) return `at ${parseInstant(definition.at)?.getTime()}`;
  const { days, seconds } = parseOffset(definition.before_due!);
  return `before ${days} ${seconds} ${definition.time}`;
}

function complete(definition: ReminderDefinition): Required<ReminderDefinition> {
  return { at: definition.at ?? null, before_due: definition.before_due ?? null, time: definition.time ?? null };
}

/**
 * The instant the reminder is for, given the task's due, or the rules it breaks (pointers into
 * `/reminders/{index}`). The spec's own rules (one of `at` and `before_due`, `time` only with
 * `before_due`, the duration's form) the validator has checked.
 */
function scheduledInstant(
  definition: Required<ReminderDefinition>,
  due: Due,
  at: string,
): { instant: Date } | { issues: TaskIssue[] } {
  if (definition.at !== null) {
    const instant = parseInstant(definition.at);
    return instant
      ? { instant }
      : { issues: [{ pointer: `${at}/at`, message: 'must be an instant in years 1 to 9999 (UTC)' }] };
  }
  const offset = parseOffset(definition.before_due!);
  const issues: TaskIssue[] = [];
  if (due.due_date === null && due.due_at === null)
    return { issues: [{ pointer: `${at}/before_due`, message: 'needs due_date or due_at' }] };
  if (offset.days * 86_400 + offset.seconds > LONGEST_OFFSET_SECONDS)
    issues.push({ pointer: `${at}/before_due`, message: 'must be at most 30 days (P30D)' });
  if (due.due_date !== null) {
    if (offset.seconds !== 0)
      issues.push({ pointer: `${at}/before_due`, message: 'must be whole days (such as P1D) on a task due on a date' });
    if (definition.time === null)
      issues.push({ pointer: `${at}/time`, message: 'is required on a task due on a date' });
  } else if (definition.time !== null)
    issues.push({ pointer: `${at}/time`, message: 'is only for a task due on a date (all day)' });
  if (issues.length > 0) return { issues };

  const zone = due.time_zone ?? 'UTC';
  let local: DateTime;
  if (due.due_date !== null) {
    // All day: that many days before the due date, at the time of day in the task's zone.
    const day = DateTime.fromISO(due.due_date, { zone: 'UTC' }).minus({ days: offset.days });
    const [hour, minute] = definition.time!.split(':').map(Number) as [number, number];
    local = atLocalTime({ year: day.year, month: day.month, day: day.day, hour, minute }, zone);
  } else {
    // Days on the calendar of the task's zone (the same time of day), then elapsed time.
    local = DateTime.fromJSDate(parseInstant(due.due_at!)!, { zone })
      .minus({ days: offset.days })
      .minus({ seconds: offset.seconds });
  }
  const instant = local.toJSDate();
  return isStorableInstant(instant)
    ? { instant }
    : { issues: [{ pointer: `${at}/before_due`, message: 'must not move the reminder out of years 1 to 9999 (UTC)' }] };
}

/**
 * The reminders to store for these definitions on a task due `due` (checked already), or the
 * rules they break (an InvalidTaskError's issues). A definition the task already has (the same
 * instant, or the same offset and time: `previous`) keeps its id, and its `fires_at` while the
 * instant it is for is unchanged: pending stays pending even a moment past its time (the job
 * fires it), fired stays fired. Any other fires at its instant if that is after `now`, else never.
 * A definition with an id (the next occurrence of a series) keeps it.
 */
export function storedReminders(
  definitions: readonly (ReminderDefinition & { readonly id?: string })[],
  due: Due,
  now: Date,
  previous: readonly StoredReminder[] = [],
): { reminders: StoredReminder[] } | { issues: TaskIssue[] } {
  const unmatched = [...previous];
  const issues: TaskIssue[] = [];
  const reminders: StoredReminder[] = [];
  definitions.forEach((given, index) => {
    const definition = complete(given);
    const found = scheduledInstant(definition, due, `/reminders/${index}`);
    if ('issues' in found) {
      issues.push(...found.issues);
      return;
    }
    const scheduled = found.instant.toISOString();
    const place = unmatched.findIndex((reminder) => sameness(reminder) === sameness(definition));
    const match = place === -1 ? undefined : unmatched.splice(place, 1)[0];
    reminders.push({
      id: given.id ?? match?.id ?? randomUUID(),
      ...definition,
      scheduled,
      fires_at:
        match?.scheduled === scheduled ? match.fires_at : found.instant.getTime() > now.getTime() ? scheduled : null,
    });
  });
  return issues.length > 0 ? { issues } : { reminders };
}

/** The definitions of stored reminders, with their ids: what the next occurrence of a series is given. */
export function definitionsOf(reminders: readonly StoredReminder[]): (ReminderDefinition & { id: string })[] {
  return reminders.map(({ id, at, before_due, time }) => ({ id, at, before_due, time }));
}

/** The earliest instant these reminders are pending for, if any. */
export function earliestPending(reminders: readonly StoredReminder[]): Date | undefined {
  const pending = reminders.flatMap((reminder) => (reminder.fires_at === null ? [] : [Date.parse(reminder.fires_at)]));
  return pending.length === 0 ? undefined : new Date(Math.min(...pending));
}
