import type { Knex } from 'knex';
import type { StoredReminder } from '../reminders/reminder-schedule.js';
import type { Recurrence, TimeZone } from './task-fields.js';
import { buildListQuery, type ListQuery, type Listed } from './list-query.js';
import { quotaScopedUser, type TaskQuotas } from '../quotas/task-quotas.js';
import { refusingMisplacement } from './placement-refusals.js';

/** The fields written with a task beyond title, description and completion (issue 4). */
export interface TaskDetails {
  /** Index into PRIORITIES: 0 none .. 3 high. */
  priority: number;
  tags: string[];
  due_date: string | null;
  due_at: Date | null;
  /** `due_at` as the client sent it, which is what it reads back. */
  due_at_text: string | null;
  time_zone: TimeZone | null;
  /** When the task counts as due (filters, sorting) and as overdue. */
  due_key: Date | null;
  overdue_at: Date | null;
  recurrence: Recurrence | null;
  /** The due of the series' first occurrence, as sent: monthly rules keep its day of the month. */
  recurrence_anchor: string | null;
  /** At most 5, each with the instant it is for in this occurrence and whether it is still to fire. */
  reminders: StoredReminder[];
}

export interface TaskRow extends TaskDetails {
  id: number;
  user_id: string;
  /** Null only in the trash, for a task whose list was deleted. */
  list_id: number | null;
  parent_id: number | null;
  /** Its place among its siblings: a fractional-indexing key, compared byte by byte. */
  position: string;
  title: string;
  description: string | null;
  completed: boolean;
  completed_at: Date | null;
  series_id: number | null;
  occurrence: number | null;
  next_occurrence_id: number | null;
  created_at: Date;
  updated_at: Date;
}

/** The columns a client reads (not the search vector, the trash's or the feed's bookkeeping). */
export const TASK_COLUMNS: string[] = [
  'id',
  'user_id',
  'list_id',
  'parent_id',
  'position',
  'title',
  'description',
  'completed',
  'completed_at',
  'priority',
  'tags',
  'due_date',
  'due_at',
  'due_at_text',
  'time_zone',
  'due_key',
  'overdue_at',
  'recurrence',
  'recurrence_anchor',
  'reminders',
  'series_id',
  'occurrence',
  'next_occurrence_id',
  'created_at',
  'updated_at',
];

export interface NewTask extends TaskDetails {
  readonly title: string;
  readonly description: string | null;
  readonly completed: boolean;
  /** For an occurrence after a series' first: its place in the series. */
  readonly series_id?: number;
  readonly occurrence?: number;
  /** Absent: the user's default list (made on first need). */
  readonly list_id?: number;
  readonly parent_id?: number;
  /** Absent: after the last of its siblings. */
  readonly position?: string;
}

/** The fields to change; `completed` may also be 'toggle'. Absent fields stay as they are. */
export interface TaskChanges extends Partial<TaskDetails> {
  readonly title?: string;
  readonly description?: string | null;
  readonly completed?: boolean | 'toggle';
}

/** The details as bound parameters: JSON for the recurrence and the reminders (jsonb), the rest as they are. */
function detailValues(details: Partial<TaskDetails>): Record<string, unknown> {
  const values: Record<string, unknown> = { ...details };
  if ('recurrence' in details)
    values.recurrence = details.recurrence === null ? null : JSON.stringify(details.recurrence);
  if (details.reminders !== undefined) values.reminders = JSON.stringify(details.reminders);
  return values;
}

// Every query below filters on user_id first: a task of another user is never read or written.
// And each reads and writes only tasks outside the trash (`deleted_at` null): a task in the trash
// is, to everything but the trash's own operations (src/trash/), a task that does not exist.

/** The user's tasks outside the trash. */
export function liveTasks(db: Knex, userId: string): Knex.QueryBuilder {
  return db('tasks').where('user_id', userId).whereNull('deleted_at');
}

/** The query listTasks runs (the plan tests EXPLAIN it). */
export function listTasksQuery(db: Knex, userId: string, query: ListQuery): Knex.QueryBuilder {
  return buildListQuery(db, userId, query, TASK_COLUMNS);
}

export async function listTasks(db: Knex, userId: string, query: ListQuery): Promise<Listed<TaskRow>[]> {
  return (await listTasksQuery(db, userId, query)) as Listed<TaskRow>[];
}

export async function findTask(
  db: Knex,
  userId: string,
  id: number,
  options: { forUpdate?: boolean; forNoKeyUpdate?: boolean } = {},
): Promise<TaskRow | undefined> {
  const query = liveTasks(db, userId).select(TASK_COLUMNS).where('id', id);
  if (options.forUpdate) query.forUpdate();
  // A write that keeps the task's id: subtasks can still be created under it meanwhile (their key share lock).
  else if (options.forNoKeyUpdate) query.forNoKeyUpdate();
  return (await query.first()) as TaskRow | undefined;
}

/** The user's tasks with these ids that exist, in no particular order. */
export async function findTasks(db: Knex, userId: string, ids: readonly number[]): Promise<TaskRow[]> {
  if (ids.length === 0) return [];
  return liveTasks(db, userId)
    .select<TaskRow[]>(TASK_COLUMNS)
    .whereIn('id', [...new Set(ids)]);
}

