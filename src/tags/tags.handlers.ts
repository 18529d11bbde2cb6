import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';
import { countTags } from './tags.store.js';

/** The most tags one answer lists (the spec's `maxItems`). */
const MAX_TAGS = 2000;

export function createTagHandlers(db: Knex): Pick<OperationHandlers, 'listTags'> {
  return {
    async listTags({ user }) {
      // One row beyond the limit tells whether there are more.
      const rows = await countTags(db, user.id, MAX_TAGS + 1);
      return { status: 200, body: { items: rows.slice(0, MAX_TAGS), truncated: rows.length > MAX_TAGS } };
    },
  };
}
