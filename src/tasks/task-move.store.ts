import type { Knex } from 'knex';
import { quotaScopedUser, type TaskQuotas } from '../quotas/task-quotas.js';
import { refusingMisplacement } from './placement-refusals.js';
import { liveTasks, TASK_COLUMNS, type TaskRow } from './tasks.store.js';

/** Where a task goes: its list, its parent (null: the top level) and its key among its new siblings. */
export interface TaskPlace {
  readonly listId: number;
  readonly parentId: number | null;
  /** A key, or an expression that makes one (after the group's last). */
  readonly position: string | Knex.Raw;
}

/**
 * Writes the task's new place; the tasks trigger refuses a place it may not take (a parent in the
 * trash or in another list, a cycle, too deep a tree, a full list or parent), which the client
 * gets as its problem. Returns the task as it now is, or undefined when the user has no such task.
 */
export async function placeTask(
  db: Knex,
  userId: string,
  id: number,
  { listId, parentId, position }: TaskPlace,
  quotas: TaskQuotas,
): Promise<TaskRow | undefined> {
  const [row] = await refusingMisplacement<TaskRow[]>(
    liveTasks(db, userId)
      .where('id', id)
      .update({
        list_id: listId,
        parent_id: parentId,
        position,
        updated_at: db.fn.now(),
        // The same user, written to hand the caps to the trigger.
        user_id: quotaScopedUser(db, userId, quotas),
      })
      .returning(TASK_COLUMNS),
  );
  return row;
}

/** Moves the task's live subtasks, at every level, to its list (the caps on the list apply). */
export async function moveSubtasksToList(
  db: Knex,
  userId: string,
  id: number,
  listId: number,
  quotas: TaskQuotas,
): Promise<void> {
  const below = `with recursive subtree (id) as (
       select id from tasks where user_id = ? and parent_id = ? and deleted_at is null
       union all
       select child.id from tasks child join subtree on child.parent_id = subtree.id
        where child.user_id = ? and child.deleted_at is null
     )
     select id from subtree`;
  await refusingMisplacement(
    liveTasks(db, userId)
      .whereRaw(`id in (${below})`, [userId, id, userId])
      .update({ list_id: listId, updated_at: db.fn.now(), user_id: quotaScopedUser(db, userId, quotas) }),
  );
}
