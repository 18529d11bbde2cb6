import type { Knex } from 'knex';
import { ensureDefaultList, findList } from '../lists/lists.store.js';
import type { TaskQuotas } from '../quotas/task-quotas.js';
import { MAX_LEVELS } from '../tasks/placement-refusals.js';
import { TaskNotFoundError } from '../tasks/task-errors.js';
import { lockTaskTree, type TaskRow } from '../tasks/tasks.store.js';
import { wakeUpForWritten, type WakeUp } from '../reminders/reminder-wakeup.js';
import { decodeTrashCursor, encodeTrashCursor } from './trash-cursor.js';
import { AlreadyLiveError, NotInTrashError, WentWithAnotherError } from './trash-errors.js';
import * as store from './trash.store.js';
import type { ItemTask, TrashItemRow } from './trash.store.js';

export interface TrashPolicy {
  /** Restoring is held to the caps (tasks per list, subtasks per parent), as placing a task is. */
  readonly quotas: TaskQuotas;
  /** TRASH_RETENTION_DAYS: how long an item stays in the trash before it is purged. */
  readonly retentionDays: number;
  /** Told of the reminders a restore arms again that fire soon. */
  readonly wakeUp?: WakeUp;
}

export interface TrashPage {
  readonly items: (TrashItemRow & { purge_at: Date })[];
  readonly nextCursor: string | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export type TrashService = ReturnType<typeof createTrashService>;

/** The rules of the trash: listing, restoring and purging its items. Knows nothing of HTTP. */
export function createTrashService(db: Knex, policy: TrashPolicy) {
  return {
    async list(userId: string, { limit, cursor }: { limit: number; cursor: string | undefined }): Promise<TrashPage> {
      const after = cursor === undefined ? undefined : decodeTrashCursor(cursor);
      // One extra row tells whether another page follows.
      const rows = await store.listTrashItems(db, userId, { limit: limit + 1, after });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        // Days of 24 hours, as the automatic purge counts them (trash-purge.ts).
        items: page.map((row) => ({
          ...row,
          purge_at: new Date(row.deleted_at.getTime() + policy.retentionDays * DAY_MS),
        })),
        nextCursor: rows.length > limit && last ? encodeTrashCursor({ deletedAt: last.deleted_at, id: last.id }) : null,
      };
    },

    /**
     * Brings a trash item back with every task that went with it: into its list (the default list
     * when that was deleted), under its parent when the parent is live, in that list, and the item's
     * levels fit below it; else at the top level; at its old position when that is free, else last.
     * Returns the item's task as restored. Their reminders still ahead are armed again (the tasks
     * trigger).
     */
    async restore(userId: string, id: number): Promise<TaskRow> {
      const restored = await db.transaction(async (trx) => {
        // First: no other change to the user's trees (a move, a restore, a list's deletion) can
        // change the places read below before this one writes.
        await lockTaskTree(trx, userId);
        const where = await store.findWhereabouts(trx, userId, id, { forUpdate: true });
        if (where === undefined) throw new TaskNotFoundError(id);
        if (where.trash_root === null) throw new AlreadyLiveError(id);
        if (where.trash_root !== id) throw new WentWithAnotherError(id, where.trash_root);

        const tasks = await store.lockItemTasks(trx, userId, id);
        const levels = levelsOf(id, tasks);
        const root = tasks.find((task) => task.id === id)!;
        const listId =
          root.list_id !== null && (await findList(trx, userId, root.list_id))
            ? root.list_id
            : await ensureDefaultList(trx, userId);
        const parentId = await keptParent(trx, userId, root.parent_id, listId, levels.length);
        const taken = await store.positionTaken(trx, userId, { listId, parentId }, root.position);
        // Written as null, the position becomes the group's last (the tasks trigger).
        const columns = { parent_id: parentId, position: taken ? null : root.position };
        const rows = await store.restoreTasks(trx, userId, [id], { listId, columns }, policy.quotas);
        // Level by level: the trigger checks each task's parent as it becomes live, so a subtask
        // comes back only once its parent has.
        for (const level of levels.slice(1))
          rows.push(...(await store.restoreTasks(trx, userId, level, { listId }, policy.quotas)));
        return rows;
      });
      wakeUpForWritten(policy.wakeUp, restored);
      return restored[0]!;
    },

    /** Deletes a trash item and the tasks that went with it for good. */
    async purge(userId: string, id: number): Promise<void> {
      // Only an item's id is the trash_root of any task: a purge that deleted nothing says why after.
      if ((await store.purgeItem(db, userId, id)) > 0) return;
      const where = await store.findWhereabouts(db, userId, id);
      if (where === undefined) throw new TaskNotFoundError(id);
      if (where.trash_root === null) throw new NotInTrashError(id);
      throw new WentWithAnotherError(id, where.trash_root);
    },

    /** Deletes everything in the user's trash for good; returns the items' ids. */
    empty(userId: string): Promise<number[]> {
      return store.purgeTrash(db, userId);
    },
  };
}

/** The item's task ids level by level, the item itself first (every other task is below it). */
function levelsOf(rootId: number, tasks: readonly ItemTask[]): number[][] {
  const levels = [[rootId]];
  for (;;) {
    const above = new Set(levels.at(-1));
    const below = tasks.filter((task) => task.parent_id !== null && above.has(task.parent_id)).map((task) => task.id);
    if (below.length === 0) return levels;
    levels.push(below);
  }
}

/** The item's parent, if it is live, in the list the item goes back to, and has room for the item's levels below it. */
async function keptParent(
  db: Knex,
  userId: string,
  parentId: number | null,
  listId: number,
  height: number,
): Promise<number | null> {
  if (parentId === null) return null;
  const parent = await store.liveTaskLevel(db, userId, parentId);
  return parent !== undefined && parent.list_id === listId && parent.level + height <= MAX_LEVELS ? parentId : null;
}
