import type { Knex } from 'knex';

// Issue 17: webhooks and their deliveries. A delivery is made for each enabled webhook of the user
// that wants the event's type by a trigger on the outbox (20261230000000_events_outbox.ts), so in
// the transaction that records the event: an event committed always has its deliveries, and one
// rolled back never has. The job engine then runs them (src/webhooks/delivery-relay.ts sends each
// one's first attempt as a job, in the transaction that marks it `queued`).

const UP = [
  `create table webhooks (
     id bigint generated always as identity primary key,
     user_id text not null references users (id) on delete cascade,
     url text not null check (char_length(url) between 1 and 2048),
     event_types text[] not null check (cardinality(event_types) between 1 and 64),
     description text check (char_length(description) <= 500),
     enabled boolean not null default true,
     disabled_reason text check (disabled_reason in ('requested', 'deliveries_failed')),
     -- Kept as it is: signing needs the secret itself. It leaves the database only to sign.
     secret text not null,
     -- The last attempt any of its deliveries succeeded: a failing streak since then disables it.
     last_success_at timestamptz(3),
     created_at timestamptz(3) not null default now(),
     updated_at timestamptz(3) not null default now(),
     check (enabled = (disabled_reason is null))
   )`,
  `create index webhooks_user_idx on webhooks (user_id, id)`,
  `create table webhook_deliveries (
     id bigint generated always as identity primary key,
     user_id text not null,
     webhook_id bigint not null references webhooks (id) on delete cascade,
     event_seq bigint not null,
     event_type text not null,
     status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
     -- A job runs (or will run) its next attempt; false until the relay has sent that job.
     queued boolean not null default false,
     attempts integer not null default 0 check (attempts >= 0),
     -- The attempt after which a failure is final; null: as many as the server allows (WEBHOOK_MAX_ATTEMPTS).
     attempt_limit integer check (attempt_limit >= 1),
     last_attempt_at timestamptz(3),
     next_attempt_at timestamptz(3) default now(),
     last_response_code smallint check (last_response_code between 100 and 599),
     last_error text check (char_length(last_error) between 1 and 64),
     created_at timestamptz(3) not null default now(),
     -- Pruned with its event (CHANGES_HISTORY_DAYS), long after its last attempt.
     foreign key (user_id, event_seq) references events (user_id, seq) on delete cascade
   )`,
  // A webhook's deliveries, newest first; the event's (its pruning's cascade); those the relay has yet to send.
  `create index webhook_deliveries_webhook_idx on webhook_deliveries (webhook_id, id)`,
  `create index webhook_deliveries_event_idx on webhook_deliveries (user_id, event_seq)`,
  `create index webhook_deliveries_unqueued_idx on webhook_deliveries (user_id, id) where status = 'pending' and not queued`,
  // An event at a time: most events are recorded one per statement (a task's update), where a
  // statement trigger's transition table costs more than the lookup of the user's webhooks.
  `create function webhook_deliveries_for_event() returns trigger
     language plpgsql
     as $$
     begin
       insert into webhook_deliveries (user_id, webhook_id, event_seq, event_type)
       select new.user_id, w.id, new.seq, new.type
         from webhooks w
        where w.user_id = new.user_id and w.enabled and new.type = any (w.event_types)
        order by w.id;
       return null;
     end $$`,
  `create trigger events_webhook_deliveries after insert on events
     for each row execute function webhook_deliveries_for_event()`,
];

const DOWN = [
  `drop trigger events_webhook_deliveries on events`,
  `drop function webhook_deliveries_for_event()`,
  `drop table webhook_deliveries`,
  `drop table webhooks`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  for (const statement of DOWN) await knex.raw(statement);
}
