import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';

// PLACEHOLDER: replaced by the helper building these operations.
export function createChangesHandlers(_db: Knex): Pick<OperationHandlers, 'listChanges'> {
  const notBuilt = (): never => {
    throw new Error('not built yet');
  };
  return {
    listChanges: async () => notBuilt(),
  };
}
