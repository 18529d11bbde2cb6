import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';

// PLACEHOLDER: replaced by the helper building these operations.
export function createListMoveHandlers(_db: Knex): Pick<OperationHandlers, 'moveList'> {
  const notBuilt = (): never => {
    throw new Error('not built yet');
  };
  return {
    moveList: async () => notBuilt(),
  };
}
