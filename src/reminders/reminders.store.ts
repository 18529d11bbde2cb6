import type { Knex } from 'knex';
import { TASK_COLUMNS, type TaskRow } from '../tasks/tasks.store.js';
import type { StoredReminder } from './reminder-schedule.js';

// The firing job's queries: across users (a background sweep, like the trash's purge), each task
// then written and reported under its own user. `next_reminder_at` is the earliest pending
// reminder of a task, kept by the tasks triggers (db/migrations/20261230020000_task_reminders.ts).

/**
 * The tasks with a reminder due by `now`, the longest due first, at most `limit`, locked for the
 * caller's transaction; those another transaction holds are skipped (a worker firing them, or a
 * writer), left for the next run. Walks tasks_next_reminder_idx (the plan test EXPLAINs it).
 */
export function dueTasksQuery(db: Knex, now: Date, limit: number): Knex.QueryBuilder {
  return db('tasks')
    .select(TASK_COLUMNS)
    .where('next_reminder_at', '<=', now)
    .orderBy('next_reminder_at')
    .limit(limit)
    .forUpdate()
    .skipLocked();
}

export async function claimDueTasks(trx: Knex.Transaction, now: Date, limit: number): Promise<TaskRow[]> {
  return (await dueTasksQuery(trx, now, limit)) as TaskRow[];
}

/**
 * Writes the tasks' reminders as they are once some fired, in one statement: a change of each
 * task (`updated_at` moves). Returns the tasks as they now are.
 */
export async function writeFiredReminders(
  trx: Knex.Transaction,
  fired: readonly { readonly task: TaskRow; readonly reminders: readonly StoredReminder[] }[],
): Promise<TaskRow[]> {
  if (fired.length === 0) return [];
  const { rows } = await trx.raw<{ rows: TaskRow[] }>(
    `update tasks set reminders = fired.reminders, updated_at = now()
       from jsonb_to_recordset(?::jsonb) as fired (user_id text, id bigint, reminders jsonb)
      where tasks.user_id = fired.user_id and tasks.id = fired.id
     returning ${TASK_COLUMNS.map((column) => `tasks.${column}`).join(', ')}`,
    [JSON.stringify(fired.map(({ task, reminders }) => ({ user_id: task.user_id, id: task.id, reminders })))],
  );
  return rows;
}

/** The query of the earliest instant a reminder is pending for, of any user: the first entry of tasks_next_reminder_idx. */
export function nextReminderQuery(db: Knex): Knex.QueryBuilder {
  return db('tasks').select('next_reminder_at').whereNotNull('next_reminder_at').orderBy('next_reminder_at').limit(1);
}

/** The earliest instant a reminder is pending for, of any user (undefined when none is). */
export async function nextReminderAt(db: Knex): Promise<Date | undefined> {
  const [row] = (await nextReminderQuery(db)) as { next_reminder_at: Date }[];
  return row?.next_reminder_at;
}
