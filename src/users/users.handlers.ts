import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';
import { findUser } from './users.store.js';

export function createUserHandlers(db: Knex): Pick<OperationHandlers, 'getCurrentUser'> {
  return {
    async getCurrentUser({ user }) {
      // The user was provisioned before any handler runs, so the row exists.
      const row = await findUser(db, user.id);
      if (!row) throw new Error(`user ${user.id} was authenticated but not provisioned`);
      return {
        status: 200,
        body: {
          id: row.id,
          email: row.email,
          name: row.name,
          created_at: row.created_at.toISOString(),
          updated_at: row.updated_at.toISOString(),
        },
      };
    },
  };
}
