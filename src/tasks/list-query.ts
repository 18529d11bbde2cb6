import type { Knex } from 'knex';

export type SortName = 'created_at' | 'updated_at' | 'due' | 'priority' | 'title' | 'position' | 'relevance';
export type Direction = 'asc' | 'desc';

/** Which tasks a list shows by completion. */
export type CompletionFilter = 'open' | 'completed' | 'all';

/** Which of the user's tasks are listed; every member narrows the list (AND). */
export interface ListFilters {
  /** With `parentId` null: this list's top-level tasks. */
  readonly listId: number | null;
  /** This task's direct subtasks. Both null: every task of every list, at every level. */
  readonly parentId: number | null;
  readonly completion: CompletionFilter;
  /** Priority indexes (0 none .. 3 high), any of them; empty: every priority. */
  readonly priorities: readonly number[];
  /** Tags as stored (trimmed, lower case), all of them. */
  readonly tags: readonly string[];
  /** Due at or after (inclusive). */
  readonly dueAfter: Date | null;
  /** Due before (exclusive). */
  readonly dueBefore: Date | null;
  readonly overdue: boolean | null;
  /** Web-search syntax (`websearch_to_tsquery`): every word must match. */
  readonly search: string | null;
}

/** A list as the client sees it: filters and order. A cursor is valid for one view only. */
export interface ListView {
  readonly filters: ListFilters;
  /** `relevance` needs `filters.search`; `position` a list or a parent. */
  readonly sort: SortName;
  readonly direction: Direction;
}

/** The value of the row's sort key as the database returns it (`due` of an undated task: null). */
export type SortValue = Date | number | string | null;

/** The last row of the previous page: the page starts strictly after it. */
export interface ListPosition {
  readonly value: SortValue;
  readonly id: number;
  /**
   * Relevance only: the greatest task id among the first page's candidates. Later pages choose
   * their candidates among tasks up to it, so that tasks added since never displace them.
   */
  readonly candidatesUpTo?: number;
}

export interface ListQuery extends ListView {
  readonly limit: number;
  readonly after?: ListPosition;
}

/**
 * How many matches relevance ranks: the newest ones (by created_at, then id). Ranking reads each
 * match's whole search vector, so that ranking every match of a user with tens of thousands of
 * tasks would cost a second of database time per request; finding the newest matches walks an index.
 * The contract states this number (openapi/components/parameters/Sort.yaml and Search.yaml).
 */
export const RELEVANCE_CANDIDATES = 1000;

/**
 * A listed row: the task's columns, plus the value of its sort key and, for relevance, the
 * candidates' bound (ListPosition.candidatesUpTo), for the next cursor.
 */
export type Listed<Row> = Row & { sort_value: SortValue; candidates_up_to?: number };

/** The SQL type of each sort's value, which also decides how a cursor carries it. */
export type SortType = 'timestamptz' | 'smallint' | 'text' | 'real';

/** Each sort's value type, and whether it can be null (the due of an undated task). */
export const SORT_VALUES: Record<SortName, { readonly type: SortType; readonly nullable: boolean }> = {
  created_at: { type: 'timestamptz', nullable: false },
  updated_at: { type: 'timestamptz', nullable: false },
  due: { type: 'timestamptz', nullable: true },
  priority: { type: 'smallint', nullable: false },
  title: { type: 'text', nullable: false },
  position: { type: 'text', nullable: false },
  relevance: { type: 'real', nullable: false },
};

/**
 * One way of ordering: the row's value, and the expression the rows are ordered by, applied to
 * the row's value or to the cursor's. That expression is the sort index's own
 * (db/migrations/20261121030000_task_list_indexes.ts), so that the planner walks the index.
 */
interface SortKey {
  value(db: Knex, filters: ListFilters): Knex.Raw;
  ordered(db: Knex, value: Knex.Raw, direction: Direction): Knex.Raw;
}

const asIs = (_db: Knex, value: Knex.Raw) => value;
const column = (name: string) => (db: Knex) => db.raw('??', [name]);
const tsQuery = (db: Knex, search: string | null) => db.raw("websearch_to_tsquery('english', ?)", [search]);

const SORT_KEYS: Record<SortName, SortKey> = {
  created_at: { value: column('created_at'), ordered: asIs },
  updated_at: { value: column('updated_at'), ordered: asIs },
  priority: { value: column('priority'), ordered: asIs },
  // The ICU root collation orders as people read, the same on every database.
  title: { value: column('title'), ordered: (db, value) => db.raw('? collate "und-x-icu"', [value]) },
  // Keys compare byte by byte (the column's collation is "C"), as the position index orders them.
  position: { value: column('position'), ordered: (db, value) => db.raw('? collate "C"', [value]) },
  // Undated tasks last in both directions: they sort as +infinity ascending, -infinity descending.
  due: {
    value: column('due_key'),
    ordered: (db, value, direction) =>
      db.raw(`coalesce(?, '${direction === 'asc' ? '' : '-'}infinity'::timestamptz)`, [value]),
  },
  relevance: {
    value: (db, filters) => db.raw('ts_rank(search, ?)', [tsQuery(db, filters.search)]),
    ordered: asIs,
  },
};

