import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';

// PLACEHOLDER: replaced by the helper building these operations.
export function createListHandlers(
  _db: Knex,
): Pick<OperationHandlers, 'listLists' | 'createList' | 'getList' | 'updateList' | 'deleteList'> {
  const notBuilt = (): never => {
    throw new Error('not built yet');
  };
  return {
    listLists: async () => notBuilt(),
    createList: async () => notBuilt(),
    getList: async () => notBuilt(),
    updateList: async () => notBuilt(),
    deleteList: async () => notBuilt(),
  };
}
