import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';
import type { TaskPolicy } from '../tasks/tasks.service.js';
import { createListMoveService } from './list-move.service.js';
import { represent } from './list-representation.js';

export function createListMoveHandlers(
  db: Knex,
  policy: Pick<TaskPolicy, 'requireIfMatch'>,
): Pick<OperationHandlers, 'moveList'> {
  const moves = createListMoveService(db, policy);
  return {
    async moveList({ user, path, body, headers }) {
      const { list, etag } = represent(await moves.move(user.id, path.list_id, body, headers['If-Match']));
      // In the result's headers, so that an Idempotency-Key replay answers with it too.
      return { status: 200, body: list, headers: { ETag: etag } };
    },
  };
}
