import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';

// PLACEHOLDER: replaced by the helper building these operations.
export function createTaskMoveHandlers(_db: Knex): Pick<OperationHandlers, 'moveTask'> {
  const notBuilt = (): never => {
    throw new Error('not built yet');
  };
  return {
    moveTask: async () => notBuilt(),
  };
}
