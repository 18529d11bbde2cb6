import type { Knex } from 'knex';

// Issue 16: lists, subtasks, manual order, the trash and the changes feed.
//
// Change numbers: every insert or visible update of a user's task or list takes the next number of
// one sequence and stamps it on the row (change_seq); a row deleted for good leaves a tombstone
// with its own number. Before it takes a number, a writer takes the user's change lock in shared
// mode (held until its transaction ends): writers never wait for each other. The changes feed
// takes the same lock exclusively before it reads (changes_barrier), so it waits for the user's
// writes in flight to end, and none starts until its read is done: every number it does not see
// then is either rolled back or greater than every number it sees. Read by number, the feed never
// passes a change it has not shown. (A user's writes to one task or list commit in the order of
// their numbers: the second waits for the first's row lock before it takes its number.)
//
// Positions are fractional-indexing keys (the `fractional-indexing` package's format, compared
// byte by byte: collate "C"). A new task or list goes after the last of its group, with the key
// its change number names (fi_integer_key: the package's n-th integer key, which
// test/db/fractional-keys.test.ts compares with it), so that a create stays one statement that
// reads no other row.

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const HEADS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** How deep tasks nest: a top-level task is on level 1, its subtasks on level 2, and so on. */
const MAX_LEVELS = 4;
/** The advisory lock spaces (the first key of the two-key form; the second is the user's hash). */
const CHANGE_LOCKS = 1601;
const TREE_LOCKS = 1602;
/** Rows per list over which its count of tasks is spread, so that creates into one list do not queue on one row. */
const COUNT_STRIPES = 8;

