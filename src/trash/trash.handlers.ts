import type { OperationHandlers } from '../contract/operations.js';
import { represent, toTask } from '../tasks/task-representation.js';
import { audit } from '../tasks/tasks.handlers.js';
import type { TrashService } from './trash.service.js';

export function createTrashHandlers(
  trash: TrashService,
): Pick<OperationHandlers, 'listTrash' | 'restoreTask' | 'purgeTask' | 'emptyTrash'> {
  return {
    async listTrash({ user, query }) {
      const page = await trash.list(user.id, { limit: query?.limit ?? 50, cursor: query?.cursor });
      const items = page.items.map((row) => ({
        task: toTask(row),
        deleted_at: row.deleted_at.toISOString(),
        purge_at: row.purge_at.toISOString(),
        subtask_count: row.subtask_count,
      }));
      return { status: 200, body: { items, next_cursor: page.nextCursor } };
    },

    async restoreTask(input) {
      const { task, etag } = represent(await trash.restore(input.user.id, input.path.task_id));
      audit(input, 'task.restore', task.id);
      // In the result's headers, so that a stored result (an Idempotency-Key replay) carries it too.
      return { status: 200, body: task, headers: { ETag: etag } };
    },

    async purgeTask(input) {
      await trash.purge(input.user.id, input.path.task_id);
      audit(input, 'task.purge', input.path.task_id);
      return { status: 204, body: undefined };
    },

    async emptyTrash(input) {
      const ids = await trash.empty(input.user.id);
      // One line per item, as purging them one by one would log: the trail stays searchable by task.
      for (const id of ids) audit(input, 'task.purge', id);
      return { status: 200, body: { deleted: ids.length } };
    },
  };
}
