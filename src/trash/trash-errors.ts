import { DomainError } from '../contract/domain-error.js';

/** Purging a task of the user's that is not in the trash. */
export class NotInTrashError extends DomainError {
  override name = 'NotInTrashError';

  constructor(readonly taskId: number) {
    super('not_found', `Task ${taskId} is not in your trash.`);
  }
}

/** Restoring a task that is not in the trash: there is nothing to bring back. */
export class AlreadyLiveError extends DomainError {
  override name = 'AlreadyLiveError';

  constructor(readonly taskId: number) {
    super('conflict', `Task ${taskId} is not in the trash.`);
  }
}

/** Restoring or purging a task that went to the trash with another one: only that item is restored or purged. */
export class WentWithAnotherError extends DomainError {
  override name = 'WentWithAnotherError';

  constructor(
    readonly taskId: number,
    readonly itemId: number,
  ) {
    super(
      'conflict',
      `Task ${taskId} went to the trash with task ${itemId}: restore or purge task ${itemId}, which brings it along.`,
    );
  }
}
