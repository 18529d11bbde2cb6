import type { components } from '../../generated/api.js';
import { entityTagCondition } from '../http/conditional-requests.js';
import { taskProblem } from '../http/error-mapping.js';
import type { OperationHandlers, OperationInput } from '../http/operations.js';
import { problemDocument } from '../http/problem.js';
import type { ActionPreconditions, AppliedAction, BulkService, FailedAction } from './bulk.js';
import { taskEntityTag, toTask } from './task-representation.js';
import { audit, auditWrite, ifMatchPrecondition, type TaskHandlerOptions } from './tasks.handlers.js';

type BulkActionResult = components['schemas']['BulkActionResult'];

export function createBulkHandlers(bulk: BulkService, { requireIfMatch }: TaskHandlerOptions): Pick<OperationHandlers, 'bulkTasks'> {
  return {
    async bulkTasks(input) {
      const { user, body } = input;
      // Every if_match is read before any action runs, as the single write reads its If-Match.
      const preconditions: ActionPreconditions = {
        byIndex: body.actions.map(({ if_match }, index) =>
          if_match === undefined ? undefined : ifMatchPrecondition(entityTagCondition({ bodyPointer: `/actions/${index}/if_match` }, if_match)),
        ),
        required: requireIfMatch,
      };
      if (body.atomic) {
        // Nothing is logged before the transaction commits: a rolled-back action changed nothing.
        const applied = await bulk.together(user.id, body.actions, preconditions);
        applied.forEach((outcome) => auditApplied(input, outcome));
        return { status: 200, body: { results: applied.map(appliedResult) } };
      }
      const results: BulkActionResult[] = [];
      for await (const outcome of bulk.separately(user.id, body.actions, preconditions)) {
        if ('error' in outcome) {
          results.push(failedResult(input, outcome));
        } else {
          auditApplied(input, outcome);
          results.push(appliedResult(outcome));
        }
      }
      return { status: 207, body: { results } };
    },
  };
}

/** The task with its ETag, so that a client can make its next write to it conditional. */
function appliedResult({ index, status, row }: AppliedAction): BulkActionResult {
  if (!row) return { index, status };
  const task = toTask(row);
  return { index, status, task, etag: taskEntityTag(task) };
}

/** The failed action's problem document: the single operation's problem, its pointers leading into the bulk body. */
function failedResult(input: OperationInput<'bulkTasks'>, { index, error }: FailedAction): BulkActionResult {
  const problem = taskProblem(error);
  return { index, status: problem.status, problem: problemDocument(input.problemSource, problem) };
}

/** The audit line the single operation logs for the same change; an empty patch changes nothing. */
function auditApplied(input: OperationInput<'bulkTasks'>, { action, row, newOccurrence }: AppliedAction): void {
  switch (action.op) {
    case 'create':
      return audit(input, 'task.create', row!.id);
    case 'update':
      if (Object.keys(action.patch).length > 0) auditWrite(input, 'task.update', { row: row!, newOccurrence });
      return;
    case 'complete':
      return auditWrite(input, row!.completed ? 'task.complete' : 'task.reopen', { row: row!, newOccurrence });
    case 'delete':
      return audit(input, 'task.delete', action.id);
  }
}
