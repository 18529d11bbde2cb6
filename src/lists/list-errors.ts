import { DomainError, type Issue } from '../contract/domain-error.js';

/** The user has no list with this id (another user's list is indistinguishable from a missing one). */
export class ListNotFoundError extends DomainError {
  override name = 'ListNotFoundError';

  /** `pointer`: where the request body names the list, when it does (a task's `list_id`); a path's id needs none. */
  constructor(
    readonly listId: number,
    readonly pointer?: string,
  ) {
    const issues: Issue[] =
      pointer === undefined ? [] : [{ location: 'body', pointer, message: 'is not the id of one of your lists' }];
    super('not_found', `List ${listId} was not found.`, issues.length > 0 ? { issues } : {});
  }
}

/** The list is no longer as the writer last read it (its `If-Match`): nothing was written. */
export class ListPreconditionFailedError extends DomainError {
  override name = 'ListPreconditionFailedError';

  constructor(readonly listId: number) {
    super('precondition_failed', 'The list has changed since it was read (If-Match); nothing was written.');
  }
}

/** A write of a list without `If-Match` on a server that requires one (REQUIRE_IF_MATCH): it did not run. */
export class ListPreconditionRequiredError extends DomainError {
  override name = 'ListPreconditionRequiredError';

  constructor() {
    super('precondition_required', 'This write needs an If-Match header with the ETag of the list as last read.');
  }
}

/** Another of the user's lists has this name, compared case-insensitively. */
export class ListNameTakenError extends DomainError {
  override name = 'ListNameTakenError';

  constructor(readonly listName: string) {
    super(
      'conflict',
      `A list named ${JSON.stringify(listName)} already exists (names are compared case-insensitively).`,
      { issues: [{ location: 'body', pointer: '/name', message: 'is the name of another of your lists' }] },
    );
  }
}

/** The default list is where tasks without a list go: it can be renamed, never deleted. */
export class DefaultListDeletionError extends DomainError {
  override name = 'DefaultListDeletionError';

  constructor(readonly listId: number) {
    super(
      'conflict',
      `List ${listId} is your default list, where tasks without a list go: it can be renamed but not deleted.`,
    );
  }
}
