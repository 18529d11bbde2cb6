import { entityTagCondition, ifMatchHolds, ifNoneMatchFails, preconditionRequired, type EntityTagCondition } from '../http/conditional-requests.js';
import type { OperationHandlers, OperationInput } from '../http/operations.js';
import { listViewOf } from './list-parameters.js';
import { taskEntityTag, toTask } from './task-representation.js';
import type { Precondition, TaskService, Written } from './tasks.service.js';
import type { TaskRow } from './tasks.store.js';

type TaskOperations = 'listTasks' | 'createTask' | 'getTask' | 'replaceTask' | 'updateTask' | 'deleteTask' | 'completeTask' | 'clearCompletedTasks';

export interface TaskHandlerOptions {
  /**
   * REQUIRE_IF_MATCH: PUT, PATCH, DELETE and complete without `If-Match` are refused (428), and so
   * are bulk update, complete and delete actions without `if_match`: bulk is no way around it.
   */
  readonly requireIfMatch: boolean;
}

/** The precondition an `If-Match` (or a bulk action's `if_match`) states: compared with the task's ETag under the write's lock. */
export function ifMatchPrecondition(condition: EntityTagCondition): Precondition {
  return (current) => ifMatchHolds(condition, taskEntityTag(toTask(current)));
}

export function createTaskHandlers(tasks: TaskService, { requireIfMatch }: TaskHandlerOptions): Pick<OperationHandlers, TaskOperations> {
  /** The write's precondition from its `If-Match`, compared with the task's ETag under the write's lock. */
  const precondition = (headers: { 'If-Match'?: string }): Precondition | undefined => {
    const ifMatch = headers['If-Match'];
    if (ifMatch === undefined) {
      if (requireIfMatch) throw preconditionRequired();
      return undefined;
    }
    return ifMatchPrecondition(entityTagCondition('If-Match', ifMatch));
  };

  return {
    async listTasks({ user, query }) {
      const page = await tasks.list(user.id, { ...listViewOf(query ?? {}), limit: query?.limit ?? 50, cursor: query?.cursor });
      return { status: 200, body: { items: page.rows.map(toTask), next_cursor: page.nextCursor } };
    },

    async createTask(input) {
      const row = await tasks.create(input.user.id, input.body);
      audit(input, 'task.create', row.id);
      const location = `/api/${encodeURIComponent(row.user_id)}/tasks/${row.id}`;
      return withEntityTag(201, row, { Location: location });
    },

    async getTask({ user, path, headers }) {
      const result = withEntityTag(200, await tasks.get(user.id, path.task_id));
      const ifNoneMatch = headers['If-None-Match'];
      if (ifNoneMatch !== undefined && ifNoneMatchFails(entityTagCondition('If-None-Match', ifNoneMatch), result.headers.ETag)) {
        return { status: 304, body: undefined, headers: result.headers };
      }
      return result;
    },

    async replaceTask(input) {
      const written = await tasks.replace(input.user.id, input.path.task_id, input.body, precondition(input.headers));
      auditWrite(input, 'task.replace', written);
      return withEntityTag(200, written.row);
    },

    async updateTask(input) {
      const written = await tasks.update(input.user.id, input.path.task_id, input.body, precondition(input.headers));
      if (Object.keys(input.body).length > 0) auditWrite(input, 'task.update', written);
      return withEntityTag(200, written.row);
    },

    async deleteTask(input) {
      await tasks.remove(input.user.id, input.path.task_id, precondition(input.headers));
      audit(input, 'task.delete', input.path.task_id);
      return { status: 204, body: undefined };
    },

    async completeTask(input) {
      const written = await tasks.complete(input.user.id, input.path.task_id, input.body?.completed, precondition(input.headers));
      auditWrite(input, written.row.completed ? 'task.complete' : 'task.reopen', written);
      return withEntityTag(200, written.row);
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
function withEntityTag<S extends 200 | 201>(status: S, row: TaskRow, headers: Record<string, string> = {}) {
  const body = toTask(row);
  return { status, body, headers: { ...headers, ETag: taskEntityTag(body) } };
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
