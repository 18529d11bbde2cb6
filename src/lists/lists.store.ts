import type { Knex } from 'knex';

export interface ListRow {
  id: number;
  user_id: string;
  name: string;
  color: string | null;
  /** Its place among the user's lists: a fractional-indexing key, compared byte by byte. */
  position: string;
  is_default: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The columns a client reads (not the count of live tasks the caps keep, nor the feed's stamp). */
export const LIST_COLUMNS = ['id', 'user_id', 'name', 'color', 'position', 'is_default', 'created_at', 'updated_at'];

/** A list's writable fields; absent ones stay as they are. */
export interface ListChanges {
  readonly name?: string;
  readonly color?: string | null;
}

/** The unique index that makes a name one list's per user, compared case-insensitively. */
export const LIST_NAME_INDEX = 'lists_user_name_idx';

// Every query below filters on user_id first: a list of another user is never read or written.

/**
 * The list; `lock`: its row locked until the transaction ends, for a change (`no key update`: tasks
 * may still be placed in it meanwhile) or for its deletion (`update`: a task being placed in it
 * waits for the deletion, then finds no list).
 */
export async function findList(
  db: Knex,
  userId: string,
  id: number,
  options: { lock?: 'no key update' | 'update' } = {},
): Promise<ListRow | undefined> {
  const query = db('lists').select(LIST_COLUMNS).where({ user_id: userId, id });
  if (options.lock === 'no key update') query.forNoKeyUpdate();
  if (options.lock === 'update') query.forUpdate();
  return (await query.first()) as ListRow | undefined;
}

/** Every list of the user, in their manual order. */
export async function findLists(db: Knex, userId: string): Promise<ListRow[]> {
  return db('lists').select<ListRow[]>(LIST_COLUMNS).where('user_id', userId).orderBy(['position', 'id']);
}

/** Makes the user's default list unless they have one already; returns its id. */
export async function ensureDefaultList(db: Knex, userId: string): Promise<number> {
  const { rows } = await db.raw<{ rows: { id: number }[] }>('select default_list_of(?) as id', [userId]);
  return rows[0]!.id;
}

export async function countLists(db: Knex, userId: string): Promise<number> {
  const row = await db('lists').where('user_id', userId).first<{ count: number }>(db.raw('count(*)::int as count'));
  return row?.count ?? 0;
}

/**
 * Locks the user's row until the transaction ends, so that the user's list creates run one at a
 * time: the count one compares with the quota is exact. (`no key update`: what only references the
 * user, their tasks' and lists' writes, does not wait for it.)
 */
export async function lockListCreation(db: Knex, userId: string): Promise<void> {
  await db('users').select('id').where('id', userId).forNoKeyUpdate();
}

/** Inserts the list, last in the user's order (the trigger gives it its position). */
export async function insertList(db: Knex, userId: string, list: Required<ListChanges>): Promise<ListRow> {
  const [row] = await db('lists')
    .insert({ user_id: userId, name: list.name, color: list.color })
    .returning<ListRow[]>(LIST_COLUMNS);
  if (!row) throw new Error('insert returned no row');
  return row;
}

/**
 * Applies the changes and returns the list as it now is, or `undefined` when the user has no such
 * list. `updated_at` moves only when a value really changes.
 */
export async function updateList(
  db: Knex,
  userId: string,
  id: number,
  changes: ListChanges,
): Promise<ListRow | undefined> {
  const compared = Object.entries(changes).filter(([, value]) => value !== undefined) as [string, Knex.Value][];
  const columns = compared.map(([column]) => `"${column}"`).join(', ');
  const placeholders = compared.map(() => '?').join(', ');
  const values = compared.map(([, value]) => value);
  const [row] = await db('lists')
    .where({ user_id: userId, id })
    .update({
      ...Object.fromEntries(compared),
      updated_at: db.raw(
        `case when (${columns}) is distinct from (${placeholders}) then now() else updated_at end`,
        values,
      ),
    })
    .returning<ListRow[]>(LIST_COLUMNS);
  return row;
}

/**
 * Moves every task of the list that is not in the trash to the trash, each top-level task as a
 * trash item with its subtasks (trash_root = its top-level ancestor). A live task's parent is
 * always live and in the same list, so the list's top-level tasks reach all of them.
 */
export async function trashTasksOfList(db: Knex, userId: string, listId: number): Promise<void> {
  await db.raw(
    `with recursive subtree (id, root) as (
       select id, id from tasks
        where user_id = :userId and list_id = :listId and parent_id is null and deleted_at is null
       union all
       select child.id, subtree.root from tasks child join subtree on child.parent_id = subtree.id
        where child.user_id = :userId and child.deleted_at is null
     )
     update tasks set deleted_at = now(), trash_root = subtree.root
       from subtree
      where tasks.user_id = :userId and tasks.id = subtree.id`,
    { userId, listId },
  );
}

/** Deletes the list row (its trashed tasks keep no list; a trigger writes the feed's tombstone). */
export async function deleteList(db: Knex, userId: string, id: number): Promise<void> {
  await db('lists').where({ user_id: userId, id }).delete();
}
