import type { Knex } from 'knex';
import { quotaScopedUser, type TaskQuotas } from '../quotas/task-quotas.js';
import { refusingMisplacement } from '../tasks/placement-refusals.js';
import { TASK_COLUMNS, type TaskRow } from '../tasks/tasks.store.js';

// The trash's own reads and writes: the only queries that see tasks with `deleted_at` set. A trash
// item is a task with trash_root = id; the tasks that went with it carry its id in trash_root.
// Every query filters on user_id first, as the tasks store's do.

/** A trash item as listed: the task, when it went, and how many went with it. */
export interface TrashItemRow extends TaskRow {
  deleted_at: Date;
  subtask_count: number;
}

/** Where a page of the trash starts: after this item, in the order listed. */
export interface TrashPosition {
  readonly deletedAt: Date;
  readonly id: number;
}

/** The query of one page of the user's trash items, the newest deletion first (the plan tests EXPLAIN it). */
export function listTrashItemsQuery(
  db: Knex,
  userId: string,
  { limit, after }: { limit: number; after: TrashPosition | undefined },
): Knex.QueryBuilder {
  const query = db('tasks as item')
    .select(TASK_COLUMNS.map((column) => `item.${column}`))
    .select(
      'item.deleted_at',
      db.raw(
        `(select count(*) from tasks went
           where went.user_id = item.user_id and went.trash_root = item.id and went.id <> item.id)::int as subtask_count`,
      ),
    )
    .where('item.user_id', userId)
    .whereRaw('item.trash_root = item.id')
    .orderBy([
      { column: 'item.deleted_at', order: 'desc' },
      { column: 'item.id', order: 'desc' },
    ])
    .limit(limit);
  if (after) query.whereRaw('(item.deleted_at, item.id) < (?, ?)', [after.deletedAt, after.id]);
  return query;
}

export async function listTrashItems(
  db: Knex,
  userId: string,
  page: { limit: number; after: TrashPosition | undefined },
): Promise<TrashItemRow[]> {
  return (await listTrashItemsQuery(db, userId, page)) as TrashItemRow[];
}

/** Where a task of the user is: live (trash_root null), a trash item (its own id), or gone with one. */
export interface TaskWhereabouts {
  readonly id: number;
  readonly trash_root: number | null;
}

/** The user's task, in the trash or out of it; locked when it is to be restored or purged. */
export async function findWhereabouts(
  db: Knex,
  userId: string,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<TaskWhereabouts | undefined> {
  const query = db('tasks').select('id', 'trash_root').where({ user_id: userId, id });
  if (options.forUpdate) query.forUpdate();
  return (await query.first()) as TaskWhereabouts | undefined;
}

/** A task of a trash item, as its restore needs it. */
export interface ItemTask {
  readonly id: number;
  readonly list_id: number | null;
  readonly parent_id: number | null;
  readonly position: string;
}

/** The item's tasks, locked in id order (a consistent order cannot deadlock). */
export function lockItemTasks(db: Knex, userId: string, rootId: number): Promise<ItemTask[]> {
  return db('tasks')
    .select('id', 'list_id', 'parent_id', 'position')
    .where({ user_id: userId, trash_root: rootId })
    .orderBy('id')
    .forUpdate();
}

/** A live task's list and its level (1: top level), or undefined when the user has no such live task. */
export async function liveTaskLevel(
  db: Knex,
  userId: string,
  id: number,
): Promise<{ list_id: number; level: number } | undefined> {
  const { rows } = await db.raw<{ rows: { list_id: number; level: number }[] }>(
    `with recursive chain (id, parent_id, list_id) as (
       select id, parent_id, list_id from tasks where user_id = :userId and id = :id and deleted_at is null
       union all
       select up.id, up.parent_id, chain.list_id from tasks up join chain on up.id = chain.parent_id
        where up.user_id = :userId
     )
     select list_id, count(*)::int as level from chain group by list_id`,
    { userId, id },
  );
  return rows[0];
}

/** Whether a live task of the group (list, parent or top level) holds this position. */
export async function positionTaken(
  db: Knex,
  userId: string,
  group: { listId: number; parentId: number | null },
  position: string,
): Promise<boolean> {
  const query = db('tasks')
    .select('id')
    .where({ user_id: userId, list_id: group.listId, position })
    .whereNull('deleted_at');
  if (group.parentId === null) query.whereNull('parent_id');
  else query.where('parent_id', group.parentId);
  return (await query.first()) !== undefined;
}

/**
 * Brings these tasks of a trash item back into the list, with these columns written (the root's
 * parent and position), held to the caps; returns them as they now are.
 */
export function restoreTasks(
  db: Knex,
  userId: string,
  ids: readonly number[],
  { listId, columns }: { listId: number; columns?: { parent_id: number | null; position: string | null } },
  quotas: TaskQuotas,
): Promise<TaskRow[]> {
  return refusingMisplacement(
    db('tasks')
      .where('user_id', userId)
      .whereIn('id', ids)
      .whereNotNull('deleted_at')
      .update({
        deleted_at: null,
        trash_root: null,
        list_id: listId,
        ...columns,
        // The same user, written to hand the caps to the statement's triggers.
        user_id: quotaScopedUser(db, userId, quotas),
      })
      .returning<TaskRow[]>(TASK_COLUMNS),
  );
}

/** Deletes a trash item's tasks for good; returns how many. */
export async function purgeItem(db: Knex, userId: string, rootId: number): Promise<number> {
  const rows = await db('tasks').where({ user_id: userId, trash_root: rootId }).delete().returning('id');
  return rows.length;
}

/** Deletes every task of the user's trash for good; returns the items' ids. */
export async function purgeTrash(db: Knex, userId: string): Promise<number[]> {
  const rows = await db('tasks')
    .where('user_id', userId)
    .whereNotNull('deleted_at')
    .delete()
    .returning<{ id: number; trash_root: number }[]>(['id', 'trash_root']);
  return rows.filter((row) => row.id === row.trash_root).map((row) => row.id);
}