const UP = [
  `create sequence change_numbers as bigint`,
  // The greatest change number a user's feed no longer has a deletion for (pruned): older tokens answer 410.
  `create table change_horizons (
     user_id text primary key references users (id) on delete cascade,
     horizon bigint not null check (horizon >= 0)
   )`,
  `create table change_tombstones (
     user_id text not null references users (id) on delete cascade,
     seq bigint not null,
     entity text not null check (entity in ('task', 'list')),
     entity_id bigint not null,
     deleted_at timestamptz(3) not null default now(),
     primary key (user_id, seq)
   )`,
  `create index change_tombstones_deleted_at_idx on change_tombstones (deleted_at)`,
  // The n-th key of the package's chain a0, a1, ... az, b00, ...: the key a row gets when it is
  // placed after its group's last (created, restored, moved to the end). n is the row's change
  // number, greater than every number taken before it, and every key's integer part is below
  // every number taken after the key was written (a moved task's key lies between two keys, or
  // before the first; existing rows were given keys below their count): so the key is after
  // every key of its group, with no need to read them, and no two writes give the same one.
  `create function fi_integer_key(n bigint) returns text
     language plpgsql immutable parallel safe
     as $$
     declare
       width integer := 1;
       span bigint := 62;
       rest bigint := n;
       digits text := '';
     begin
       while rest >= span loop
         rest := rest - span;
         width := width + 1;
         span := span * 62;
       end loop;
       for i in 1..width loop
         digits := substr('${DIGITS}', (rest % 62)::integer + 1, 1) || digits;
         rest := rest / 62;
       end loop;
       return substr('${HEADS}', 26 + width, 1) || digits;
     end $$`,
  `create function next_change_seq(owner text) returns bigint
     language plpgsql volatile
     as $$
     begin
       perform pg_advisory_xact_lock_shared(${CHANGE_LOCKS}, hashtext(owner));
       return nextval('change_numbers');
     end $$`,
  // What the changes feed runs before it reads (see the top of this file).
  `create function changes_barrier(owner text) returns void
     language sql volatile
     as $$ select pg_advisory_xact_lock(${CHANGE_LOCKS}, hashtext(owner)) $$`,
  // Held by every change to the shape of a user's trees (a task placed under a parent, moved,
  // restored, a list deleted), for its transaction: the checks of one (no cycle, depth) read a
  // shape no other is changing. Plain creates and edits do not take it.
  `create function lock_task_tree(owner text) returns void
     language sql volatile
     as $$ select pg_advisory_xact_lock(${TREE_LOCKS}, hashtext(owner)) $$`,
  `create table lists (
     id bigint generated always as identity primary key,
     user_id text not null references users (id) on delete cascade,
     name text not null check (char_length(name) between 1 and 100),
     color text check (color ~ '^#[0-9a-f]{6}$'),
     position text collate "C" not null,
     is_default boolean not null default false,
     change_seq bigint not null,
     created_at timestamptz(3) not null default now(),
     updated_at timestamptz(3) not null default now()
   )`,
  `create unique index lists_user_name_idx on lists (user_id, lower(name))`,
  `create unique index lists_user_default_idx on lists (user_id) where is_default`,
  `create unique index lists_user_position_idx on lists (user_id, position)`,
  `create index lists_user_change_idx on lists (user_id, change_seq)`,
  // How many tasks outside the trash each list holds (the cap on a list), spread over stripes.
  `create table list_counts (
     list_id bigint not null references lists (id) on delete cascade,
     stripe smallint not null check (stripe between 0 and ${COUNT_STRIPES - 1}),
     tasks integer not null,
     primary key (list_id, stripe)
   ) with (fillfactor = 50)`,
  // A change to the count, on the first stripe from the writer's own that no other writer holds
  // (every stripe held: the writer's own, waited for).
  `create function count_in_list(list bigint, delta integer) returns void
     language plpgsql volatile
     as $$
     declare
       own smallint := txid_current() % ${COUNT_STRIPES};
       chosen smallint;
     begin
       select stripe into chosen from list_counts
        where list_id = list
        order by (stripe - own + ${COUNT_STRIPES}) % ${COUNT_STRIPES}
        limit 1 for no key update skip locked;
       update list_counts set tasks = tasks + delta where list_id = list and stripe = coalesce(chosen, own);
     end $$`,
  `create function lists_after_insert() returns trigger
     language plpgsql
     as $$
     begin
       insert into list_counts (list_id, stripe, tasks)
         select new.id, stripe, 0 from generate_series(0, ${COUNT_STRIPES - 1}) as stripe;
       return null;
     end $$`,
  // The user's default list, made on first need.
  `create function default_list_of(owner text) returns bigint
     language plpgsql volatile
     as $$
     declare
       found_id bigint;
     begin
       select id into found_id from lists where user_id = owner and is_default;
       if found_id is null then
         -- Two first requests at once: the second finds the first's (on either unique index: the
         -- default, or the name, which no other list can hold before the default exists).
         insert into lists (user_id, name, is_default) values (owner, 'Inbox', true)
           on conflict do nothing
           returning id into found_id;
         if found_id is null then
           select id into found_id from lists where user_id = owner and is_default;
         end if;
       end if;
       return found_id;
     end $$`,

  `alter table tasks
     add column list_id bigint references lists (id) on delete set null,
     add column parent_id bigint references tasks (id) on delete set null,
     add column position text collate "C",
     add column deleted_at timestamptz(3),
     add column trash_root bigint,
     add column change_seq bigint,
     add constraint tasks_trash_root_iff_deleted check ((trash_root is null) = (deleted_at is null)),
     add constraint tasks_not_own_parent check (parent_id <> id)`,
  // Existing users and tasks: a default list each, their tasks in it in the order they were made.
  // Numbered in the order they last changed: the lists first, then the tasks.
  `insert into lists (user_id, name, is_default, position, change_seq)
     select id, 'Inbox', true, 'a0', nextval('change_numbers') from users order by id`,
  `update tasks set
     list_id = placed.list_id, position = placed.position, change_seq = nextval('change_numbers')
   from (select tasks.id, lists.id as list_id,
                fi_integer_key(row_number() over (partition by tasks.user_id order by tasks.created_at, tasks.id) - 1) as position
           from tasks join lists on lists.user_id = tasks.user_id and lists.is_default
          order by tasks.updated_at, tasks.id) as placed
   where tasks.id = placed.id`,
  `insert into list_counts (list_id, stripe, tasks)
     select lists.id, stripe, case when stripe = 0 then (select count(*) from tasks where list_id = lists.id) else 0 end
       from lists cross join generate_series(0, ${COUNT_STRIPES - 1}) as stripe`,
  `alter table tasks alter column position set not null, alter column change_seq set not null,
     add constraint tasks_live_in_a_list check (deleted_at is not null or list_id is not null)`,
  `create function lists_before_write() returns trigger
     language plpgsql
     as $$
     begin
       if tg_op = 'INSERT' then
         new.change_seq := next_change_seq(new.user_id);
         new.position := coalesce(new.position, fi_integer_key(new.change_seq));
       elsif (new.name, new.color, new.position, new.is_default, new.updated_at)
             is distinct from (old.name, old.color, old.position, old.is_default, old.updated_at) then
         new.change_seq := next_change_seq(new.user_id);
       end if;
       return new;
     end $$`,
  `create trigger lists_before_write before insert or update on lists
     for each row execute function lists_before_write()`,
  `create trigger lists_after_insert after insert on lists
     for each row execute function lists_after_insert()`,
  `create function record_tombstone() returns trigger
     language plpgsql
     as $$
     begin
       -- A user being deleted takes their rows along: nobody reads their feed any more.
       if exists (select 1 from users where id = old.user_id) then
         insert into change_tombstones (user_id, seq, entity, entity_id)
           values (old.user_id, next_change_seq(old.user_id), tg_argv[0], old.id);
       end if;
       return null;
     end $$`,
  `create trigger lists_after_delete after delete on lists
     for each row execute function record_tombstone('list')`,
  // A group's tasks in order, one place each: a list's top level, and a parent's subtasks (always
  // in the parent's list). Two partial indexes, because a btree walks in order after equalities
  // only, which \`parent_id is null\` is not.
  `create unique index tasks_top_position_idx on tasks (user_id, list_id, position)
     where deleted_at is null and parent_id is null`,
  `create unique index tasks_subtask_position_idx on tasks (user_id, parent_id, position)
     where deleted_at is null and parent_id is not null`,
  `create index tasks_user_parent_idx on tasks (user_id, parent_id) where parent_id is not null`,
  `create index tasks_user_change_idx on tasks (user_id, change_seq)`,
  `create index tasks_user_trash_idx on tasks (user_id, deleted_at desc, id desc) where trash_root = id`,
  `create index tasks_user_trash_root_idx on tasks (user_id, trash_root) where trash_root is not null`,
  `create index tasks_deleted_at_idx on tasks (deleted_at) where deleted_at is not null`,
  // The caps a statement's tasks are held to, after the quotas (quota_scope's third and fourth).
  `create function quota_scope(user_id text, tasks_limit bigint, stored_bytes_limit bigint,
                               per_list_limit bigint, per_parent_limit bigint) returns text
     language plpgsql volatile
     as $$
     declare
       limits text := set_config('todo.quota_limits',
         concat(tasks_limit, ',', stored_bytes_limit, ',', per_list_limit, ',', per_parent_limit), true);
     begin
       return user_id;
     end $$`,
  `create function quota_limit(part integer) returns bigint
     language sql stable
     as $$ select nullif(split_part(current_setting('todo.quota_limits', true), ',', part), '')::bigint $$`,
  // A task placed in a list the request named (created in it, moved or restored to it): the list must be the user's.
  `create function check_list(owner text, list bigint) returns void
     language plpgsql stable
     as $$
     begin
       perform 1 from lists where id = list and user_id = owner;
       if not found then
         raise exception using errcode = 'TL404', message = 'no such list', detail = list::text;
       end if;
     end $$`,
  // After every statement on tasks: the tasks joining or leaving lists, counted once per statement
  // and list from the statement's rows
  // (a list's deletion trashes its tasks in one statement: one count, not one per task), and held
  // to the cap. Two statements placing tasks in one list at the same moment may each miss the
  // other's: the cap is exact but for those.
  `create function count_members(list bigint, delta integer) returns void
     language plpgsql volatile
     as $$
     declare
       cap bigint := quota_limit(3);
       held bigint;
     begin
       perform count_in_list(list, delta);
       if delta > 0 and cap is not null then
         select sum(tasks) into held from list_counts where list_id = list;
         if held > cap then
           raise exception using errcode = 'QT001', message = 'quota exceeded: tasks_per_list',
             detail = json_build_object('name', 'tasks_per_list', 'limit', cap, 'used', held - delta)::text;
         end if;
       end if;
     end $$`,
  `create function tasks_count_members() returns trigger
     language plpgsql
     as $$
     declare
       changed record;
     begin
       if tg_op = 'INSERT' then
         for changed in
           select list_id, count(*)::integer as delta from new_rows where deleted_at is null group by list_id order by list_id
         loop
           perform count_members(changed.list_id, changed.delta);
         end loop;
       elsif tg_op = 'DELETE' then
         for changed in
           select list_id, -count(*)::integer as delta from old_rows
            where deleted_at is null and list_id is not null group by list_id order by list_id
         loop
           perform count_members(changed.list_id, changed.delta);
         end loop;
       else
         -- A completed occurrence forgets the next one once that goes to the trash (as once it was
         -- deleted). Only when the statement trashed some: that update's own statement trashes none.
         if exists (select 1 from new_rows where deleted_at is not null) then
           update tasks set next_occurrence_id = null, updated_at = now()
            where next_occurrence_id in (select id from new_rows where deleted_at is not null);
         end if;
         for changed in
           select list_id, sum(delta)::integer as delta
             from (select list_id, 1 as delta from new_rows where deleted_at is null
                   union all
                   select list_id, -1 from old_rows where deleted_at is null) as moved
            where list_id is not null
            group by list_id having sum(delta) <> 0 order by list_id
         loop
           perform count_members(changed.list_id, changed.delta);
         end loop;
       end if;
       return null;
     end $$`,
  `create function join_parent(owner text, parent bigint, joining bigint) returns void
     language plpgsql volatile
     as $$
     declare
       held bigint;
       cap bigint := quota_limit(4);
     begin
       if cap is null then return; end if;
       select count(*) into held from tasks
        where user_id = owner and parent_id = parent and deleted_at is null and id <> joining;
       if held >= cap then
         raise exception using errcode = 'QT001', message = 'quota exceeded: subtasks_per_parent',
           detail = json_build_object('name', 'subtasks_per_parent', 'limit', cap, 'used', held)::text;
       end if;
     end $$`,
  // A task placed under a parent (created there, or moved or restored there): the parent is the
  // user's, outside the trash and in the same list; the task is not the parent nor one of its
  // ancestors; and the tree stays within MAX_LEVELS levels, the task's own subtasks counted.
  // Each refusal has its SQLSTATE, which the service turns into its problem.
  `create function check_parent(owner text, child bigint, child_list bigint, parent bigint, placed_new boolean)
     returns void
     language plpgsql volatile
     as $$
     declare
       parent_list bigint;
       parent_deleted timestamptz;
       ancestor bigint := parent;
       levels integer := 0;
       height integer := 1;
     begin
       perform lock_task_tree(owner);
       select list_id, deleted_at into parent_list, parent_deleted from tasks where id = parent and user_id = owner;
       if not found or parent_deleted is not null then
         raise exception using errcode = 'TP404', message = 'no such parent', detail = parent::text;
       end if;
       if parent_list <> child_list then
         raise exception using errcode = 'TP409', message = 'parent in another list', detail = parent::text;
       end if;
       while ancestor is not null and levels <= ${MAX_LEVELS} loop
         if ancestor = child then
           raise exception using errcode = 'TC409', message = 'a task under itself', detail = parent::text;
         end if;
         levels := levels + 1;
         select parent_id into ancestor from tasks where id = ancestor and user_id = owner;
       end loop;
       if not placed_new then
         with recursive below (id, level) as (
           select child, 1
           union all
           select tasks.id, below.level + 1 from tasks join below on tasks.parent_id = below.id
            where tasks.user_id = owner and tasks.deleted_at is null and below.level <= ${MAX_LEVELS}
         )
         select max(level) into height from below;
       end if;
       if levels + height > ${MAX_LEVELS} then
         raise exception using errcode = 'TD409', message = 'too deep',
           detail = json_build_object('parent', parent, 'levels', levels + height)::text;
       end if;
     end $$`,
  `create function tasks_before_write() returns trigger
     language plpgsql
     as $$
     declare
       was_live boolean := tg_op = 'UPDATE' and old.deleted_at is null;
       is_live boolean := new.deleted_at is null;
       list_named boolean := tg_op = 'UPDATE' or new.list_id is not null;
     begin
       if tg_op = 'INSERT' then
         if new.list_id is null then
           -- A subtask's list is its parent's; a task's without either, the user's default list.
           new.list_id := coalesce(
             (select list_id from tasks where id = new.parent_id and user_id = new.user_id and deleted_at is null),
             default_list_of(new.user_id));
         end if;
         -- Stamped after the default list is made, so that the feed shows the list first.
         new.change_seq := next_change_seq(new.user_id);
         new.position := coalesce(new.position, fi_integer_key(new.change_seq));
       elsif new.position is null then
         -- Written without a position (restored, or moved to a group's end): after the group's last.
         new.change_seq := next_change_seq(new.user_id);
         new.position := fi_integer_key(new.change_seq);
       elsif (new.updated_at, new.list_id, new.parent_id, new.position, new.deleted_at, new.next_occurrence_id)
             is distinct from (old.updated_at, old.list_id, old.parent_id, old.position, old.deleted_at, old.next_occurrence_id) then
         new.change_seq := next_change_seq(new.user_id);
       else
         return new;
       end if;
       -- A list or a parent the task joins (its list's count: tasks_count_members).
       if is_live and list_named and (not was_live or new.list_id is distinct from old.list_id) then
         perform check_list(new.user_id, new.list_id);
       end if;
       if is_live and new.parent_id is not null
          and (not was_live or new.parent_id is distinct from old.parent_id) then
         perform check_parent(new.user_id, new.id, new.list_id, new.parent_id, tg_op = 'INSERT');
         perform join_parent(new.user_id, new.parent_id, new.id);
       end if;
       return new;
     end $$`,
  `create trigger tasks_before_write before insert or update on tasks
     for each row execute function tasks_before_write()`,
  `create trigger tasks_count_insert after insert on tasks
     referencing new table as new_rows
     for each statement execute function tasks_count_members()`,
  `create trigger tasks_count_update after update on tasks
     referencing old table as old_rows new table as new_rows
     for each statement execute function tasks_count_members()`,
  `create trigger tasks_count_delete after delete on tasks
     referencing old table as old_rows
     for each statement execute function tasks_count_members()`,
  `create trigger tasks_after_delete_tombstone after delete on tasks
     for each row execute function record_tombstone('task')`,
];

