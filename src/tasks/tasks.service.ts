import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import type { ListView } from './list-query.js';
import { nextDue } from './recurrence.js';
import { TaskNotFoundError, TaskPreconditionFailedError } from './task-errors.js';
import * as store from './tasks.store.js';
import type { TaskChanges, TaskDetails, TaskRow } from './tasks.store.js';
import { completeRecurrence, dueColumns, normalizeTags, PRIORITIES, type Due, type Recurrence } from './task-fields.js';

type Schemas = components['schemas'];

export interface ListOptions extends ListView {
  readonly limit: number;
  readonly cursor: string | undefined;
}

export interface TaskPage {
  readonly rows: TaskRow[];
  readonly nextCursor: string | null;
}

export type TaskService = ReturnType<typeof createTaskService>;

/** A write's result: the task as it now is, and the next occurrence its completion created, if any. */
export interface Written {
  readonly row: TaskRow;
  readonly newOccurrence: TaskRow | null;
}

/**
 * What the writer expects of the task as it is (its `If-Match`): a write goes ahead only if the
 * task, read under the write's row lock, meets it.
 */
export type Precondition = (current: TaskRow) => boolean;

/** The user's task, once it meets the precondition (if any); otherwise TaskPreconditionFailedError. */
function meeting(precondition: Precondition | undefined, row: TaskRow): TaskRow {
  if (precondition !== undefined && !precondition(row)) throw new TaskPreconditionFailedError(row.id);
  return row;
}

/** The writable fields that decide when a task is due and how it repeats. */
const SCHEDULE_FIELDS = ['due_date', 'due_at', 'time_zone', 'recurrence'] as const;
type Schedule = { [K in (typeof SCHEDULE_FIELDS)[number]]?: Schemas['TaskPatch'][K] };

/** Priority, tags and schedule of a create or a replace: absent fields take their defaults. */
function details(input: Schemas['TaskCreate'], current?: TaskRow): TaskDetails {
  return {
    priority: PRIORITIES.indexOf(input.priority ?? 'none'),
    tags: normalizeTags(input.tags ?? []),
    ...scheduleColumns(input, current),
  };
}

/**
 * The due and recurrence columns, checked together. A new due or rule (re)starts the series from
 * this due; writing the task's own due and rule again keeps its series' first due.
 */
function scheduleColumns(schedule: Schedule, current?: TaskRow): Pick<TaskDetails, 'due_date' | 'due_at' | 'due_at_text' | 'time_zone' | 'due_key' | 'overdue_at' | 'recurrence' | 'recurrence_anchor'> {
  const recurrence = schedule.recurrence ? completeRecurrence(schedule.recurrence) : null;
  const due = dueColumns({ due_date: schedule.due_date ?? null, due_at: schedule.due_at ?? null, time_zone: schedule.time_zone ?? null }, recurrence);
  return {
    due_date: due.due_date,
    due_at: due.due_key && due.due_at !== null ? due.due_key : null,
    due_at_text: due.due_at,
    time_zone: due.time_zone,
    due_key: due.due_key,
    overdue_at: due.overdue_at,
    recurrence,
    recurrence_anchor: recurrence === null ? null : current && sameSchedule(current, due, recurrence) ? current.recurrence_anchor : (due.due_date ?? due.due_at),
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

function currentSchedule(row: TaskRow): Schedule {
  return { due_date: row.due_date, due_at: row.due_at_text, time_zone: row.time_zone, recurrence: row.recurrence };
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => key in object).map((key) => [key, object[key]])) as Partial<Pick<T, K>>;
}

/** The user's task, or TaskNotFoundError. */
function found(id: number, row: TaskRow | undefined): TaskRow {
  if (row === undefined) throw new TaskNotFoundError(id);
  return row;
}

/** Creates the occurrence after a just completed one and links them, unless the series has ended. */
async function continueSeries(trx: Knex.Transaction, completed: TaskRow): Promise<Written> {
  const due = nextDue({
    due: { due_date: completed.due_date, due_at: completed.due_at_text, time_zone: completed.time_zone },
    recurrence: completed.recurrence!,
    anchor: completed.recurrence_anchor!,
    occurrence: completed.occurrence ?? 1,
    completedAt: completed.completed_at!,
  });
  if (due === null) return { row: completed, newOccurrence: null };
  const next = await store.insertTask(trx, completed.user_id, {
    title: completed.title,
    description: completed.description,
    completed: false,
    priority: completed.priority,
    tags: completed.tags,
    // The series goes on from its first due: the anchor is kept, not restarted.
    ...scheduleColumns({ ...due, recurrence: completed.recurrence }),
    recurrence_anchor: completed.recurrence_anchor,
    series_id: completed.series_id ?? completed.id,
    occurrence: (completed.occurrence ?? 1) + 1,
  });
  return { row: found(completed.id, await store.setNextOccurrence(trx, completed.user_id, completed.id, next.id)), newOccurrence: next };
}

