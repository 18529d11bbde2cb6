import type { Knex } from 'knex';
import type { AuthenticatedUser } from '../contract/authenticated-user.js';

export interface UserRow {
  id: string;
  email: string | null;
  name: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Creates the user, or brings email and name in step with the token; writes only when they differ. */
export async function upsertUser(db: Knex, user: AuthenticatedUser): Promise<void> {
  await db.raw(
    `insert into users (id, email, name) values (?, ?, ?)
     on conflict (id) do update set email = excluded.email, name = excluded.name, updated_at = now()
     where users.email is distinct from excluded.email or users.name is distinct from excluded.name`,
    [user.id, user.email, user.name],
  );
}

export async function findUser(db: Knex, id: string): Promise<UserRow | undefined> {
  return db<UserRow>('users').where({ id }).first();
}
