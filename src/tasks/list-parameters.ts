import { invalidRequest, type DomainError } from '../contract/domain-error.js';
import type { OperationInput } from '../contract/operations.js';
import type { ListView } from './list-query.js';
import { parseInstant } from './instants.js';
import { normalizeTag, PRIORITIES } from './task-fields.js';

type ListTasksQuery = NonNullable<OperationInput<'listTasks'>['query']>;

/**
 * The list a listTasks query asks for, with the spec's defaults. The validator has checked each
 * parameter against its schema; what a schema cannot say (combinations) is checked here.
 */
export function listViewOf(query: ListTasksQuery): ListView {
  const search = query.q ?? null;
  if (query.sort === 'relevance' && search === null) throw invalidQuery('/sort', 'relevance needs q');
  const listId = query.list_id ?? null;
  const parentId = query.parent_id ?? null;
  if (query.sort === 'position' && listId === null && parentId === null)
    throw invalidQuery('/sort', 'position needs list_id or parent_id');
  return {
    filters: {
      listId,
      parentId,
      completion: query.status ?? 'all',
      priorities: (query.priority ?? []).map((priority) => PRIORITIES.indexOf(priority)),
      tags: (query.tag ?? []).map(normalizeTag),
      dueAfter: query.due_after === undefined ? null : instant(query.due_after, '/due_after'),
      dueBefore: query.due_before === undefined ? null : instant(query.due_before, '/due_before'),
      overdue: query.overdue ?? null,
      search,
    },
    sort: query.sort ?? (search === null ? 'created_at' : 'relevance'),
    // Manual order reads top to bottom; every other order newest, highest or last first.
    direction: query.order ?? (query.sort === 'position' ? 'asc' : 'desc'),
  };
}

function invalidQuery(pointer: string, message: string): DomainError {
  return invalidRequest([{ location: 'query', pointer, message }]);
}

function instant(text: string, pointer: string): Date {
  const parsed = parseInstant(text);
  if (parsed === undefined) throw invalidQuery(pointer, 'must be an RFC 3339 date-time in years 1 to 9999');
  return parsed;
}
