import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';

// PLACEHOLDER: replaced by the helper building these operations.
export function createTrashHandlers(
  _db: Knex,
): Pick<OperationHandlers, 'listTrash' | 'restoreTask' | 'purgeTask' | 'emptyTrash'> {
  const notBuilt = (): never => {
    throw new Error('not built yet');
  };
  return {
    listTrash: async () => notBuilt(),
    restoreTask: async () => notBuilt(),
    purgeTask: async () => notBuilt(),
    emptyTrash: async () => notBuilt(),
  };
}
