import type { Knex } from 'knex';

// Issue 17: the events outbox. Every change to a task or a list is recorded as an event in the
// statement that makes it (triggers below), so in the same transaction: an event exists if and
// only if its change committed. Each event carries the change number the row took (change_seq, or
// the tombstone's number for a deletion), so events sort in the changes feed's order, and a reader
// that takes changes_barrier(user) before it reads never passes an event it has not seen (see
// 20261220000000_lists_subtasks_trash_changes.ts). `data` is the row as the change left it, the
// search vector aside: src/events/event-representation.ts renders it as the API shows it.

const UP = [
  `create table events (
     user_id text not null references users (id) on delete cascade,
     seq bigint not null,
     type text not null check (char_length(type) between 1 and 64),
     data jsonb not null,
     created_at timestamptz(3) not null default now(),
     primary key (user_id, seq)
   )`,
  // The history's pruning walks it by age.
  `create index events_created_at_idx on events (created_at)`,
  // The greatest event number pruned from a user's events. Pruning goes by age, which follows the
  // numbers only roughly (a transaction's events take its start time, their numbers at its writes),
  // so a stream resuming before this may have missed one, wherever the oldest event kept is.
  `create table event_horizons (
     user_id text primary key references users (id) on delete cascade,
     horizon bigint not null check (horizon >= 0)
   )`,
  // The kind of change an update of a task is, the first that applies.
  `create function task_event_type(old_row tasks, new_row tasks) returns text
     language sql immutable
     as $$
       select case
         when old_row.deleted_at is null and new_row.deleted_at is not null then 'task.trashed'
         when old_row.deleted_at is not null and new_row.deleted_at is null then 'task.restored'
         when not old_row.completed and new_row.completed then 'task.completed'
         when old_row.completed and not new_row.completed then 'task.reopened'
         when (old_row.list_id, old_row.parent_id, old_row.position)
              is distinct from (new_row.list_id, new_row.parent_id, new_row.position) then 'task.moved'
         else 'task.updated'
       end
     $$`,
  // A create: one insert per statement, from its transition table (a bulk create costs one statement more).
  `create function tasks_record_events() returns trigger
     language plpgsql
     as $$
     begin
       insert into events (user_id, seq, type, data)
         select n.user_id, n.change_seq, 'task.created', to_jsonb(n) - 'search' from new_rows n;
       perform set_config('todo.task_events_recorded', 'on', true);
       return null;
     end $$`,
  `create trigger tasks_record_insert_events after insert on tasks
     referencing new table as new_rows
     for each statement execute function tasks_record_events()`,
  // A change: one row at a time, each with its old and new state at hand (joining a statement's two
  // transition tables, whose sizes the planner does not know, took a nested loop: quadratic, seconds
  // for a list of thousands of tasks deleted). An update that took no change number (nothing the
  // client sees changed) is no event: the trigger does not even run.
  //
  // A row changed again by the (sub)transaction that changed it before (a completed occurrence then
  // linked to the next one, a deleted list's tasks trashed then taken out of it) is one change to
  // the client, who is answered with its last state: its earlier event (the one its number names,
  // written by this same transaction: the same xmin as the row's new version, and the same start,
  // which no transaction whose xid was the same before wraparound had) gives way to one of the
  // row's last state, of the earlier one's kind unless that was a plain edit. The earlier event is
  // read by its key alone, so that no other index (created_at, the same for all of this
  // transaction's events) is ever chosen to find it; and only by a transaction that recorded a
  // task's event already (a setting local to it, undone with it or its savepoint), which most
  // writes, one task once, never did: the lookup would be a third of the trigger's cost.
  `create function tasks_record_update_event() returns trigger
     language plpgsql
     as $$
     declare
       earlier_type text;
       earlier_xmin xid;
       earlier_at timestamptz;
     begin
       if current_setting('todo.task_events_recorded', true) = 'on' then
         select e.type, e.xmin, e.created_at into earlier_type, earlier_xmin, earlier_at
           from events e where e.user_id = old.user_id and e.seq = old.change_seq;
         if earlier_at = now()::timestamptz(3)
            and earlier_xmin = (select t.xmin from tasks t where t.id = new.id) then
           delete from events where user_id = old.user_id and seq = old.change_seq;
         else
           earlier_type := null;
         end if;
       else
         perform set_config('todo.task_events_recorded', 'on', true);
       end if;
       insert into events (user_id, seq, type, data)
         values (new.user_id, new.change_seq,
                 coalesce(nullif(earlier_type, 'task.updated'), task_event_type(old, new)),
                 to_jsonb(new) - 'search');
       return null;
     end $$`,
  `create trigger tasks_record_update_events after update on tasks
     for each row when (new.change_seq <> old.change_seq)
     execute function tasks_record_update_event()`,
  // Lists change rarely: one row at a time.
  `create function lists_record_events() returns trigger
     language plpgsql
     as $$
     begin
       if tg_op = 'INSERT' then
         insert into events (user_id, seq, type, data) values (new.user_id, new.change_seq, 'list.created', to_jsonb(new));
       elsif new.change_seq <> old.change_seq then
         insert into events (user_id, seq, type, data) values (new.user_id, new.change_seq, 'list.updated', to_jsonb(new));
       end if;
       return null;
     end $$`,
  `create trigger lists_record_events after insert or update on lists
     for each row execute function lists_record_events()`,
  // A deletion for good: its tombstone's number, and the row as it was last.
  `create or replace function record_tombstone() returns trigger
     language plpgsql
     as $$
     declare
       number bigint;
     begin
       -- A user being deleted takes their rows along: nobody reads their feed any more.
       if exists (select 1 from users where id = old.user_id) then
         number := next_change_seq(old.user_id);
         insert into change_tombstones (user_id, seq, entity, entity_id)
           values (old.user_id, number, tg_argv[0], old.id);
         insert into events (user_id, seq, type, data)
           values (old.user_id, number, tg_argv[0] || '.deleted', to_jsonb(old) - 'search');
       end if;
       return null;
     end $$`,
];

const DOWN = [
  `create or replace function record_tombstone() returns trigger
     language plpgsql
     as $$
     begin
       if exists (select 1 from users where id = old.user_id) then
         insert into change_tombstones (user_id, seq, entity, entity_id)
           values (old.user_id, next_change_seq(old.user_id), tg_argv[0], old.id);
       end if;
       return null;
     end $$`,
  `drop trigger lists_record_events on lists`,
  `drop function lists_record_events()`,
  `drop trigger tasks_record_update_events on tasks`,
  `drop function tasks_record_update_event()`,
  `drop trigger tasks_record_insert_events on tasks`,
  `drop function tasks_record_events()`,
  `drop function task_event_type(tasks, tasks)`,
  `drop table event_horizons`,
  `drop table events`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  for (const statement of DOWN) await knex.raw(statement);
}
