import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import { DomainError } from '../contract/domain-error.js';
import { findList } from '../lists/lists.store.js';
import { destinationOf, keyAtEnd, placeInGroup, type OrderedGroup } from '../ordering/positions.js';
import { placementRefusal } from './placement-refusals.js';
import { moveSubtasksToList, placeTask } from './task-move.store.js';
import {
  assertIfMatch,
  preconditionOf,
  requireTask,
  type TaskPolicy,
  type WriteCondition,
  type Written,
} from './tasks.service.js';
import { findTask, lockTaskTree, type TaskRow } from './tasks.store.js';

type TaskMove = components['schemas']['TaskMove'];

/** A group of sibling tasks: a list's top-level tasks (parent null), or a task's subtasks. */
interface TaskGroup {
  readonly listId: number;
  readonly parentId: number | null;
}

function siblings(userId: string, { listId, parentId }: TaskGroup): OrderedGroup {
  return { table: 'tasks', members: { user_id: userId, list_id: listId, parent_id: parentId, deleted_at: null } };
}

/** The move's `after_id` or `before_id` is not a task of the destination group: nothing moved. */
function notANeighbour(move: TaskMove, taskId: number): DomainError {
  const [field, id] = move.after_id !== undefined ? ['after_id', move.after_id] : ['before_id', move.before_id];
  const detail =
    id === taskId
      ? `Task ${taskId} cannot be placed next to itself.`
      : `Task ${id} is not a task of the destination group (its list and parent, outside the trash).`;
  return new DomainError('conflict', detail, {
    issues: [{ location: 'body', pointer: `/${field}`, message: 'is not a task of the destination group' }],
  });
}

/**
 * The group the move names (operation moveTask in the spec): its list and parent, else the group
 * of its neighbour, else the task's own. A parent or list that is not the user's, or a parent in
 * another list than `list_id`, is refused here with the trigger's own problem.
 */
async function destinationGroup(db: Knex, userId: string, task: TaskRow, move: TaskMove): Promise<TaskGroup> {
  if (move.parent_id !== undefined && move.parent_id !== null) {
    const parent = await findTask(db, userId, move.parent_id);
    if (!parent) throw placementRefusal('TP404', String(move.parent_id));
    if (move.list_id !== undefined && move.list_id !== parent.list_id)
      throw placementRefusal('TP409', String(parent.id));
    return { listId: parent.list_id!, parentId: parent.id };
  }
  if (move.parent_id === null || move.list_id !== undefined) {
    const listId = move.list_id ?? task.list_id!;
    if (!(await findList(db, userId, listId))) throw placementRefusal('TL404', String(listId));
    return { listId, parentId: null };
  }
  const neighbourId = move.after_id ?? move.before_id;
  if (neighbourId === undefined) return { listId: task.list_id!, parentId: task.parent_id };
  const neighbour = neighbourId === task.id ? undefined : await findTask(db, userId, neighbourId);
  if (!neighbour) throw notANeighbour(move, task.id);
  return { listId: neighbour.list_id!, parentId: neighbour.parent_id };
}

export type TaskMoveService = ReturnType<typeof createTaskMoveService>;

/** Manual order of tasks: moving one, with its subtasks, within its group, to another parent or list. */
export function createTaskMoveService(db: Knex, policy: TaskPolicy) {
  return {
    /**
     * Moves the task in one transaction: the user's tree lock taken first (as every change to the
     * shape of the user's trees takes it before the rows it changes), the task locked and its
     * precondition checked, the destination read and the key made, then one row written (its
     * subtasks too when its list changes; its new siblings too when they are rebalanced). A task
     * already where the move puts it is not written.
     */
    move(userId: string, id: number, move: TaskMove, condition: WriteCondition = {}): Promise<Written> {
      const precondition = preconditionOf(condition, policy);
      return db.transaction(async (trx) => {
        await lockTaskTree(trx, userId);
        const task = assertIfMatch(
          precondition,
          requireTask(id, await findTask(trx, userId, id, { forNoKeyUpdate: true })),
          condition,
        );
        const group = await destinationGroup(trx, userId, task, move);
        const sameGroup = group.listId === task.list_id && group.parentId === task.parent_id;
        const placement = await placeInGroup(
          trx,
          siblings(userId, group),
          id,
          sameGroup ? task.position : null,
          destinationOf(move),
        );
        if (placement === 'no such neighbour') throw notANeighbour(move, id);
        if (placement === 'in place') return { row: task, newOccurrence: null, changed: false };
        const row = requireTask(
          id,
          await placeTask(
            trx,
            userId,
            id,
            { ...group, position: placement === 'at the end' ? keyAtEnd(trx, userId) : placement.key },
            policy.quotas,
          ),
        );
        if (group.listId !== task.list_id) await moveSubtasksToList(trx, userId, id, group.listId, policy.quotas);
        return { row, newOccurrence: null, changed: true };
      });
    },
  };
}
