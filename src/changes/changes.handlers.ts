import type { OperationHandlers } from '../contract/operations.js';
import type { ChangesService } from './changes.service.js';

/** The spec's default page size (ChangesLimit). */
const DEFAULT_LIMIT = 100;

export function createChangesHandlers(changes: ChangesService): Pick<OperationHandlers, 'listChanges'> {
  return {
    async listChanges({ user, query, headers }) {
      const { page, etag, current } = await changes.list(user.id, {
        since: query?.since,
        limit: query?.limit ?? DEFAULT_LIMIT,
        ifNoneMatch: headers['If-None-Match'],
      });
      const answer = { status: 200 as const, body: page, headers: { ETag: etag } };
      return current ? { status: 304, body: undefined, headers: answer.headers } : answer;
    },
  };
}
