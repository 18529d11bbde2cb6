import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import { DomainError } from '../contract/domain-error.js';
import { entityTagCondition, ifMatchHolds } from '../contract/entity-tags.js';
import { destinationOf, keyAtEnd, placeInGroup } from '../ordering/positions.js';
import { lockTaskTree } from '../tasks/tasks.store.js';
import type { TaskPolicy } from '../tasks/tasks.service.js';
import { ListNotFoundError, ListPreconditionFailedError, ListPreconditionRequiredError } from './list-errors.js';
import { lockList, placeList } from './list-move.store.js';
import { represent } from './list-representation.js';
import type { ListRow } from './lists.store.js';

type ListMove = components['schemas']['ListMove'];

/** The move's `after_id` or `before_id` is not another of the user's lists: nothing moved. */
function notANeighbour(move: ListMove, listId: number): DomainError {
  const [field, id] = move.after_id !== undefined ? ['after_id', move.after_id] : ['before_id', move.before_id];
  const detail =
    id === listId ? `List ${listId} cannot be placed next to itself.` : `List ${id} is not one of your lists.`;
  return new DomainError('conflict', detail, {
    issues: [{ location: 'body', pointer: `/${field}`, message: 'is not another of your lists' }],
  });
}

function requireList(id: number, row: ListRow | undefined): ListRow {
  if (row === undefined) throw new ListNotFoundError(id);
  return row;
}

export type ListMoveService = ReturnType<typeof createListMoveService>;

/** Manual order of a user's lists. */
export function createListMoveService(db: Knex, policy: Pick<TaskPolicy, 'requireIfMatch'>) {
  return {
    /**
     * Moves the list in one transaction: the user's tree lock taken first (it serializes every
     * change of the user's order, and a list's deletion), the list locked and its `If-Match`
     * checked, its neighbours' keys read and its key made, then one row written (the other lists
     * too when they are rebalanced). A list already in place is not written.
     */
    move(userId: string, id: number, move: ListMove, ifMatch: string | undefined): Promise<ListRow> {
      const condition = ifMatch === undefined ? undefined : entityTagCondition('If-Match', ifMatch);
      if (condition === undefined && policy.requireIfMatch) throw new ListPreconditionRequiredError();
      return db.transaction(async (trx) => {
        await lockTaskTree(trx, userId);
        const list = requireList(id, await lockList(trx, userId, id));
        if (condition !== undefined && !ifMatchHolds(condition, represent(list).etag))
          throw new ListPreconditionFailedError(id);
        const placement = await placeInGroup(
          trx,
          { table: 'lists', members: { user_id: userId } },
          id,
          list.position,
          destinationOf(move),
        );
        if (placement === 'no such neighbour') throw notANeighbour(move, id);
        if (placement === 'in place') return list;
        const key = placement === 'at the end' ? keyAtEnd(trx, userId) : placement.key;
        return requireList(id, await placeList(trx, userId, id, key));
      });
    },
  };
}
