import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import type { ProblemDocument } from '../contract/operations.js';
import type { StoredForm } from '../idempotency/idempotency.service.js';
import { represent } from './task-representation.js';
import { findTasks } from './tasks.store.js';

type BulkResult = components['schemas']['BulkResult'];
type BulkActionResult = components['schemas']['BulkActionResult'];

/** The fields of a problem that belong to the request rather than to its action: the same in every result. */
type RequestFields = Pick<ProblemDocument, 'instance' | 'request_id'>;

/** One action's result as kept: its status, and its task's id or its problem without the request's fields. */
interface KeptResult {
  readonly status: number;
  readonly id?: number;
  readonly problem?: Omit<ProblemDocument, keyof RequestFields>;
}

/** A bulk answer as kept: one result per action, in order (the index is the position), and the request's fields once. */
interface KeptBulk {
  readonly actions: readonly KeptResult[];
  readonly request?: RequestFields;
}

/**
 * A bulk answer, kept compact for its Idempotency-Key: each action's status with its task's id or
 * its problem, a few dozen bytes an action instead of up to a whole task (a 100-action answer is
 * megabytes). A replay rebuilds the answer with each task as it is at the replay, which is the
 * task of the first answer unless it changed since (its ETag, a hash of it, then differs too); a
 * task deleted since is left out of its result, which keeps its status.
 */
export function bulkStoredForm(db: Knex): StoredForm {
  return {
    compact({ status, headers = {}, body }) {
      const { results } = body as BulkResult;
      const problem = results.find((result) => result.problem)?.problem;
      const kept: KeptBulk = {
        actions: results.map(keptResult),
        ...(problem ? { request: { instance: problem.instance, request_id: problem.request_id } } : {}),
      };
      return { status, headers, body: kept };
    },

    async rebuild({ status, headers, body }, userId) {
      // An answer kept whole, before answers were kept compact (gone 24 hours after the upgrade).
      if ((body as BulkResult).results !== undefined) return { status, headers: { ...headers }, body };
      const kept = body as KeptBulk;
      const ids = kept.actions.flatMap((action) => (action.id === undefined ? [] : [action.id]));
      const tasks = new Map((await findTasks(db, userId, ids)).map((row) => [row.id, represent(row)]));
      const results = kept.actions.map((action, index): BulkActionResult => {
        if (action.problem)
          return { index, status: action.status, problem: withRequestFields(action.problem, kept.request) };
        const task = action.id === undefined ? undefined : tasks.get(action.id);
        return task ? { index, status: action.status, ...task } : { index, status: action.status };
      });
      return { status, headers: { ...headers }, body: { results } satisfies BulkResult };
    },
  };
}

function keptResult({ status, task, problem }: BulkActionResult): KeptResult {
  if (task) return { status, id: task.id };
  if (problem) {
    const { instance: _instance, request_id: _requestId, ...own } = problem;
    return { status, problem: own };
  }
  return { status };
}

/** The problem as it was sent: the request's fields after `detail`, where every problem document has them. */
function withRequestFields(
  { type, title, status, detail, ...rest }: Omit<ProblemDocument, keyof RequestFields>,
  request: RequestFields | undefined,
): ProblemDocument {
  return { type, title, status, detail, ...request, ...rest } as ProblemDocument;
}
