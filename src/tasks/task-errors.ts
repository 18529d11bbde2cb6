/** The user has no task with this id (another user's task is indistinguishable from a missing one). */
export class TaskNotFoundError extends Error {
  override name = 'TaskNotFoundError';

  /** `pointer`: where the request body names the task, when it does (a bulk action); a path's id needs none. */
  constructor(
    readonly taskId: number,
    readonly pointer?: string,
  ) {
    super(`Task ${taskId} was not found.`);
  }
}

/** The task is no longer as the writer last read it (its `If-Match`): nothing was written. */
export class TaskPreconditionFailedError extends Error {
  override name = 'TaskPreconditionFailedError';

  /** `pointer`: where the request body states the precondition, when it does (a bulk action's `if_match`). */
  constructor(
    readonly taskId: number,
    readonly pointer?: string,
  ) {
    super(`Task ${taskId} has changed since it was read.`);
  }
}

/** A bulk action would write a task unconditionally on a server that requires a precondition: it did not run. */
export class TaskPreconditionRequiredError extends Error {
  override name = 'TaskPreconditionRequiredError';

  /** `pointer`: where the action's `if_match` belongs in the request body. */
  constructor(readonly pointer: string) {
    super('The action needs a precondition.');
  }
}

/** A list cursor that this API did not issue, or issued for other filters. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';

  constructor(readonly reason: string) {
    super(`The cursor ${reason}.`);
  }
}

/** One rule a task's fields break, at a JSON Pointer into the request body. */
export interface TaskIssue {
  readonly pointer: string;
  readonly message: string;
}

/** Fields that each match the spec but break a rule together (both due forms, an unknown zone...). */
export class InvalidTaskError extends Error {
  override name = 'InvalidTaskError';

  constructor(readonly issues: readonly TaskIssue[]) {
    super('The task is not valid.');
  }
}