/** The rules of tasks: what each write means, and what "not found" is. Knows nothing of HTTP. */
export function createTaskService(db: Knex) {
  const get = async (userId: string, id: number) => found(id, await store.findTask(db, userId, id));

  /**
   * Writes changes to the task. A write that may complete it, whose changes depend on the task as
   * it is, or that has a precondition, locks the row in a transaction: a concurrent writer waits,
   * then reads the row as this one left it, so a precondition on the task as last read cannot pass
   * twice. An occurrence of a recurring task that becomes completed then continues its series, once.
   */
  const change = async (
    userId: string,
    id: number,
    changes: TaskChanges | ((current: TaskRow) => TaskChanges),
    precondition?: Precondition,
  ): Promise<Written> => {
    if (precondition === undefined && typeof changes !== 'function' && changes.completed === undefined) {
      return { row: found(id, await store.updateTask(db, userId, id, changes)), newOccurrence: null };
    }
    return db.transaction(async (trx) => {
      const before = meeting(precondition, found(id, await store.findTask(trx, userId, id, { forUpdate: true })));
      const row = found(id, await store.updateTask(trx, userId, id, typeof changes === 'function' ? changes(before) : changes));
      const becameCompleted = row.completed && !before.completed;
      return becameCompleted && row.recurrence !== null && row.next_occurrence_id === null ? continueSeries(trx, row) : { row, newOccurrence: null };
    });
  };

  return {
    get,

    async list(userId: string, { limit, cursor, ...view }: ListOptions): Promise<TaskPage> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor, view);
      // One extra row tells whether another page follows.
      const rows = await store.listTasks(db, userId, { ...view, limit: limit + 1, after });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const nextCursor = rows.length > limit && last ? encodeCursor(view, { value: last.sort_value, id: last.id }) : null;
      return { rows: page, nextCursor };
    },

    create(userId: string, input: Schemas['TaskCreate']): Promise<TaskRow> {
      return store.insertTask(db, userId, {
        title: input.title.trim(),
        description: input.description ?? null,
        completed: input.completed ?? false,
        ...details(input),
      });
    },

    replace(userId: string, id: number, input: Schemas['TaskReplace'], precondition?: Precondition): Promise<Written> {
      return change(
        userId,
        id,
        (current) => ({ title: input.title.trim(), description: input.description, completed: input.completed, ...details(input, current) }),
        precondition,
      );
    },

    async update(userId: string, id: number, patch: Schemas['TaskPatch'], precondition?: Precondition): Promise<Written> {
      const changes: TaskChanges = {
        ...(patch.title !== undefined ? { title: patch.title.trim() } : {}),
        ...('description' in patch ? { description: patch.description ?? null } : {}),
        ...(patch.completed !== undefined ? { completed: patch.completed } : {}),
        ...(patch.priority !== undefined ? { priority: PRIORITIES.indexOf(patch.priority) } : {}),
        ...(patch.tags !== undefined ? { tags: normalizeTags(patch.tags) } : {}),
      };
      if (!SCHEDULE_FIELDS.some((field) => field in patch)) {
        // An empty merge patch changes nothing, so its precondition needs no lock.
        if (Object.keys(changes).length === 0) return { row: meeting(precondition, await get(userId, id)), newOccurrence: null };
        return change(userId, id, changes, precondition);
      }
      // Due fields are checked on the task as patched.
      const patched = pick(patch, SCHEDULE_FIELDS);
      return change(userId, id, (current) => ({ ...changes, ...scheduleColumns({ ...currentSchedule(current), ...patched }, current) }), precondition);
    },

    /** Sets the completion state, or toggles it when `completed` is undefined. */
    complete(userId: string, id: number, completed: boolean | undefined, precondition?: Precondition): Promise<Written> {
      return change(userId, id, { completed: completed ?? 'toggle' }, precondition);
    },

    async remove(userId: string, id: number, precondition?: Precondition): Promise<void> {
      if (precondition === undefined) {
        if (!(await store.deleteTask(db, userId, id))) throw new TaskNotFoundError(id);
        return;
      }
      // Checked on the locked row, as a conditional change is.
      await db.transaction(async (trx) => {
        meeting(precondition, found(id, await store.findTask(trx, userId, id, { forUpdate: true })));
        await store.deleteTask(trx, userId, id);
      });
    },

    /** Deletes every completed task of the user; returns the ids deleted. */
    clearCompleted(userId: string): Promise<number[]> {
      return store.deleteCompletedTasks(db, userId);
    },
  };
}
