import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';
import { createTaskMoveService } from './task-move.service.js';
import { represent } from './task-representation.js';
import { auditWrite, withEntityTag } from './tasks.handlers.js';
import type { TaskPolicy } from './tasks.service.js';

export function createTaskMoveHandlers(db: Knex, policy: TaskPolicy): Pick<OperationHandlers, 'moveTask'> {
  const moves = createTaskMoveService(db, policy);
  return {
    async moveTask(input) {
      const written = await moves.move(input.user.id, input.path.task_id, input.body, {
        ifMatch: input.headers['If-Match'],
      });
      auditWrite(input, 'task.move', written);
      return withEntityTag(200, represent(written.row));
    },
  };
}
