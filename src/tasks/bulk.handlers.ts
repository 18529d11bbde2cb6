import type { components } from '../../generated/api.js';
import type { OperationHandlers, OperationInput } from '../contract/operations.js';
import type { AppliedAction, BulkService, FailedAction } from './bulk.service.js';
import { represent } from './task-representation.js';
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

/** The task with its ETag, so that a client can make its next write to it conditional. */
function appliedResult({ index, status, row }: AppliedAction): BulkActionResult {
  if (!row) return { index, status };
  const { task, etag } = represent(row);
  return { index, status, task, etag };
}

/** The failed action's problem document: the single operation's problem, its pointers leading into the bulk body. */
function failedResult(input: OperationInput<'bulkTasks'>, { index, error }: FailedAction): BulkActionResult {
  const problem = input.problemFor(error);
  return { index, status: problem.status, problem };
}

/** The audit line the single operation logs for the same change. */
function auditApplied(
  input: OperationInput<'bulkTasks'>,
  { action, row, newOccurrence, changed }: AppliedAction,
): void {
  switch (action.op) {
    case 'create':
      return audit(input, 'task.create', row!.id);
    case 'update':
      return auditWrite(input, 'task.update', { row: row!, newOccurrence, changed });
    case 'complete':
      return auditWrite(input, row!.completed ? 'task.complete' : 'task.reopen', { row: row!, newOccurrence, changed });
    case 'delete':
      return audit(input, 'task.delete', action.id);
  }
}
