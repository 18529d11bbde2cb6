import type { Knex } from 'knex';

// Issue 16: lists, subtasks, manual order, the trash and the changes feed.
//
// The change clock: every insert or visible update of a user's task or list takes the next number
// of the user's clock (user_clocks.seq) and stamps it on the row (change_seq); a row deleted for
// good leaves a tombstone with its own number. The clock's row stays locked until the writing
// transaction ends, so one user's writes commit in the order of their numbers: a reader that sees
// number s has seen every committed number below s, and the changes feed, read by number, never
// passes a change it has not shown.
//
// Positions are fractional-indexing keys (the `fractional-indexing` package's format, compared
// byte by byte: collate "C"). A new task or list goes after the last of its group; the key is
// made here, under the clock's lock, so that a create stays one statement and two creates never
// get the same key. fi_key_after is the package's generateKeyBetween(key, null): the key's
// integer part incremented (test/db/fractional-keys.test.ts compares the two).

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const HEADS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** How deep tasks nest: a top-level task is on level 1, its subtasks on level 2, and so on. */
const MAX_LEVELS = 4;

const UP = [
  `create table user_clocks (
     user_id text primary key references users (id) on delete cascade,
     seq bigint not null check (seq >= 0),
     horizon bigint not null default 0 check (horizon >= 0)
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
  // The length of an integer part from its head, as the package has it.
  `create function fi_integer_length(head text) returns integer
     language sql immutable parallel safe
     as $$ select case when position(head in '${HEADS}') <= 26
                       then 26 - position(head in '${HEADS}') + 2
                       else position(head in '${HEADS}') - 26 + 1 end $$`,
  `create function fi_key_after(key text) returns text
     language plpgsql immutable parallel safe
     as $$
     declare
       head text;
       integer_part text;
       carried text := '';
       digit integer;
       next_head text;
       delta integer;
     begin
       if key is null then return 'a0'; end if;
       head := substr(key, 1, 1);
       integer_part := substr(key, 1, fi_integer_length(head));
       for i in reverse length(integer_part)..2 loop
         digit := position(substr(integer_part, i, 1) in '${DIGITS}');
         if digit = 62 then
           carried := '0' || carried;
         else
           return substr(integer_part, 1, i - 1) || substr('${DIGITS}', digit + 1, 1) || carried;
         end if;
       end loop;
       if head = 'z' then raise exception 'order key out of range: %', key; end if;
       next_head := substr('${HEADS}', position(head in '${HEADS}') + 1, 1);
       delta := fi_integer_length(next_head) - fi_integer_length(head);
       return next_head || case when delta > 0 then carried || '0'
                                when delta < 0 then substr(carried, 2)
                                else carried end;
     end $$`,
  // The n-th key of the package's chain a0, a1, ... az, b00, ...: existing rows' first order.
  `create function fi_integer_key(n bigint) returns text
     language plpgsql immutable parallel safe
     as $$
     declare
       width integer := 1;
       span numeric := 62;
       rest numeric := n;
       digits text := '';
     begin
       while rest >= span loop
         rest := rest - span;
         width := width + 1;
         span := span * 62;
       end loop;
       for i in 1..width loop
         digits := substr('${DIGITS}', (rest % 62)::integer + 1, 1) || digits;
         rest := floor(rest / 62);
       end loop;
       return substr('${HEADS}', 26 + width, 1) || digits;
     end $$`,
  `create function next_change_seq(owner text) returns bigint
     language plpgsql volatile
     as $$
     declare
       stamped bigint;
     begin
       update user_clocks set seq = seq + 1 where user_id = owner returning seq into stamped;
       if stamped is null then
         insert into user_clocks as clock (user_id, seq) values (owner, 1)
           on conflict (user_id) do update set seq = clock.seq + 1
           returning seq into stamped;
       end if;
       return stamped;
     end $$`,
  `create table lists (
     id bigint generated always as identity primary key,
     user_id text not null references users (id) on delete cascade,
     name text not null check (char_length(name) between 1 and 100),
     color text check (color ~ '^#[0-9a-f]{6}$'),
     position text collate "C" not null,
     is_default boolean not null default false,
     live_tasks integer not null default 0 check (live_tasks >= 0),
     change_seq bigint not null,
     created_at timestamptz(3) not null default now(),
     updated_at timestamptz(3) not null default now()
   )`,
  `create unique index lists_user_name_idx on lists (user_id, lower(name))`,
  `create unique index lists_user_default_idx on lists (user_id) where is_default`,
  `create unique index lists_user_position_idx on lists (user_id, position)`,
  `create index lists_user_change_idx on lists (user_id, change_seq)`,
  // The user's default list, made on first need.
  `create function default_list_of(owner text) returns bigint
     language plpgsql volatile
     as $$
     declare
       found_id bigint;
     begin
       select id into found_id from lists where user_id = owner and is_default;
       if found_id is null then
         insert into lists (user_id, name, is_default) values (owner, 'Inbox', true)
           on conflict (user_id) where is_default do nothing
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
  `insert into lists (user_id, name, is_default, position, change_seq)
     select id, 'Inbox', true, 'a0', 0 from users`,
  `update tasks set
     list_id = placed.list_id, position = placed.position, change_seq = placed.change_seq
   from (select tasks.id, lists.id as list_id,
                fi_integer_key(row_number() over (partition by tasks.user_id order by tasks.created_at, tasks.id) - 1) as position,
                row_number() over (partition by tasks.user_id order by tasks.updated_at, tasks.id) as change_seq
           from tasks join lists on lists.user_id = tasks.user_id and lists.is_default) as placed
   where tasks.id = placed.id`,
  `update lists set live_tasks = counted.tasks
     from (select list_id, count(*) as tasks from tasks group by list_id) as counted
    where lists.id = counted.list_id`,
  `insert into user_clocks (user_id, seq)
     select users.id, coalesce((select count(*) from tasks where tasks.user_id = users.id), 0) + 1 from users`,
  `update lists set change_seq = (select seq from user_clocks where user_clocks.user_id = lists.user_id)`,
  `alter table tasks alter column position set not null, alter column change_seq set not null,
     add constraint tasks_live_in_a_list check (deleted_at is not null or list_id is not null)`,
  `create function lists_before_write() returns trigger
     language plpgsql
     as $$
     begin
       if tg_op = 'INSERT' then
         new.change_seq := next_change_seq(new.user_id);
         if new.position is null then
           new.position := fi_key_after((select max(position) from lists where user_id = new.user_id));
         end if;
       elsif (new.name, new.color, new.position, new.is_default, new.updated_at)
             is distinct from (old.name, old.color, old.position, old.is_default, old.updated_at) then
         new.change_seq := next_change_seq(new.user_id);
       end if;
       return new;
     end $$`,
  `create trigger lists_before_write before insert or update on lists
     for each row execute function lists_before_write()`,
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
  `create unique index tasks_group_position_idx on tasks (user_id, list_id, parent_id, position) nulls not distinct
     where deleted_at is null`,
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
  // A task joins a list's live tasks (created, restored, moved in): counted, and held to the cap.
  `create function join_list(owner text, joined bigint) returns void
     language plpgsql volatile
     as $$
     declare
       held integer;
       cap bigint := quota_limit(3);
     begin
       update lists set live_tasks = live_tasks + 1 where id = joined and user_id = owner returning live_tasks into held;
       if held is null then
         raise exception using errcode = 'TL404', message = 'no such list', detail = joined::text;
       end if;
       if cap is not null and held > cap then
         raise exception using errcode = 'QT001', message = 'quota exceeded: tasks_per_list',
           detail = json_build_object('name', 'tasks_per_list', 'limit', cap, 'used', held - 1)::text;
       end if;
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
  // The key after the last live task of a group (its list, and its parent or the top level).
  `create function task_key_at_end(owner text, list bigint, parent bigint) returns text
     language plpgsql volatile
     as $$
     begin
       if parent is null then
         return fi_key_after((select position from tasks
                               where user_id = owner and list_id = list and parent_id is null and deleted_at is null
                               order by position desc limit 1));
       end if;
       return fi_key_after((select position from tasks
                             where user_id = owner and list_id = list and parent_id = parent and deleted_at is null
                             order by position desc limit 1));
     end $$`,
  `create function tasks_before_write() returns trigger
     language plpgsql
     as $$
     declare
       was_live boolean := tg_op = 'UPDATE' and old.deleted_at is null;
       is_live boolean := new.deleted_at is null;
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
         if new.position is null then new.position := task_key_at_end(new.user_id, new.list_id, new.parent_id); end if;
       elsif new.position is null then
         -- Written without a position (restored, or moved to a group's end): after the group's last,
         -- read once the clock is held, as a create's is.
         new.change_seq := next_change_seq(new.user_id);
         new.position := task_key_at_end(new.user_id, new.list_id, new.parent_id);
       elsif (new.updated_at, new.list_id, new.parent_id, new.position, new.deleted_at, new.next_occurrence_id)
             is distinct from (old.updated_at, old.list_id, old.parent_id, old.position, old.deleted_at, old.next_occurrence_id) then
         new.change_seq := next_change_seq(new.user_id);
       else
         return new;
       end if;
       -- The live tasks each list holds, and the caps on a list and on a parent.
       if was_live and (not is_live or new.list_id is distinct from old.list_id) and old.list_id is not null then
         update lists set live_tasks = live_tasks - 1 where id = old.list_id;
       end if;
       if is_live and (not was_live or new.list_id is distinct from old.list_id) then
         perform join_list(new.user_id, new.list_id);
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
  `create function tasks_after_delete() returns trigger
     language plpgsql
     as $$
     begin
       if old.deleted_at is null and old.list_id is not null then
         update lists set live_tasks = live_tasks - 1 where id = old.list_id;
       end if;
       return null;
     end $$`,
  `create trigger tasks_after_delete after delete on tasks
     for each row execute function tasks_after_delete()`,
  `create trigger tasks_after_delete_tombstone after delete on tasks
     for each row execute function record_tombstone('task')`,
];

const DOWN = [
  `drop trigger tasks_after_delete_tombstone on tasks`,
  `drop trigger tasks_after_delete on tasks`,
  `drop function tasks_after_delete()`,
  `drop trigger tasks_before_write on tasks`,
  `drop function tasks_before_write()`,
  `drop function task_key_at_end(text, bigint, bigint)`,
  `drop function join_parent(text, bigint, bigint)`,
  `drop function check_parent(text, bigint, bigint, bigint, boolean)`,
  `drop function join_list(text, bigint)`,
  `drop function quota_limit(integer)`,
  `drop function quota_scope(text, bigint, bigint, bigint, bigint)`,
  `alter table tasks drop column list_id, drop column parent_id, drop column position, drop column deleted_at,
     drop column trash_root, drop column change_seq`,
  `drop trigger lists_after_delete on lists`,
  `drop function record_tombstone()`,
  `drop trigger lists_before_write on lists`,
  `drop function lists_before_write()`,
  `drop function default_list_of(text)`,
  `drop table lists`,
  `drop function next_change_seq(text)`,
  `drop function fi_integer_key(bigint)`,
  `drop function fi_key_after(text)`,
  `drop function fi_integer_length(text)`,
  `drop table change_tombstones`,
  `drop table user_clocks`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  for (const statement of DOWN) await knex.raw(statement);
}
