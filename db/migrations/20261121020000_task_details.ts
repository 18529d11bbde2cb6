import type { Knex } from 'knex';

// Priority, tags, due dates and recurrence (issue 4). Plain SQL, one statement per call.
// - priority is a number (0 none .. 3 high) so that it sorts by importance.
// - due_at keeps the instant (for filters and sorting) and due_at_text the RFC 3339 text as the
//   client sent it, which is what it reads back; due_key/overdue_at are when the task counts as
//   due and as overdue (for an all-day task: the start of its day and of the next day in its
//   zone), computed by the application, which knows time zones.
// - search is the English full-text vector of title and description.
// - next_occurrence_id is cleared when that occurrence is deleted; series_id stays the id of the
//   series' first occurrence even once it is deleted (a grouping key, not a reference).
const UP = [
  `alter table tasks
     add column priority smallint not null default 0 check (priority between 0 and 3),
     add column tags text[] not null default '{}' check (cardinality(tags) <= 20),
     add column due_date date,
     add column due_at timestamptz,
     add column due_at_text text check (char_length(due_at_text) <= 40),
     add column time_zone text check (char_length(time_zone) between 1 and 64),
     add column due_key timestamptz,
     add column overdue_at timestamptz,
     add column recurrence jsonb,
     add column recurrence_anchor text,
     add column series_id bigint,
     add column occurrence integer check (occurrence >= 1),
     add column next_occurrence_id bigint references tasks (id) on delete set null,
     add column search tsvector generated always as
       (to_tsvector('english', title || ' ' || coalesce(description, ''))) stored,
     add constraint tasks_one_due_form check (due_date is null or due_at is null),
     add constraint tasks_due_at_text_iff_due_at check ((due_at is null) = (due_at_text is null)),
     add constraint tasks_due_at_needs_zone check (due_at is null or time_zone is not null),
     add constraint tasks_zone_needs_due check (time_zone is null or due_date is not null or due_at is not null),
     add constraint tasks_due_key_iff_due check ((due_key is null) = (due_date is null and due_at is null)),
     add constraint tasks_overdue_at_iff_due check ((overdue_at is null) = (due_key is null)),
     add constraint tasks_recurrence_needs_due check (recurrence is null or due_key is not null)`,
  // Deleting a task looks up who names it as their next occurrence.
  `create index tasks_next_occurrence_idx on tasks (next_occurrence_id) where next_occurrence_id is not null`,
];

const DOWN = [
  `alter table tasks
     drop column priority, drop column tags, drop column due_date, drop column due_at,
     drop column due_at_text, drop column time_zone, drop column due_key, drop column overdue_at,
     drop column recurrence, drop column recurrence_anchor, drop column series_id,
     drop column occurrence, drop column next_occurrence_id, drop column search`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  for (const statement of DOWN) await knex.raw(statement);
}
