import type { OperationHandlers, OperationInput } from '../http/operations.js';
import { listViewOf } from './list-parameters.js';
import { toTask } from './task-representation.js';
import type { TaskService, Written } from './tasks.service.js';

type TaskOperations = 'listTasks' | 'createTask' | 'getTask' | 'replaceTask' | 'updateTask' | 'deleteTask' | 'completeTask' | 'clearCompletedTasks';

export function createTaskHandlers(tasks: TaskService): Pick<OperationHandlers, TaskOperations> {
  return {
    async listTasks({ user, query }) {
      const page = await tasks.list(user.id, { ...listViewOf(query ?? {}), limit: query?.limit ?? 50, cursor: query?.cursor });
      return { status: 200, body: { items: page.rows.map(toTask), next_cursor: page.nextCursor } };
    },

    async createTask(input) {
      const row = await tasks.create(input.user.id, input.body);
      audit(input, 'task.create', row.id);
      const location = `/api/${encodeURIComponent(row.user_id)}/tasks/${row.id}`;
      return { status: 201, body: toTask(row), headers: { Location: location } };
    },

    async getTask({ user, path }) {
      return { status: 200, body: toTask(await tasks.get(user.id, path.task_id)) };
    },

    async replaceTask(input) {
      const written = await tasks.replace(input.user.id, input.path.task_id, input.body);
      auditWrite(input, 'task.replace', written);
      return { status: 200, body: toTask(written.row) };
    },

    async updateTask(input) {
      const written = await tasks.update(input.user.id, input.path.task_id, input.body);
      if (Object.keys(input.body).length > 0) auditWrite(input, 'task.update', written);
      return { status: 200, body: toTask(written.row) };
    },

    async deleteTask(input) {
      await tasks.remove(input.user.id, input.path.task_id);
      audit(input, 'task.delete', input.path.task_id);
      return { status: 204, body: undefined };
    },

    async completeTask(input) {
      const written = await tasks.complete(input.user.id, input.path.task_id, input.body?.completed);
      auditWrite(input, written.row.completed ? 'task.complete' : 'task.reopen', written);
      return { status: 200, body: toTask(written.row) };
    },

    async clearCompletedTasks(input) {
      const ids = await tasks.clearCompleted(input.user.id);
      // One line per task, as deleting them one by one would log: the trail stays searchable by task.
      for (const id of ids) audit(input, 'task.clear_completed', id);
      return { status: 200, body: { deleted: ids.length } };
    },
  };
}

/** One log line per change, for the audit trail: who did what to which task. */
export function audit(input: Pick<OperationInput<TaskOperations>, 'log' | 'user'>, action: string, taskId: number): void {
  input.log.info({ audit: { action, user_id: input.user.id, task_id: taskId } }, `audit ${action}`);
}

/** The write's audit line, and a creation line for the next occurrence it created, if any. */
export function auditWrite(input: Pick<OperationInput<TaskOperations>, 'log' | 'user'>, action: string, { row, newOccurrence }: Written): void {
  audit(input, action, row.id);
  if (newOccurrence) audit(input, 'task.create', newOccurrence.id);
}
