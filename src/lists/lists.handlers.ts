import type { OperationHandlers } from '../contract/operations.js';
import { auditTrail } from '../audit/audit-trail.js';
import { represent, type ListRepresentation } from './list-representation.js';
import type { ListService } from './lists.service.js';

type ListOperations = 'listLists' | 'createList' | 'getList' | 'updateList' | 'deleteList';

export function createListHandlers(lists: ListService): Pick<OperationHandlers, ListOperations> {
  return {
    async listLists({ user, headers }) {
      const { collection, etag, current } = await lists.list(user.id, headers['If-None-Match']);
      const answerHeaders = { ETag: etag };
      return current
        ? { status: 304, body: undefined, headers: answerHeaders }
        : { status: 200, body: collection, headers: answerHeaders };
    },

    async createList(input) {
      const row = await lists.create(input.user.id, input.body);
      auditTrail(input, 'list.create', { list_id: row.id });
      const location = `/api/${encodeURIComponent(row.user_id)}/lists/${row.id}`;
      return withEntityTag(201, represent(row), { Location: location });
    },

    async getList({ user, path, headers }) {
      const { current, ...representation } = await lists.getUnlessCurrent(
        user.id,
        path.list_id,
        headers['If-None-Match'],
      );
      const result = withEntityTag(200, representation);
      return current ? { status: 304, body: undefined, headers: result.headers } : result;
    },

    async updateList(input) {
      const { row, changed } = await lists.update(
        input.user.id,
        input.path.list_id,
        input.body,
        input.headers['If-Match'],
      );
      if (changed) auditTrail(input, 'list.update', { list_id: row.id });
      return withEntityTag(200, represent(row));
    },

    async deleteList(input) {
      await lists.remove(input.user.id, input.path.list_id, input.headers['If-Match']);
      auditTrail(input, 'list.delete', { list_id: input.path.list_id });
      return { status: 204, body: undefined };
    },
  };
}

/** A single-list answer with its ETag, in the result's headers so that an Idempotency-Key replay answers with it too. */
function withEntityTag<S extends 200 | 201>(
  status: S,
  { list, etag }: ListRepresentation,
  headers: Record<string, string> = {},
) {
  return { status, body: list, headers: { ...headers, ETag: etag } };
}
