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

// Every query below filters on user_id first: a list of another user is never read or written.

export async function findList(db: Knex, userId: string, id: number): Promise<ListRow | undefined> {
  return (await db('lists').select(LIST_COLUMNS).where({ user_id: userId, id }).first()) as ListRow | undefined;
}
