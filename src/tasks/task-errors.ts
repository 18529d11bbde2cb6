/** The user has no task with this id (another user's task is indistinguishable from a missing one). */
export class TaskNotFoundError extends Error {
  override name = 'TaskNotFoundError';

  constructor(readonly taskId: number) {
    super(`Task ${taskId} was not found.`);
  }
}

/** A list cursor that this API did not issue, or issued for other filters. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';

  constructor(readonly reason: string) {
    super(`The cursor ${reason}.`);
  }
}
