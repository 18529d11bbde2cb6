import type { Knex } from 'knex';

// Plain SQL, one statement per call: PGlite runs a single statement per query.
// timestamptz(3) keeps exactly the milliseconds the API shows, so list cursors compare exactly.
const UP = [
  `create table users (
     id text primary key check (char_length(id) between 1 and 255),
     email text,
     name text,
     created_at timestamptz(3) not null default now(),
     updated_at timestamptz(3) not null default now()
   )`,
  `create table tasks (
     id bigint generated always as identity primary key,
     user_id text not null references users (id) on delete cascade,
     title text not null check (char_length(title) between 1 and 200),
     description text check (char_length(description) <= 5000),
     completed boolean not null default false,
     completed_at timestamptz(3),
     created_at timestamptz(3) not null default now(),
     updated_at timestamptz(3) not null default now(),
     constraint tasks_completed_at_iff_completed check (completed = (completed_at is not null))
   )`,
  // Serves listTasks newest first, for all tasks and (with the next one) by completion state.
  `create index tasks_user_created_idx on tasks (user_id, created_at desc, id desc)`,
  `create index tasks_user_completed_created_idx on tasks (user_id, completed, created_at desc, id desc)`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table tasks');
  await knex.raw('drop table users');
}