const DOWN = [
  `drop trigger tasks_after_delete_tombstone on tasks`,
  `drop trigger tasks_count_delete on tasks`,
  `drop trigger tasks_count_update on tasks`,
  `drop trigger tasks_count_insert on tasks`,
  `drop function tasks_count_members()`,
  `drop function count_members(bigint, integer)`,
  `drop trigger tasks_before_write on tasks`,
  `drop function tasks_before_write()`,
  `drop function join_parent(text, bigint, bigint)`,
  `drop function check_parent(text, bigint, bigint, bigint, boolean)`,
  `drop function check_list(text, bigint)`,
  `drop function count_in_list(bigint, integer)`,
  `drop table list_counts`,
  `drop function quota_limit(integer)`,
  `drop function quota_scope(text, bigint, bigint, bigint, bigint)`,
  `alter table tasks drop column list_id, drop column parent_id, drop column position, drop column deleted_at,
     drop column trash_root, drop column change_seq`,
  `drop trigger lists_after_delete on lists`,
  `drop function record_tombstone()`,
  `drop trigger lists_after_insert on lists`,
  `drop function lists_after_insert()`,
  `drop trigger lists_before_write on lists`,
  `drop function lists_before_write()`,
  `drop function default_list_of(text)`,
  `drop table lists`,
  `drop function lock_task_tree(text)`,
  `drop function changes_barrier(text)`,
  `drop function next_change_seq(text)`,
  `drop function fi_integer_key(bigint)`,
  `drop table change_tombstones`,
  `drop table change_horizons`,
  `drop sequence change_numbers`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  for (const statement of DOWN) await knex.raw(statement);
}