/** Inserts the task, unless it would take the user past a quota (a quota_exceeded DomainError). */
export async function insertTask(db: Knex, userId: string, task: NewTask, quotas: TaskQuotas): Promise<TaskRow> {
  const { title, description, completed, ...details } = task;
  const [row] = await refusingMisplacement(
    db('tasks')
      .insert({
        user_id: quotaScopedUser(db, userId, quotas),
        title,
        description,
        completed,
        completed_at: completed ? db.fn.now() : null,
        ...detailValues(details),
      })
      .returning<TaskRow[]>(TASK_COLUMNS),
  );
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** The columns whose bytes count against the stored_bytes quota. */
const STORED_COLUMNS = ['title', 'description', 'tags'];

/**
 * Applies the changes and returns the task as it now is, or `undefined` when the user has no such
 * task. `updated_at` moves only when a value really changes: writing what is already there is a no-op.
 * Changes that would take the user past the stored_bytes quota are refused (a quota_exceeded DomainError).
 */
export async function updateTask(
  db: Knex,
  userId: string,
  id: number,
  changes: TaskChanges,
  quotas: TaskQuotas,
): Promise<TaskRow | undefined> {
  const set: Record<string, unknown> = {};
  const { completed, ...values } = changes;
  const compared = Object.entries(detailValues(values)).filter(([, value]) => value !== undefined) as [
    string,
    Knex.Value,
  ][];
  for (const [column, value] of compared) set[column] = value;

  if (completed === 'toggle') {
    // The right-hand sides read the row as it was before this update.
    set.completed = db.raw('not completed');
    set.completed_at = db.raw('case when completed then null else now() end');
    set.updated_at = db.fn.now();
  } else {
    if (completed !== undefined) {
      compared.push(['completed', completed]);
      set.completed = completed;
      // Completing an already completed task keeps the moment it was first completed.
      set.completed_at = completed ? db.raw('coalesce(completed_at, now())') : null;
    }
    const columns = compared.map(([column]) => `"${column}"`).join(', ');
    const placeholders = compared.map(() => '?').join(', ');
    const values = compared.map(([, value]) => value);
    set.updated_at = db.raw(
      `case when (${columns}) is distinct from (${placeholders}) then now() else updated_at end`,
      values,
    );
  }
  // The same user, written only to hand the limits to the statement's triggers.
  if (STORED_COLUMNS.some((column) => column in set)) set.user_id = quotaScopedUser(db, userId, quotas);
  const [row] = await refusingMisplacement<TaskRow[]>(
    liveTasks(db, userId).where('id', id).update(set).returning(TASK_COLUMNS),
  );
  return row;
}

/**
 * Moves the task and its subtasks (at every level, those not in the trash already) to the trash,
 * as one trash item named after the task; returns whether the user had such a task.
 */
export async function trashTask(db: Knex, userId: string, id: number): Promise<boolean> {
  const { rows } = await db.raw<{ rows: { id: number }[] }>(
    `with recursive subtree (id) as (
       select id from tasks where user_id = :userId and id = :id and deleted_at is null
       union all
       select child.id from tasks child join subtree on child.parent_id = subtree.id
        where child.user_id = :userId and child.deleted_at is null
     )
     update tasks set deleted_at = now(), trash_root = :id
      where user_id = :userId and id in (select id from subtree)
     returning id`,
    { userId, id },
  );
  return rows.length > 0;
}

/**
 * Moves the user's completed tasks to the trash, each with its subtasks; a completed task under a
 * completed parent goes with that parent. Returns the ids of the completed tasks.
 */
export async function trashCompletedTasks(db: Knex, userId: string): Promise<number[]> {
  const { rows } = await db.raw<{ rows: { id: number; completed: boolean }[] }>(
    `with recursive items (id) as (
       select done.id from tasks done
        where done.user_id = :userId and done.deleted_at is null and done.completed
          and not exists (select 1 from tasks parent
                           where parent.id = done.parent_id and parent.user_id = :userId and parent.completed)
     ), subtree (id, root) as (
       select id, id from items
       union all
       select child.id, subtree.root from tasks child join subtree on child.parent_id = subtree.id
        where child.user_id = :userId and child.deleted_at is null
     )
     update tasks set deleted_at = now(), trash_root = subtree.root
       from subtree
      where tasks.user_id = :userId and tasks.id = subtree.id
     returning tasks.id, tasks.completed`,
    { userId },
  );
  return rows.filter((row) => row.completed).map((row) => row.id);
}

/** Links a completed occurrence to the one its completion created. */
export async function setNextOccurrence(
  db: Knex,
  userId: string,
  id: number,
  nextId: number,
): Promise<TaskRow | undefined> {
  const [row] = await liveTasks(db, userId)
    .where('id', id)
    .update({ next_occurrence_id: nextId, updated_at: db.fn.now() })
    .returning<TaskRow[]>(TASK_COLUMNS);
  return row;
}

/**
 * Takes the user's tree lock for the transaction: a change to the shape of the user's trees (a
 * move, a restore, a list's deletion) reads and writes it while no other such change runs.
 */
export async function lockTaskTree(db: Knex, userId: string): Promise<void> {
  await db.raw('select lock_task_tree(?)', [userId]);
}

/** Locks the user's tasks with these ids, in id order (a consistent order cannot deadlock). */
export async function lockTasks(db: Knex, userId: string, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await liveTasks(db, userId)
    .select('id')
    .whereIn('id', [...new Set(ids)])
    .orderBy('id')
    .forUpdate();
}