/** Open tasks whose due time has passed. */
const OVERDUE = 'not completed and overdue_at <= now()';

/**
 * The query that lists one page of the user's tasks: filtered, ordered by the sort key then id
 * (a total order), starting after `query.after` (keyset pagination: rows added or removed
 * elsewhere in the list never shift a page). Selects `columns` and the row's `sort_value`.
 *
 * Relevance ranks only the RELEVANCE_CANDIDATES newest matches (a walk of the created_at index,
 * or of the search index's matches, stopped at the bound); the next pages rank the same
 * candidates: those up to the first page's greatest id (`candidates_up_to`, which cursors carry).
 */
export function buildListQuery(
  db: Knex,
  userId: string,
  query: ListQuery,
  columns: readonly string[],
): Knex.QueryBuilder {
  if (query.sort === 'relevance' && query.filters.search === null) throw new Error('relevance needs a search');
  const rows = db('tasks').where('user_id', userId).whereNull('deleted_at');
  applyFilters(db, rows, query.filters);
  if (query.sort !== 'relevance') return pageOf(db, rows, query, columns);

  const upTo = query.after?.candidatesUpTo;
  if (query.after && upTo === undefined) throw new Error('a relevance position needs its candidates bound');
  if (upTo !== undefined) rows.where('id', '<=', upTo);
  // The vector is ranked outside: inside, every match found (before the limit) would be ranked.
  const candidates = rows
    .select([...columns, 'search'])
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(RELEVANCE_CANDIDATES);
  const bound = upTo === undefined ? db.raw('max(id) over ()') : db.raw('?::bigint', [upTo]);
  return pageOf(db, db.from(candidates.as('candidates')), query, [
    ...columns,
    db.raw('? as candidates_up_to', [bound]),
  ]);
}

/** One page of `rows` in the query's order, after its position, with each row's `sort_value`. */
function pageOf(
  db: Knex,
  rows: Knex.QueryBuilder,
  query: ListQuery,
  columns: readonly (string | Knex.Raw)[],
): Knex.QueryBuilder {
  const key = SORT_KEYS[query.sort];
  const value = key.value(db, query.filters);
  const ordered = key.ordered(db, value, query.direction);
  if (query.after) {
    const cursorValue = key.ordered(
      db,
      db.raw(`?::${SORT_VALUES[query.sort].type}`, [bindable(query.after.value)]),
      query.direction,
    );
    rows.whereRaw(`(?, id) ${query.direction === 'asc' ? '>' : '<'} (?, ?)`, [ordered, cursorValue, query.after.id]);
  }
  return rows
    .select([...columns, db.raw('? as sort_value', [value])])
    .orderByRaw(`? ${query.direction}, id ${query.direction}`, [ordered])
    .limit(query.limit);
}

function applyFilters(db: Knex, rows: Knex.QueryBuilder, filters: ListFilters): void {
  if (filters.listId !== null) rows.where('list_id', filters.listId);
  if (filters.parentId !== null) rows.where('parent_id', filters.parentId);
  else if (filters.listId !== null) rows.whereNull('parent_id');
  if (filters.completion !== 'all') rows.where('completed', filters.completion === 'completed');
  if (filters.priorities.length > 0) rows.whereIn('priority', filters.priorities);
  if (filters.tags.length > 0) rows.whereRaw('tags @> ?::text[]', [[...filters.tags]]);
  if (filters.dueAfter || filters.dueBefore) {
    // The window is a range of one of the due sort's expressions, so that a due index serves it
    // (as one range, which the planner estimates as such). Undated tasks stay outside: they are
    // -infinity in the one used with a lower bound, +infinity in the one used with only an upper.
    const due = SORT_KEYS.due.ordered(db, column('due_key')(db), filters.dueAfter ? 'desc' : 'asc');
    if (filters.dueAfter) rows.whereRaw('? >= ?::timestamptz', [due, bindable(filters.dueAfter)]);
    if (filters.dueBefore) rows.whereRaw('? < ?::timestamptz', [due, bindable(filters.dueBefore)]);
  }
  if (filters.overdue !== null) rows.whereRaw(filters.overdue ? OVERDUE : `(${OVERDUE}) is not true`);
  if (filters.search !== null) rows.whereRaw('search @@ ?', [tsQuery(db, filters.search)]);
}

/**
 * A value as a query parameter, the same text on both drivers. Every instant here (a stored due,
 * a filter, a cursor's) is within years 1 to 9999, where `toISOString` is what PostgreSQL reads.
 */
function bindable(value: SortValue): string | number | null {
  return value instanceof Date ? value.toISOString() : value;
}
