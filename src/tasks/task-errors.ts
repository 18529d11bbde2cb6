import { DomainError, type Issue } from '../contract/domain-error.js';

/** The issue at the pointer into the body where a bulk action went wrong, when there is one (a single write's path needs none). */
function inBody(pointer: string | undefined, message: string): { issues?: Issue[] } {
  return pointer === undefined ? {} : { issues: [{ location: 'body', pointer, message }] };
}

/** The user has no task with this id (another user's task is indistinguishable from a missing one). */
export class TaskNotFoundError extends DomainError {
  override name = 'TaskNotFoundError';

  /** `pointer`: where the request body names the task, when it does (a bulk action); a path's id needs none. */
  constructor(
    readonly taskId: number,
    readonly pointer?: string,
  ) {
    super('not_found', `Task ${taskId} was not found.`, inBody(pointer, 'is not the id of one of your tasks'));
  }
}

/** The task is no longer as the writer last read it (its `If-Match`): nothing was written. */
export class TaskPreconditionFailedError extends DomainError {
  override name = 'TaskPreconditionFailedError';

  /** `pointer`: where the request body states the precondition, when it does (a bulk action's `if_match`). */
  constructor(
    readonly taskId: number,
    readonly pointer?: string,
  ) {
    super(
      'precondition_failed',
      'The task has changed since it was read (If-Match); nothing was written.',
      inBody(pointer, "is not the task's current ETag"),
    );
  }
}

/**
 * A write without a precondition on a server that requires one (REQUIRE_IF_MATCH, RFC 6585 §3):
 * it did not run. A bulk action's problem names the missing `if_match` in the body.
 */
export class TaskPreconditionRequiredError extends DomainError {
  override name = 'TaskPreconditionRequiredError';

  /** `pointer`: where the action's `if_match` belongs in the request body; none for an `If-Match` header. */
  constructor(readonly pointer?: string) {
    super(
      'precondition_required',
      pointer === undefined
        ? 'This write needs an If-Match header with the ETag of the task as last read.'
        : 'This action needs an if_match with the ETag of the task as last read.',
      inBody(pointer, 'is required on this server for update, complete and delete'),
    );
  }
}

/** A list cursor that this API did not issue, or issued for other filters. */
export class InvalidCursorError extends DomainError {
  override name = 'InvalidCursorError';

  constructor(readonly reason: string) {
    super('invalid', `The cursor ${reason}.`, { issues: [{ location: 'query', pointer: '/cursor', message: reason }] });
  }
}

/** One rule a task's fields break, at a JSON Pointer into the request body. */
export interface TaskIssue {
  readonly pointer: string;
  readonly message: string;
}

/** Fields that each match the spec but break a rule together (both due forms, an unknown zone...). */
export class InvalidTaskError extends DomainError {
  override name = 'InvalidTaskError';

  constructor(readonly taskIssues: readonly TaskIssue[]) {
    super('invalid', 'The request is not valid.', {
      issues: taskIssues.map((issue) => ({ location: 'body', ...issue })),
    });
  }
}
