import type { Knex } from 'knex';

// Issue 17: the outbox's share of every write, made smaller (20261230000000_events_outbox.ts).
// Measured on one-row updates (pgbench, 8 clients on 2 cores), recording the event cost a third as
// much database time as the update itself; of that:
// - the foreign key to users: a row lock (key share) on the user's row for every event, whose
//   check is a query of its own. The one thing it did, taking a deleted user's events along, a
//   trigger on users does instead, after the deletion's cascades (their triggers' names sort
//   first). Every event is written with a change to one of the user's rows (a task, a list, a
//   webhook) or in place of one, and that row is locked until the writer commits: a deletion of the
//   user cascades to it, so waits for the writer, and its trigger's statement then sees the events
//   committed meanwhile. None outlives its user.
// - `data` as jsonb: building the binary form (keys sorted, de-duplicated) and first rendering the
//   row's search vector as text, to remove it. It is now `json`, the row's text, rendered with its
//   search vector emptied first; read back, it is the same object (the readers parse it either way).
// - a task's creation as a statement trigger with a transition table: most creates are one row,
//   which a row trigger records for less.
// - the deliveries' trigger (20261230010000_webhooks.ts) running its insert for every event, most
//   of whose users have no webhook: executing an insert, even of no row, opens the deliveries'
//   table and its indexes (a tenth of a millisecond per create at 16 clients). It first looks
//   whether one of the user's webhooks wants the event.

/**
 * The events' rows as each form writes them: `json` renders the task with its search vector
 * emptied (the API never shows it); `jsonb` is 20261230000000_events_outbox.ts's.
 */
const ROW_DATA = {
  json: { task: 'to_json(new)', list: 'to_json(new)', emptySearch: 'new.search := null;' },
  jsonb: { task: "to_jsonb(new) - 'search'", list: 'to_jsonb(new)', emptySearch: '' },
} as const;
type DataForm = keyof typeof ROW_DATA;

/** As 20261230000000_events_outbox.ts explains it, with `data` in either form. */
const taskUpdateEvent = (form: DataForm) => `create or replace function tasks_record_update_event() returns trigger
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
       ${ROW_DATA[form].emptySearch}
       insert into events (user_id, seq, type, data)
         values (new.user_id, new.change_seq,
                 coalesce(nullif(earlier_type, 'task.updated'), task_event_type(old, new)),
                 ${ROW_DATA[form].task});
       return null;
     end $$`;

const listEvents = (form: DataForm) => `create or replace function lists_record_events() returns trigger
     language plpgsql
     as $$
     begin
       if tg_op = 'INSERT' then
         insert into events (user_id, seq, type, data) values (new.user_id, new.change_seq, 'list.created', ${ROW_DATA[form].list});
       elsif new.change_seq <> old.change_seq then
         insert into events (user_id, seq, type, data) values (new.user_id, new.change_seq, 'list.updated', ${ROW_DATA[form].list});
       end if;
       return null;
     end $$`;

/** Makes the deliveries of an event; `guarded`: only once a webhook is known to want it. */
const webhookDeliveries = (guarded: boolean) => {
  const wanted = `from webhooks w
        where w.user_id = new.user_id and w.enabled and new.type = any (w.event_types)`;
  const insert = `insert into webhook_deliveries (user_id, webhook_id, event_seq, event_type)
       select new.user_id, w.id, new.seq, new.type
         ${wanted}
        order by w.id;`;
  return `create or replace function webhook_deliveries_for_event() returns trigger
     language plpgsql
     as $$
     begin
       ${guarded ? `if exists (select ${wanted}) then ${insert} end if;` : insert}
       return null;
     end $$`;
};

const UP = [
  `alter table events drop constraint events_user_id_fkey`,
  `create function users_delete_events() returns trigger
     language plpgsql
     as $$
     begin
       delete from events where user_id = old.id;
       return null;
     end $$`,
  `create trigger users_delete_events after delete on users
     for each row execute function users_delete_events()`,
  `alter table events alter column data type json using data::json`,
  taskUpdateEvent('json'),
  listEvents('json'),
  webhookDeliveries(true),
  `drop trigger tasks_record_insert_events on tasks`,
  `drop function tasks_record_events()`,
  `create function tasks_record_insert_event() returns trigger
     language plpgsql
     as $$
     begin
       perform set_config('todo.task_events_recorded', 'on', true);
       ${ROW_DATA.json.emptySearch}
       insert into events (user_id, seq, type, data) values (new.user_id, new.change_seq, 'task.created', ${ROW_DATA.json.task});
       return null;
     end $$`,
  `create trigger tasks_record_insert_events after insert on tasks
     for each row execute function tasks_record_insert_event()`,
];

const DOWN = [
  `drop trigger tasks_record_insert_events on tasks`,
  `drop function tasks_record_insert_event()`,
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
  webhookDeliveries(false),
  listEvents('jsonb'),
  taskUpdateEvent('jsonb'),
  `alter table events alter column data type jsonb using data::jsonb`,
  `drop trigger users_delete_events on users`,
  `drop function users_delete_events()`,
  `alter table events add constraint events_user_id_fkey foreign key (user_id) references users (id) on delete cascade`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  for (const statement of DOWN) await knex.raw(statement);
}
