import type { Knex } from 'knex';

// Indexes for listTasks (issue 4): every sort is a keyset walk over one btree, scoped by user_id,
// and the selective filters have an index of their own. Plain SQL, one statement per call.
// - Each sort index is (user_id, <sort key>, id): the order `<key>, id` in one direction is one
//   index range, scanned forward or backward. created_at is served by the first migration's index.
// - Titles sort by the ICU root collation ("und-x-icu", on PostgreSQL and PGlite alike), which
//   orders as people read (`apple` < `Banana`) whatever the database's default collation is.
// - `due` puts undated tasks last in both directions: ascending orders by due_key with +infinity
//   for undated tasks, descending by due_key with -infinity. The same two expressions serve the
//   due window filters (see list-query.ts).
// - tags and the full-text vector get GIN indexes (containment and @@ queries), without the
//   pending list (fastupdate): tasks are written one at a time, and entries waiting in that list
//   until the next vacuum make every search read it, which the planner prices as a scan of its own.
// - Open overdue tasks: a partial index, since completed tasks are never overdue.
const INDEXES: Record<string, string> = {
  tasks_user_updated_idx: 'on tasks (user_id, updated_at, id)',
  tasks_user_priority_idx: 'on tasks (user_id, priority, id)',
  tasks_user_title_idx: 'on tasks (user_id, title collate "und-x-icu", id)',
  tasks_user_due_asc_idx: "on tasks (user_id, coalesce(due_key, 'infinity'::timestamptz), id)",
  tasks_user_due_desc_idx: "on tasks (user_id, coalesce(due_key, '-infinity'::timestamptz), id)",
  tasks_user_overdue_idx: 'on tasks (user_id, overdue_at) where not completed',
  tasks_tags_idx: 'on tasks using gin (tags) with (fastupdate = off)',
  tasks_search_idx: 'on tasks using gin (search) with (fastupdate = off)',
};

export async function up(knex: Knex): Promise<void> {
  for (const [name, definition] of Object.entries(INDEXES)) await knex.raw(`create index ${name} ${definition}`);
}

export async function down(knex: Knex): Promise<void> {
  for (const name of Object.keys(INDEXES)) await knex.raw(`drop index ${name}`);
}
