import type { Knex } from 'knex';
import { LIST_COLUMNS, type ListRow } from './lists.store.js';

/** The user's list, locked for a write of its key (a column of a unique index: `for update`). */
export async function lockList(db: Knex, userId: string, id: number): Promise<ListRow | undefined> {
  return (await db('lists').select(LIST_COLUMNS).where({ user_id: userId, id }).forUpdate().first()) as
    ListRow | undefined;
}

/** Writes the list's new key (or an expression that makes one); returns the list as it now is. */
export async function placeList(
  db: Knex,
  userId: string,
  id: number,
  position: string | Knex.Raw,
): Promise<ListRow | undefined> {
  const [row] = await db('lists')
    .where({ user_id: userId, id })
    .update({ position, updated_at: db.fn.now() })
    .returning<ListRow[]>(LIST_COLUMNS);
  return row;
}
