import type { Knex } from 'knex';

// Per-user quotas (issue 13): what each user holds (tasks, and the UTF-8 bytes of their titles,
// descriptions and tags), kept exact by triggers on tasks and checked in the very statement that
// writes, so that no write path can forget it and two concurrent writes cannot both pass.
// Plain SQL, one statement per call (PGlite runs a single statement per query).
//
// - tasks.stored_bytes: a task's bytes, computed by the database itself.
// - user_usage: each user's holdings, split over 16 stripes whose sum is the total. A write updates
//   its transaction's own stripe (by transaction id: concurrent ones mostly differ), so that
//   concurrent creates of one user do not queue behind one hot row while each commits. The check
//   stays exact: every stripe stays within its share of the limit (quota_share), so their sum stays
//   within the limit. A write whose stripe has no room (or is held) takes another that has and is
//   free; when none is, it waits for one that has, and when none has, it locks them all, counts,
//   and refuses or spreads the new total evenly, so that the next writes find room again. A
//   statement waits for stripes only in ascending order, holding none above the one it waits for,
//   so that writers of one statement each (every single write) never wait for each other.
//   A transaction that writes several times (an atomic bulk request, a request under an
//   Idempotency-Key, a completion that creates the next occurrence) keeps the stripes its earlier
//   statements took, whatever their order: near a limit, two such may wait for each other's
//   stripes, which no lock order prevents. PostgreSQL breaks that deadlock by cancelling one, and
//   the server runs the cancelled transaction again, whole (src/db/request-transaction.ts): it
//   then finds the stripes as the other left them, and writes or is refused at the limit. Only a
//   transaction cancelled at each of its attempts (3) is a 503 with Retry-After that wrote nothing.
// - The limits are the server's settings (they may differ between servers, and in tests): each
//   statement that may grow a user's holdings passes them through quota_scope() (a transaction-local
//   setting; an empty limit, or none set, is no limit). A refusal is SQLSTATE QT001 with the quota as JSON in its detail.
// - A delete frees room at once: any free stripe is decremented (a stripe may go below zero; only
//   the sum means anything).
// - Existing users' holdings are counted once here, while the new column's table rewrite holds
//   every writer off: from then on the triggers keep the count.
const STRIPES = 16;

