import type { Knex } from 'knex';

// Issue 17: reminders. A task's reminders are a JSON array on the task (at most 5), as the client
// defined them plus two instants each, both computed by the application, which knows time zones:
// `scheduled`, the instant the reminder is for in the current occurrence, and `fires_at`, that
// instant while the reminder is pending (null once fired, or never to fire). The triggers below
// keep what no write path may forget:
// - a task completed or in the trash has nothing pending (completing, trashing, clearing
//   completed tasks, deleting a list: every statement that does it, in that statement);
// - a task reopened or restored has pending again what is still ahead (its `scheduled` after the
//   statement's now());
// - next_reminder_at is the earliest pending `fires_at`: the firing job finds the due reminders
//   through its partial index (tasks_next_reminder_idx), across users, oldest first.
// The JSON holds each instant as the application wrote it (RFC 3339 in UTC, with milliseconds),
// which the triggers only copy and compare as timestamps.

const UP = [
  `alter table tasks
     add column reminders jsonb not null default '[]'
       check (jsonb_typeof(reminders) = 'array' and jsonb_array_length(reminders) <= 5),
     add column next_reminder_at timestamptz(3),
     add constraint tasks_reminders_pending_while_open
       check (next_reminder_at is null or (not completed and deleted_at is null))`,
  `create function reminders_disarmed(reminders jsonb) returns jsonb
     language sql immutable parallel safe
     as $$
       select coalesce(jsonb_agg(jsonb_set(reminder, '{fires_at}', 'null') order by place), '[]')
         from jsonb_array_elements(reminders) with ordinality as listed (reminder, place)
     $$`,
  `create function reminders_rearmed(reminders jsonb, armed_at timestamptz) returns jsonb
     language sql stable parallel safe
     as $$
       select coalesce(jsonb_agg(jsonb_set(reminder, '{fires_at}',
                case when (reminder->>'scheduled')::timestamptz > armed_at then reminder->'scheduled' else 'null' end)
              order by place), '[]')
         from jsonb_array_elements(reminders) with ordinality as listed (reminder, place)
     $$`,
  `create function tasks_schedule_reminders() returns trigger
     language plpgsql
     as $$
     begin
       if new.completed or new.deleted_at is not null then
         new.reminders := reminders_disarmed(new.reminders);
       elsif tg_op = 'UPDATE' and (old.completed or old.deleted_at is not null) then
         new.reminders := reminders_rearmed(new.reminders, now());
       end if;
       new.next_reminder_at := (select min((reminder->>'fires_at')::timestamptz)
                                  from jsonb_array_elements(new.reminders) as reminder);
       return new;
     end $$`,
  // Only for tasks that have (or had) reminders: the others pay a comparison, not a function call.
  `create trigger tasks_schedule_reminders_insert before insert on tasks
     for each row when (new.reminders <> '[]') execute function tasks_schedule_reminders()`,
  `create trigger tasks_schedule_reminders_update before update of reminders, completed, deleted_at on tasks
     for each row when (new.reminders is distinct from old.reminders
                        or (new.reminders <> '[]' and (new.completed, new.deleted_at) is distinct from (old.completed, old.deleted_at)))
     execute function tasks_schedule_reminders()`,
  // The firing job's lookup: the earliest pending reminders of all users.
  `create index tasks_next_reminder_idx on tasks (next_reminder_at) where next_reminder_at is not null`,
];

const DOWN = [
  `drop index tasks_next_reminder_idx`,
  `drop trigger tasks_schedule_reminders_update on tasks`,
  `drop trigger tasks_schedule_reminders_insert on tasks`,
  `drop function tasks_schedule_reminders()`,
  `drop function reminders_rearmed(jsonb, timestamptz)`,
  `drop function reminders_disarmed(jsonb)`,
  `alter table tasks drop constraint tasks_reminders_pending_while_open,
     drop column next_reminder_at, drop column reminders`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  for (const statement of DOWN) await knex.raw(statement);
}
