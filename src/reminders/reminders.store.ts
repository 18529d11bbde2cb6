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

/** Writes the task's reminders as they are once some fired: a change of the task (`updated_at` moves). */
export async function writeFiredReminders(
  trx: Knex.Transaction,
  task: TaskRow,
  reminders: readonly StoredReminder[],
): Promise<TaskRow> {
  const [row] = await trx('tasks')
    .where({ user_id: task.user_id, id: task.id })
    .update({ reminders: JSON.stringify(reminders), updated_at: trx.fn.now() })
    .returning<TaskRow[]>(TASK_COLUMNS);
  return row!;
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
