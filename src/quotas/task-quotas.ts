import type { Knex } from 'knex';
import type { QuotaConfig } from '../config.js';
import { quotaExceeded, type QuotaUsage } from '../contract/domain-error.js';

/**
 * The limits a write of tasks is held to. The database enforces them itself: triggers on tasks
 * count every user's tasks and bytes and refuse, within the writing statement, what would go past
 * a limit (db/migrations/20261213000000_user_usage.ts), and the tasks of a list and the subtasks of
 * a task as they join one (db/migrations/20261220000000_lists_subtasks_trash_changes.ts).
 */
export type TaskQuotas = Pick<
  QuotaConfig,
  'tasksPerUser' | 'storedBytesPerUser' | 'tasksPerList' | 'subtasksPerParent'
>;

/** SQLSTATE of the triggers' refusal; its detail is the quota as JSON. */
const QUOTA_EXCEEDED_STATE = 'QT001';

/**
 * The user's id as a value of a statement that may grow their holdings: it also hands this
 * server's limits to the statement's triggers, for its transaction only (one statement, no session
 * state, so it works through a transaction-mode pooler).
 */
export function quotaScopedUser(db: Knex, userId: string, quotas: TaskQuotas): Knex.Raw {
  return db.raw('quota_scope(?, ?, ?, ?, ?)', [
    userId,
    quotas.tasksPerUser ?? null,
    quotas.storedBytesPerUser ?? null,
    quotas.tasksPerList ?? null,
    quotas.subtasksPerParent ?? null,
  ]);
}

/** Runs a write, turning the database's quota refusal into the client's 409; the write wrote nothing. */
export async function refusingOverQuota<T>(write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    const { code, detail } = error as { code?: unknown; detail?: unknown };
    if (code === QUOTA_EXCEEDED_STATE && typeof detail === 'string')
      throw quotaExceeded(JSON.parse(detail) as QuotaUsage);
    throw error;
  }
}
