import type { components } from '../../generated/api.js';
import { definitionsOf, storedReminders, type ReminderDefinition } from '../reminders/reminder-schedule.js';
import { completeRecurrence, dueColumns, normalizeTags, PRIORITIES, type Due, type Recurrence } from './task-fields.js';
import { InvalidTaskError } from './task-errors.js';
import type { TaskDetails, TaskRow } from './tasks.store.js';

type Schemas = components['schemas'];

/** The writable fields that decide when a task is due, how it repeats and when it reminds. */
export const SCHEDULE_FIELDS = ['due_date', 'due_at', 'time_zone', 'recurrence', 'reminders'] as const;
type Schedule = { [K in Exclude<(typeof SCHEDULE_FIELDS)[number], 'reminders'>]?: Schemas['TaskPatch'][K] } & {
  /** With ids: the reminders a next occurrence takes over. */
  readonly reminders?: readonly (ReminderDefinition & { readonly id?: string })[];
};

/** Priority, tags and schedule of a create or a replace: absent fields take their defaults. */
export function details(input: Schemas['TaskCreate'], current?: TaskRow): TaskDetails {
  return {
    priority: PRIORITIES.indexOf(input.priority ?? 'none'),
    tags: normalizeTags(input.tags ?? []),
    ...scheduleColumns(input, current),
  };
}

/**
 * The due, recurrence and reminder columns, checked together. A new due or rule (re)starts the
 * series from this due; writing the task's own due and rule again keeps its series' first due.
 * The reminders are placed relative to the due (see storedReminders: the task's own, `current`,
 * keep their ids and state).
 */
export function scheduleColumns(
  schedule: Schedule,
  current?: TaskRow,
): Pick<
  TaskDetails,
  | 'due_date'
  | 'due_at'
  | 'due_at_text'
  | 'time_zone'
  | 'due_key'
  | 'overdue_at'
  | 'recurrence'
  | 'recurrence_anchor'
  | 'reminders'
> {
  const recurrence = schedule.recurrence ? completeRecurrence(schedule.recurrence) : null;
  const due = dueColumns(
    { due_date: schedule.due_date ?? null, due_at: schedule.due_at ?? null, time_zone: schedule.time_zone ?? null },
    recurrence,
  );
  const reminders = storedReminders(schedule.reminders ?? [], due, new Date(), current?.reminders);
  if ('issues' in reminders) throw new InvalidTaskError(reminders.issues);
  return {
    due_date: due.due_date,
    due_at: due.due_key && due.due_at !== null ? due.due_key : null,
    due_at_text: due.due_at,
    time_zone: due.time_zone,
    due_key: due.due_key,
    overdue_at: due.overdue_at,
    recurrence,
    recurrence_anchor:
      recurrence === null
        ? null
        : current && sameSchedule(current, due, recurrence)
          ? current.recurrence_anchor
          : (due.due_date ?? due.due_at),
    reminders: reminders.reminders,
  };
}

function sameSchedule(row: TaskRow, due: Due, recurrence: Recurrence): boolean {
  return (
    row.due_date === due.due_date &&
    row.due_at_text === due.due_at &&
    row.time_zone === due.time_zone &&
    row.recurrence !== null &&
    JSON.stringify(completeRecurrence(row.recurrence)) === JSON.stringify(recurrence)
  );
}

export function currentSchedule(row: TaskRow): Schedule {
  return {
    due_date: row.due_date,
    due_at: row.due_at_text,
    time_zone: row.time_zone,
    recurrence: row.recurrence,
    reminders: definitionsOf(row.reminders),
  };
}

export function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => key in object).map((key) => [key, object[key]])) as Partial<
    Pick<T, K>
  >;
}
