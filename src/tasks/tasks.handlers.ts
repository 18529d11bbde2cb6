import type { OperationHandlers, OperationInput } from '../contract/operations.js';
import { auditTrail } from '../audit/audit-trail.js';
import { listViewOf } from './list-parameters.js';
import { represent, toTask, type TaskRepresentation } from './task-representation.js';
import type { TaskService, Written } from './tasks.service.js';

type TaskOperations =
  | 'listTasks'
  | 'createTask'
  | 'getTask'
  | 'replaceTask'
  | 'updateTask'
  | 'deleteTask'
  | 'completeTask'
  | 'clearCompletedTasks';

export function createTaskHandlers(tasks: TaskService): Pick<OperationHandlers, TaskOperations> {
  return {
    async listTasks({ user, query }) {
      const page = await tasks.list(user.id, {
        ...listViewOf(query ?? {}),
        limit: query?.limit ?? 50,
        cursor: query?.cursor,
      });
      return { status: 200, body: { items: page.rows.map(toTask), next_cursor: page.nextCursor } };
    },

    async createTask(input) {
      const row = await tasks.create(input.user.id, input.body);
      audit(input, 'task.create', row.id);
      const location = `/api/${encodeURIComponent(row.user_id)}/tasks/${row.id}`;
      return withEntityTag(201, represent(row), { Location: location });
    },

    async getTask({ user, path, headers }) {
      const { current, ...representation } = await tasks.getUnlessCurrent(
        user.id,
        path.task_id,
        headers['If-None-Match'],
      );
      const result = withEntityTag(200, representation);
      return current ? { status: 304, body: undefined, headers: result.headers } : result;
    },

    async replaceTask(input) {
      const written = await tasks.replace(input.user.id, input.path.task_id, input.body, {
        ifMatch: input.headers['If-Match'],
      });
      auditWrite(input, 'task.replace', written);
      return withEntityTag(200, represent(written.row));
    },

    async updateTask(input) {
      const written = await tasks.update(input.user.id, input.path.task_id, input.body, {
        ifMatch: input.headers['If-Match'],
      });
      auditWrite(input, 'task.update', written);
      return withEntityTag(200, represent(written.row));
    },

    async deleteTask(input) {
      await tasks.remove(input.user.id, input.path.task_id, { ifMatch: input.headers['If-Match'] });
      audit(input, 'task.delete', input.path.task_id);
      return { status: 204, body: undefined };
    },

    async completeTask(input) {
      const written = await tasks.complete(input.user.id, input.path.task_id, input.body?.completed, {
        ifMatch: input.headers['If-Match'],
      });
      auditWrite(input, written.row.completed ? 'task.complete' : 'task.reopen', written);
      return withEntityTag(200, represent(written.row));
    },

    async clearCompletedTasks(input) {
      const ids = await tasks.clearCompleted(input.user.id);
      // One line per task, as deleting them one by one would log: the trail stays searchable by task.
      for (const id of ids) audit(input, 'task.clear_completed', id);
      return { status: 200, body: { deleted: ids.length } };
    },
  };
}

/**
 * A single-task answer with its ETag. The tag travels in the result's headers, not set on the
 * response, so that a stored result (an Idempotency-Key replay) answers with it too.
 */
export function withEntityTag<S extends 200 | 201>(
  status: S,
  { task, etag }: TaskRepresentation,
  headers: Record<string, string> = {},
) {
  return { status, body: task, headers: { ...headers, ETag: etag } };
}

type Auditable = Pick<OperationInput<TaskOperations>, 'log' | 'user'>;

/** The task's line in the audit trail (src/audit/audit-trail.ts). */
export function audit(input: Auditable, action: string, taskId: number): void {
  auditTrail(input, action, { task_id: taskId });
}

/** The write's audit line, if it changed anything, and a creation line for the next occurrence it created, if any. */
export function auditWrite(input: Auditable, action: string, { row, newOccurrence, changed }: Written): void {
  if (!changed) return;
  audit(input, action, row.id);
  if (newOccurrence) audit(input, 'task.create', newOccurrence.id);
}
