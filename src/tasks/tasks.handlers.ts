import type { OperationHandlers, OperationInput } from '../http/operations.js';
import { toTask } from './task-representation.js';
import type { TaskService } from './tasks.service.js';

type TaskOperations = 'listTasks' | 'createTask' | 'getTask' | 'replaceTask' | 'updateTask' | 'deleteTask' | 'completeTask';

export function createTaskHandlers(tasks: TaskService): Pick<OperationHandlers, TaskOperations> {
  return {
    async listTasks({ user, query }) {
      const page = await tasks.list(user.id, {
        status: query?.status ?? 'all',
        limit: query?.limit ?? 50,
        cursor: query?.cursor,
      });
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
      const row = await tasks.replace(input.user.id, input.path.task_id, input.body);
      audit(input, 'task.replace', row.id);
      return { status: 200, body: toTask(row) };
    },

    async updateTask(input) {
      const row = await tasks.update(input.user.id, input.path.task_id, input.body);
      if (Object.keys(input.body).length > 0) audit(input, 'task.update', row.id);
      return { status: 200, body: toTask(row) };
    },

    async deleteTask(input) {
      await tasks.remove(input.user.id, input.path.task_id);
      audit(input, 'task.delete', input.path.task_id);
      return { status: 204, body: undefined };
    },

    async completeTask(input) {
      const row = await tasks.complete(input.user.id, input.path.task_id, input.body?.completed);
      audit(input, row.completed ? 'task.complete' : 'task.reopen', row.id);
      return { status: 200, body: toTask(row) };
    },
  };
}

/** One log line per change, for the audit trail: who did what to which task. */
function audit(input: OperationInput<TaskOperations>, action: string, taskId: number): void {
  input.log.info({ audit: { action, user_id: input.user.id, task_id: taskId } }, `audit ${action}`);
}
