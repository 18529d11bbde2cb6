import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import { DomainError } from '../contract/domain-error.js';
import { entityTagCondition } from '../contract/entity-tags.js';
import {
  InvalidTaskError,
  TaskNotFoundError,
  TaskPreconditionFailedError,
  TaskPreconditionRequiredError,
} from './task-errors.js';
import { createTaskService, type TaskPolicy, type TaskService, type Written } from './tasks.service.js';
import * as store from './tasks.store.js';
import type { TaskRow } from './tasks.store.js';

type Schemas = components['schemas'];

/** A bulk action: the spec's union by `op`, each with exactly the fields its op takes (the validator has checked them). */
export type BulkAction = Schemas['BulkAction'];

/** Where in an action the task's own fields are, so that a task rule's pointers lead into the bulk body. */
const TASK_FIELDS_AT: Record<BulkAction['op'], string> = {
  create: '/task',
  update: '/patch',
  complete: '',
  delete: '',
};

/** An action that succeeded: the status it would have had alone, and the task as it now is (null once deleted). */
export interface AppliedAction {
  readonly index: number;
  readonly action: BulkAction;
  readonly status: 200 | 201 | 204;
  readonly row: TaskRow | null;
  /** The next occurrence a completion created. */
  readonly newOccurrence: TaskRow | null;
  /** Whether the action asked for any change (an empty patch asks for none). */
  readonly changed: boolean;
}

/**
 * An action that broke a task rule or its precondition, its error's pointers leading to it in the
 * bulk body (`/actions/{index}...`), or that would have gone past a quota (a quota_exceeded DomainError).
 */
export interface FailedAction {
  readonly index: number;
  readonly action: BulkAction;
  readonly error:
    TaskNotFoundError | InvalidTaskError | TaskPreconditionFailedError | TaskPreconditionRequiredError | DomainError;
}

export type ActionOutcome = AppliedAction | FailedAction;

export type BulkService = ReturnType<typeof createBulkService>;

/** Several task writes in one request, each by the task service's own rules. Knows nothing of HTTP. */
export function createBulkService(db: Knex, policy: TaskPolicy) {
  return {
    /**
     * Runs the actions in order, each on its own: an action that breaks a task rule fails alone,
     * and each outcome is yielded once its change is stored. Any other error ends the run.
     * Each action is a transaction of its own, or a savepoint when the request runs in one (an
     * Idempotency-Key): a failing action then undoes its own writes and no other action's.
     */
    async *separately(userId: string, actions: readonly BulkAction[]): AsyncGenerator<ActionOutcome> {
      const checked = checkActions(actions);
      for (const [index, action] of checked.entries())
        yield await attempt(index, action, (ifMatchPointer) =>
          db.transaction((trx) => apply(createTaskService(trx, policy), userId, action, ifMatchPointer)),
        );
    },

    /** Runs the actions in order in one transaction: all of them, or none (the first failure is thrown). */
    async together(userId: string, actions: readonly BulkAction[]): Promise<AppliedAction[]> {
      const checked = checkActions(actions);
      return db.transaction(async (trx) => {
        // Locked up front, in id order: two atomic requests naming the same tasks in another
        // order then wait for each other instead of deadlocking. Each precondition is checked on
        // its task as the earlier actions left it, under this lock.
        await store.lockTasks(
          trx,
          userId,
          checked.flatMap((action) => ('id' in action ? [action.id] : [])),
        );
        const tasks = createTaskService(trx, policy);
        const applied: AppliedAction[] = [];
        for (const [index, action] of checked.entries()) {
          const outcome = await attempt(index, action, (ifMatchPointer) =>
            apply(tasks, userId, action, ifMatchPointer),
          );
          if ('error' in outcome) throw outcome.error;
          applied.push(outcome);
        }
        return applied;
      });
    },
  };
}

/**
 * The actions, once every `if_match` is well formed (read before any action runs, as a single
 * write reads its If-Match); otherwise the first malformed one, before anything runs.
 */
function checkActions(actions: readonly BulkAction[]): readonly BulkAction[] {
  actions.forEach((action, index) => {
    if ('if_match' in action && action.if_match !== undefined)
      entityTagCondition({ bodyPointer: ifMatchAt(index) }, action.if_match);
  });
  return actions;
}

/** Where an action's `if_match` is in the bulk body. */
const ifMatchAt = (index: number) => `/actions/${index}/if_match`;

type Applied = Pick<AppliedAction, 'status' | 'row' | 'newOccurrence' | 'changed'>;

/**
 * One action, as `run` applies it by the task service's rules (its precondition, and whether one
 * is required, included); a task rule it breaks becomes its failed outcome, anything else is thrown.
 */
async function attempt(
  index: number,
  action: BulkAction,
  run: (ifMatchPointer: string) => Promise<Applied>,
): Promise<ActionOutcome> {
  const at = `/actions/${index}`;
  try {
    return { index, action, ...(await run(ifMatchAt(index))) };
  } catch (error) {
    if (error instanceof TaskNotFoundError) return { index, action, error: new TaskNotFoundError(error.taskId, at) };
    if (
      error instanceof TaskPreconditionFailedError ||
      error instanceof TaskPreconditionRequiredError ||
      (error instanceof DomainError && error.kind === 'quota_exceeded')
    )
      return { index, action, error };
    // A list or parent the action names that the user does not have, or a rule of the tree.
    if (error instanceof DomainError && error.kind === 'conflict') {
      const prefix = `${at}${TASK_FIELDS_AT[action.op]}`;
      const issues = error.details.issues?.map((issue) => ({ ...issue, pointer: prefix + issue.pointer }));
      return { index, action, error: new DomainError('conflict', error.message, issues ? { issues } : {}) };
    }
    if (error instanceof InvalidTaskError) {
      const prefix = `${at}${TASK_FIELDS_AT[action.op]}`;
      return {
        index,
        action,
        error: new InvalidTaskError(error.taskIssues.map((issue) => ({ ...issue, pointer: prefix + issue.pointer }))),
      };
    }
    throw error;
  }
}

async function apply(tasks: TaskService, userId: string, action: BulkAction, ifMatchPointer: string): Promise<Applied> {
  if (action.op === 'create')
    return { status: 201, row: await tasks.create(userId, action.task), newOccurrence: null, changed: true };
  const condition = { ifMatch: action.if_match, ifMatchAt: ifMatchPointer };
  const written = (result: Written) => ({ status: 200 as const, ...result });
  switch (action.op) {
    case 'update':
      return written(await tasks.update(userId, action.id, action.patch, condition));
    case 'complete':
      return written(await tasks.complete(userId, action.id, action.completed, condition));
    case 'delete':
      await tasks.remove(userId, action.id, condition);
      return { status: 204, row: null, newOccurrence: null, changed: true };
  }
}
