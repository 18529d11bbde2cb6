import type { components } from '../../generated/api.js';
import { taskProblem } from '../http/error-mapping.js';
import type { OperationHandlers, OperationInput } from '../http/operations.js';
import { problemDocument } from '../http/problem.js';
import type { AppliedAction, BulkService, FailedAction } from './bulk.js';
import { toTask } from './task-representation.js';
import { audit, auditWrite } from './tasks.handlers.js';

type BulkActionResult = components['schemas']['BulkActionResult'];

export function createBulkHandlers(bulk: BulkService): Pick<OperationHandlers, 'bulkTasks'> {
  return {
    async bulkTasks(input) {
      const { user, body } = input;
      if (body.atomic) {
        // Nothing is logged before the transaction commits: a rolled-back action changed nothing.
        const applied = await bulk.together(user.id, body.actions);
        applied.forEach((outcome) => auditApplied(input, outcome));
        return { status: 200, body: { results: applied.map(appliedResult) } };
      }
      const results: BulkActionResult[] = [];
      for await (const outcome of bulk.separately(user.id, body.actions)) {
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

function appliedResult({ index, status, row }: AppliedAction): BulkActionResult {
  return row ? { index, status, task: toTask(row) } : { index, status };
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