const UP = [
  // PL/pgSQL rather than SQL: a SQL function whose body calls a stable function (array_to_string)
  // is not inlined, and running it as a query on every insert cost more than the whole quota check.
  `create function task_stored_bytes(title text, description text, tags text[]) returns integer
     language plpgsql immutable parallel safe
     as $$
     begin
       return octet_length(title) + coalesce(octet_length(description), 0) + octet_length(array_to_string(tags, ''));
     end $$`,
  `alter table tasks
     add column stored_bytes integer not null generated always as (task_stored_bytes(title, description, tags)) stored`,
  `create table user_usage (
     user_id text not null references users (id) on delete cascade,
     stripe smallint not null check (stripe between 0 and ${STRIPES - 1}),
     tasks bigint not null,
     stored_bytes bigint not null,
     primary key (user_id, stripe)
   ) with (fillfactor = 50)`,
  // A stripe's share of `total`: the stripes' shares add up to it, and a total within a limit has
  // every share within the limit's share.
  `create function quota_share(total bigint, stripe integer) returns bigint
     language sql immutable parallel safe
     as $$ select total / ${STRIPES} + case when stripe < total % ${STRIPES} then 1 else 0 end $$`,
  // One setting, `<tasks limit>,<stored_bytes limit>`, set by an assignment (a plain expression,
  // which PL/pgSQL evaluates without running a query): this is on every create's path.
  `create function quota_scope(user_id text, tasks_limit bigint, stored_bytes_limit bigint) returns text
     language plpgsql volatile
     as $$
     declare
       limits text := set_config('todo.quota_limits', concat(tasks_limit, ',', stored_bytes_limit), true);
     begin
       return user_id;
     end $$`,
  // What `owner` holds grows (or shrinks) by this much, unless that takes it past a limit: the
  // slow path of charge_owner, when the transaction's own stripe has no room.
  `create function charge_usage(owner text, added_tasks bigint, added_bytes bigint, tasks_limit bigint, bytes_limit bigint)
     returns void
     language plpgsql volatile
     as $$
     declare
       own smallint := txid_current() % ${STRIPES};
       chosen smallint;
       used_tasks bigint;
       used_bytes bigint;
     begin
       -- Another stripe with room for what grows, that nobody holds.
       select stripe into chosen from user_usage
        where user_id = owner
          and (added_tasks <= 0 or tasks_limit is null or tasks + added_tasks <= quota_share(tasks_limit, stripe))
          and (added_bytes <= 0 or bytes_limit is null or stored_bytes + added_bytes <= quota_share(bytes_limit, stripe))
        order by stripe
        limit 1 for no key update skip locked;
       if chosen is null then
         -- All held (more concurrent writers than stripes): wait for one with room. Every writer
         -- waits for stripes in ascending order, holding none above the one it waits for, so that
         -- no two wait for each other. (An order rotated to start at the own stripe crossed
         -- another's: each waiter kept the stripe it had waited for, which had filled meanwhile,
         -- and waited next for the one the other kept: a deadlock, a 503.) To spread the waiters,
         -- the stripes from the own one up first, then those below, each pass in a subtransaction:
         -- a lock waited for is kept even when the row then has no room, and undoing the
         -- subtransaction lets those go before the next pass waits below them, or the count below
         -- locks them all.
         for pass in 0..1 loop
           begin
             select stripe into chosen from user_usage
              where user_id = owner and (stripe >= own) = (pass = 0)
                and (added_tasks <= 0 or tasks_limit is null or tasks + added_tasks <= quota_share(tasks_limit, stripe))
                and (added_bytes <= 0 or bytes_limit is null or stored_bytes + added_bytes <= quota_share(bytes_limit, stripe))
              order by stripe
              limit 1 for no key update;
             if chosen is null then
               raise exception using errcode = 'QT002';
             end if;
           exception when sqlstate 'QT002' then
             chosen := null;
           end;
           exit when chosen is not null;
         end loop;
       end if;
       if chosen is not null then
         update user_usage set tasks = tasks + added_tasks, stored_bytes = stored_bytes + added_bytes
          where user_id = owner and stripe = chosen;
         return;
       end if;
       -- No stripe has room for it: count them all, locked in order.
       perform 1 from user_usage where user_id = owner order by stripe for no key update;
       if not found then
         -- Nothing recorded: a first task (a user being deleted has nothing to free).
         if added_tasks <= 0 and added_bytes <= 0 then return; end if;
         insert into user_usage (user_id, stripe, tasks, stored_bytes)
           select owner, stripe, 0, 0 from generate_series(0, ${STRIPES - 1}) as stripe
           on conflict do nothing;
         perform 1 from user_usage where user_id = owner order by stripe for no key update;
       end if;
       select sum(tasks), sum(stored_bytes) into used_tasks, used_bytes from user_usage where user_id = owner;
       if added_tasks > 0 and used_tasks + added_tasks > tasks_limit then
         raise exception using errcode = 'QT001', message = 'quota exceeded: tasks',
           detail = json_build_object('name', 'tasks', 'limit', tasks_limit, 'used', used_tasks)::text;
       end if;
       if added_bytes > 0 and used_bytes + added_bytes > bytes_limit then
         raise exception using errcode = 'QT001', message = 'quota exceeded: stored_bytes',
           detail = json_build_object('name', 'stored_bytes', 'limit', bytes_limit, 'used', used_bytes)::text;
       end if;
       update user_usage
          set tasks = quota_share(used_tasks + added_tasks, stripe),
              stored_bytes = quota_share(used_bytes + added_bytes, stripe)
        where user_id = owner;
     end $$`,
  // The fast path, all that most writes run: one update of the transaction's own stripe (concurrent
  // transactions have nearby ids, so mostly distinct stripes), if it has room.
  `create function charge_owner(owner text, added_tasks bigint, added_bytes bigint) returns void
     language plpgsql
     as $$
     declare
       limits text := current_setting('todo.quota_limits', true);
       tasks_limit bigint := nullif(split_part(limits, ',', 1), '')::bigint;
       bytes_limit bigint := nullif(split_part(limits, ',', 2), '')::bigint;
       own smallint := txid_current() % ${STRIPES};
     begin
       -- Skipped, not waited for, when another transaction holds it (see charge_usage).
       update user_usage set tasks = tasks + added_tasks, stored_bytes = stored_bytes + added_bytes
        where user_id = owner and stripe = (
          select stripe from user_usage
           where user_id = owner and stripe = own
             and (added_tasks <= 0 or tasks_limit is null or tasks + added_tasks <= quota_share(tasks_limit, stripe))
             and (added_bytes <= 0 or bytes_limit is null or stored_bytes + added_bytes <= quota_share(bytes_limit, stripe))
           for no key update skip locked);
       if not found then
         perform charge_usage(owner, added_tasks, added_bytes, tasks_limit, bytes_limit);
       end if;
     end $$`,
  // Inserts and deletes are charged once per statement and user, from the statement's rows: a
  // statement of many rows (clear-completed, a seed) updates a stripe once, not once per row (each
  // update of one row in one transaction makes a new version that the next must walk past). The
  // users in one order, so that two statements charging the same users do not wait crosswise.
  `create function tasks_charge_rows() returns trigger
     language plpgsql
     as $$
     declare
       held record;
       sign bigint := case when tg_op = 'INSERT' then 1 else -1 end;
     begin
       for held in
         select user_id, count(*) as tasks, sum(stored_bytes) as stored_bytes from changed_rows group by user_id order by user_id
       loop
         perform charge_owner(held.user_id, sign * held.tasks, sign * held.stored_bytes);
       end loop;
       return null;
     end $$`,
  `create function tasks_charge_update() returns trigger
     language plpgsql
     as $$
     begin
       perform charge_owner(new.user_id, 0, new.stored_bytes - old.stored_bytes);
       return null;
     end $$`,
  `create trigger tasks_usage_insert after insert on tasks
     referencing new table as changed_rows
     for each statement execute function tasks_charge_rows()`,
  `create trigger tasks_usage_delete after delete on tasks
     referencing old table as changed_rows
     for each statement execute function tasks_charge_rows()`,
  `create trigger tasks_usage_update after update of title, description, tags on tasks
     for each row when (old.stored_bytes is distinct from new.stored_bytes) execute function tasks_charge_update()`,
  `insert into user_usage (user_id, stripe, tasks, stored_bytes)
     select held.user_id, stripe, quota_share(held.tasks, stripe), quota_share(held.stored_bytes, stripe)
       from (select user_id, count(*) as tasks, sum(stored_bytes) as stored_bytes from tasks group by user_id) as held
       cross join generate_series(0, ${STRIPES - 1}) as stripe`,
];

const DOWN = [
  `drop trigger tasks_usage_update on tasks`,
  `drop trigger tasks_usage_delete on tasks`,
  `drop trigger tasks_usage_insert on tasks`,
  `drop function tasks_charge_update()`,
  `drop function tasks_charge_rows()`,
  `drop function charge_owner(text, bigint, bigint)`,
  `drop function charge_usage(text, bigint, bigint, bigint, bigint)`,
  `drop function quota_scope(text, bigint, bigint)`,
  `drop function quota_share(bigint, integer)`,
  `drop table user_usage`,
  `alter table tasks drop column stored_bytes`,
  `drop function task_stored_bytes(text, text, text[])`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  for (const statement of DOWN) await knex.raw(statement);
}
