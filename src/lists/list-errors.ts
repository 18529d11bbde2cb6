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
